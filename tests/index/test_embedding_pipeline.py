"""An ingest keeping several embedding batches in flight to an embedding server (a real HTTP server on
127.0.0.1): the same index as a serial ingest, the bound respected, and a server failure midway loses
nothing."""

from __future__ import annotations

import json

import pytest

from index.embedders.openai_server import EmbeddingServerError, OpenAIEmbedder
from index.ingest import Ingester
from tests.conftest import make_store
from tests.helpers.embedding_server import FakeEmbeddingServer, hashed_vectors

#: 120 articles of ~8 chunks: four batches of 256 chunks
ARTICLES = 120


WORDS = ("conseil budget transport école quartier bibliothèque vote proposition maire région port usine grève "
         "hôpital tribunal accord frontière récolte pluie théâtre musée marché salaire loyer pont gare route "
         "ministre député sénat syndicat entreprise banque impôt dette énergie réseau satellite vaccin").split()


@pytest.fixture
def corpus(tmp_path):
    """Distinct articles (no wire copies among them), ~8 chunks each."""
    import random

    path = tmp_path / "corpus" / "wire.jsonl"
    path.parent.mkdir()
    with path.open("w", encoding="utf-8") as f:
        for i in range(ARTICLES):
            rng = random.Random(i)
            paragraphs = [" ".join(rng.choice(WORDS) for _ in range(40)) + f" ({i}.{j})." for j in range(24)]
            f.write(json.dumps({"id": f"a{i:03d}", "title": f"Chronique {i}", "date": "2025-03-01",
                                "text": "\n\n".join(paragraphs)}, ensure_ascii=False) + "\n")
    return path.parent


@pytest.fixture
def server():
    with FakeEmbeddingServer(hashed_vectors(384)) as s:
        s.latency_s = 0.05  # requests overlap: the bound is what limits them
        yield s


def embedder_for(server, workers: int) -> OpenAIEmbedder:
    return OpenAIEmbedder(server.base_url, server.model, batch_size=32, max_in_flight=workers, max_retries=0)


def chunks_and_vectors(store) -> dict[str, tuple]:
    ids = sorted(r.id for r in store.catalog.chunk_rows())
    got = store.vectors.collection.get(ids=ids, include=["embeddings"])
    vectors = dict(zip(got["ids"], got["embeddings"]))
    return {cid: tuple(round(float(x), 5) for x in vectors[cid][:4]) for cid in ids}


def test_workers_build_the_same_index_as_a_serial_ingest(tmp_path, corpus, server):
    serial = make_store(tmp_path / "serial")
    one = Ingester(serial, embedder_for(server, 1)).run([corpus], corpus_root=corpus, sync=True)
    assert server.max_in_flight == 1
    server.max_in_flight = 0
    parallel = make_store(tmp_path / "parallel")
    three = Ingester(parallel, embedder_for(server, 3), workers=3).run([corpus], corpus_root=corpus, sync=True)
    assert server.max_in_flight == 3
    assert one.chunks_embedded == three.chunks_embedded > 2 * 256
    assert (three.articles_added, three.embeddings_computed) == (ARTICLES, three.chunks_embedded)
    assert chunks_and_vectors(serial) == chunks_and_vectors(parallel)
    assert parallel.verify()["ok"] and serial.verify()["ok"]
    again = Ingester(parallel, embedder_for(server, 3), workers=3).run([corpus], corpus_root=corpus, sync=True)
    assert (again.articles_unchanged, again.chunks_embedded) == (ARTICLES, 0)
    serial.close()
    parallel.close()


def test_a_server_failure_midway_commits_nothing_and_the_next_ingest_finishes(tmp_path, corpus, server):
    store = make_store(tmp_path / "store")
    embedder = embedder_for(server, 2)
    server.statuses = [200] * 12 + [500] * 100  # the first batches get through, then the server fails
    with pytest.raises(EmbeddingServerError, match="answered HTTP 500"):
        Ingester(store, embedder, workers=2).run([corpus], corpus_root=corpus, sync=True)
    assert store.catalog.counts()["articles"] == 0  # nothing committed
    leftovers = store.vectors.count()
    assert leftovers > 0 and store.catalog.counts()["pending"] >= leftovers
    server.statuses = []
    report = Ingester(store, embedder, workers=2).run([corpus], corpus_root=corpus, sync=True)
    assert report.articles_added == ARTICLES and report.chunks_reused == leftovers  # not embedded twice
    assert store.verify()["ok"] and store.catalog.counts()["pending"] == 0
    store.close()

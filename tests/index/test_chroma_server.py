"""Server mode: a real `chroma run` on 127.0.0.1, ingest and query through HttpClient."""

from __future__ import annotations

import pytest

from index.ingest import Ingester
from index.retrieval import HybridRetriever
from index.store import StoreError
from tests.conftest import make_store
from tests.helpers.chroma_server import chroma_server as run_chroma_server
from tests.helpers.chroma_server import free_port


@pytest.fixture
def chroma_server(tmp_path):
    with run_chroma_server(tmp_path / "server-data") as port:
        yield port


@pytest.mark.slow
def test_ingest_and_query_through_a_chroma_server(chroma_server, tmp_path, seeds_copy, embedder):
    store = make_store(tmp_path / "store", chroma_mode="server", chroma_port=chroma_server)
    report = Ingester(store, embedder).run([seeds_copy], corpus_root=seeds_copy, sync=True)
    assert report.articles_added == 5
    assert store.vectors.count() == store.catalog.counts()["chunks"]
    assert not (tmp_path / "store" / "chroma").exists()  # vectors live in the server, not locally
    hits = HybridRetriever(store, embedder).search("Qui a rencontré Shoigu à Téhéran ?", k=3)
    assert hits.article_ids[0] == "003_747d8f32a30fbfc0"
    # a second client (another process would do the same) sees the same collection
    other = make_store(tmp_path / "store", chroma_mode="server", chroma_port=chroma_server)
    assert other.vectors.count() == store.vectors.count()
    assert store.verify()["ok"]


def test_unreachable_server_is_a_clear_error(tmp_path):
    store = make_store(tmp_path / "store", chroma_mode="server", chroma_port=free_port())
    with pytest.raises(StoreError, match="cannot reach the Chroma server"):
        store.vectors.count()

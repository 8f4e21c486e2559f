"""Server mode: a real `chroma run` on 127.0.0.1, ingest and query through HttpClient."""

from __future__ import annotations

import pytest

from index.ingest import Ingester
from index.retrieval import HybridRetriever
from index.errors import StoreError
from tests.conftest import make_store
from tests.helpers.chroma_server import chroma_server as run_chroma_server
from tests.helpers.chroma_server import free_port
from tests.helpers.tls_proxy import CERT, TokenTlsProxy


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


def _server_client(port: int, **kw):
    import chromadb
    from chromadb.config import Settings

    return chromadb.HttpClient(host="127.0.0.1", port=port, settings=Settings(anonymized_telemetry=False), **kw)


@pytest.mark.slow
def test_a_deployed_server_over_tls_with_a_token_tenant_and_database(chroma_server, tmp_path, seeds_copy, embedder):
    """`chroma run` behind a TLS proxy that requires a token (Chroma 1.x's server has no auth of its own),
    in a tenant and database of their own: ingest and search through it; refusals are one clear line."""
    from chromadb import AdminClient
    from chromadb.config import Settings

    admin = AdminClient(Settings(chroma_api_impl="chromadb.api.fastapi.FastAPI", chroma_server_host="127.0.0.1",
                                 chroma_server_http_port=chroma_server, anonymized_telemetry=False))
    admin.create_tenant("newsroom")
    admin.create_database("archive", tenant="newsroom")
    with TokenTlsProxy(chroma_server, token="t0ken-s3cret") as proxy:
        deployed = {"chroma_mode": "server", "chroma_port": proxy.port, "chroma_ssl": True, "chroma_ca_file": CERT,
                    "chroma_tenant": "newsroom", "chroma_database": "archive"}
        store = make_store(tmp_path / "store", chroma_headers={"Authorization": "Bearer t0ken-s3cret"}, **deployed)
        assert "t0ken" not in repr(store.config) and "t0ken" not in store.config.chroma.describe()
        report = Ingester(store, embedder).run([seeds_copy], corpus_root=seeds_copy, sync=True)
        assert report.articles_added == 5 and store.verify()["ok"]
        hits = HybridRetriever(store, embedder).search("Qui a rencontré Shoigu à Téhéran ?", k=3)
        assert hits.article_ids[0] == "003_747d8f32a30fbfc0"
        other_header = make_store(tmp_path / "store", chroma_headers={"X-Chroma-Token": "t0ken-s3cret"}, **deployed)
        assert other_header.vectors.count() == store.catalog.counts()["chunks"]
        # the collection lives in that tenant and database, not in the defaults
        assert _server_client(chroma_server, tenant="newsroom", database="archive").get_collection(
            "kiosque").count() == store.catalog.counts()["chunks"]
        assert "kiosque" not in [c.name for c in _server_client(chroma_server).list_collections()]

        refused = proxy.refused
        for headers in ({}, {"Authorization": "Bearer wrong"}):
            with pytest.raises(StoreError, match=r"refused the request .* KIOSQUE_STORE_CHROMA_AUTH_TOKEN"):
                make_store(tmp_path / "store", chroma_headers=headers, **deployed).vectors.count()
        assert proxy.refused > refused
        with pytest.raises(StoreError, match=r"Database \[missing\] not found.* KIOSQUE_STORE_CHROMA_DATABASE"):
            make_store(tmp_path / "store", chroma_headers={"Authorization": "Bearer t0ken-s3cret"},
                       **(deployed | {"chroma_database": "missing"})).vectors.count()
        with pytest.raises(StoreError, match="no TLS connection .*CERTIFICATE_VERIFY_FAILED.* KIOSQUE_STORE_CHROMA_CA_FILE"):
            make_store(tmp_path / "store", chroma_headers={"Authorization": "Bearer t0ken-s3cret"},
                       **(deployed | {"chroma_ca_file": None})).vectors.count()
        with pytest.raises(StoreError, match="closed the connection .* KIOSQUE_STORE_CHROMA_SSL=true"):
            make_store(tmp_path / "store", chroma_headers={"Authorization": "Bearer t0ken-s3cret"},
                       **(deployed | {"chroma_ssl": False})).vectors.count()
        store.close()

"""Server mode: a real `chroma run` on 127.0.0.1, ingest and query through HttpClient."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from index.ingest import Ingester
from index.retrieval import HybridRetriever
from index.errors import StoreError
from tests.conftest import make_store


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def chroma_server(tmp_path):
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent)) or shutil.which("chroma")
    assert chroma, "the chromadb package ships the `chroma` command"
    port = free_port()
    proc = subprocess.Popen(
        [chroma, "run", "--path", str(tmp_path / "server-data"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    deadline = time.time() + 60
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1)
            break
        except OSError:
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.time() < deadline, "chroma server did not start"
            time.sleep(0.2)
    yield port
    proc.terminate()
    proc.wait(timeout=20)


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

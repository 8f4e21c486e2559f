"""Incremental ingest with the real Chroma and the real default embedder: exact counts."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from index.catalog import SCHEMA_VERSION
from index.errors import IngestBusy, StoreError
from index.ingest import Ingester
from index.store import FileLock
from tests.conftest import article_of, make_store


def run(ingester, corpus, sync=True):
    return ingester.run([corpus], corpus_root=corpus, sync=sync)


def counts(r):
    return (r.articles_added, r.articles_updated, r.articles_removed, r.articles_unchanged)


def test_first_ingest_then_noop(ingester, store, seeds_copy):
    first = run(ingester, seeds_copy)
    assert counts(first) == (5, 0, 0, 0)
    n_chunks = store.catalog.counts()["chunks"]
    assert first.chunks_embedded == n_chunks > 20
    assert store.vectors.count() == n_chunks
    assert len(store.keyword_index()) == n_chunks

    again = run(ingester, seeds_copy)
    assert counts(again) == (0, 0, 0, 5)
    assert again.chunks_embedded == 0 and again.embeddings_computed == 0
    assert again.generation == first.generation  # nothing changed, nothing rebuilt
    assert store.verify()["ok"]


def test_add_change_delete_with_exact_counts(ingester, store, seeds_copy):
    run(ingester, seeds_copy)
    gen = store.catalog.generation
    untouched = ["001_e8db62af22f3ad35", "002_c0b1337957862e59", "004_49cb5cfbe3980482"]
    before = store.catalog.chunk_ids_of(untouched)

    # change the last paragraph of one article, add one, delete one
    path = seeds_copy / "000_479cb51d5ccf07b4.txt"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("a déclaré Viktorov.", "a conclu Viktorov devant la presse."), encoding="utf-8")
    (seeds_copy / "new_article.txt").write_text(
        "Un nouvel article\nLe port de Marseille a accueilli un paquebot géant mardi.", encoding="utf-8")
    (seeds_copy / "003_747d8f32a30fbfc0.txt").unlink()
    old_000 = store.catalog.chunk_ids_of(["000_479cb51d5ccf07b4"])["000_479cb51d5ccf07b4"]

    r = run(ingester, seeds_copy)
    assert counts(r) == (1, 1, 1, 3)
    new_000 = store.catalog.chunk_ids_of(["000_479cb51d5ccf07b4"])["000_479cb51d5ccf07b4"]
    # only the edited chunk of the changed article was embedded again, plus the new article's one
    assert len(set(new_000) - set(old_000)) == 1
    assert r.chunks_embedded == 2 and r.chunks_reused == len(new_000) - 1
    assert store.catalog.generation == gen + 1
    assert article_of(store, "003_747d8f32a30fbfc0") is None
    assert "a conclu Viktorov" in article_of(store, "000_479cb51d5ccf07b4").text
    v = store.verify()
    assert v["ok"] and v["orphans_in_chroma"] == 0 and v["pending_leftovers"] == 0
    assert store.vectors.count() == store.catalog.counts()["chunks"]
    assert all(before.values()) and store.catalog.chunk_ids_of(untouched) == before  # untouched: same chunks

    # the keyword index follows: the new text is found, the deleted article is not
    kw = store.keyword_index()
    hits = kw.search("paquebot Marseille", 3)
    spans = {r.id: r.article_id for r in store.catalog.chunk_rows()}
    assert spans[hits[0][0]] == "new_article"
    assert not [h for h in kw.search("Shoigu Téhéran Haniyeh", 10) if spans[h[0]] == "003_747d8f32a30fbfc0"]


def test_without_sync_nothing_is_removed(ingester, store, seeds_copy, tmp_path):
    run(ingester, seeds_copy)
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "x.txt").write_text("Titre X\nTexte de l'article X sur la météo.", encoding="utf-8")
    r = ingester.run([extra / "x.txt"], corpus_root=seeds_copy, sync=False)
    assert counts(r) == (1, 0, 0, 0)
    assert store.catalog.counts()["articles"] == 6


def test_duplicates_are_indexed_once_and_reported(ingester, store, seeds_copy):
    shutil.copy(seeds_copy / "002_c0b1337957862e59.txt", seeds_copy / "zz_copy_of_002.txt")
    r = run(ingester, seeds_copy)
    assert counts(r) == (5, 0, 0, 0)
    assert [d["source"] for d in r.duplicates] == ["zz_copy_of_002.txt"]
    assert "002_c0b1337957862e59" in r.duplicates[0]["reason"]


def test_bad_files_are_skipped_and_indexed_articles_kept(ingester, store, seeds_copy):
    run(ingester, seeds_copy)
    # a good article becomes a broken file; and broken files appear
    (seeds_copy / "001_e8db62af22f3ad35.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (seeds_copy / "empty.txt").write_text("")
    r = run(ingester, seeds_copy)
    reasons = {p["source"]: p["reason"] for p in r.problems}
    assert "PNG" in reasons["001_e8db62af22f3ad35.txt"] and reasons["empty.txt"] == "empty file"
    assert r.articles_removed == 0  # the indexed version of 001 is kept, not lost
    assert article_of(store, "001_e8db62af22f3ad35") is not None


def test_embedding_cache_means_a_new_store_computes_nothing(embedder, seeds_copy, tmp_path):
    a = make_store(tmp_path / "a")
    Ingester(a, embedder).run([seeds_copy], corpus_root=seeds_copy, sync=True)
    b = make_store(tmp_path / "b", chunk_target_chars=800)
    r = Ingester(b, embedder).run([seeds_copy], corpus_root=seeds_copy, sync=True)
    assert r.chunks_embedded > 0 and r.embeddings_computed == 0
    ids = [row.id for row in b.catalog.chunk_rows()][:3]

    def vectors(store):
        got = store.vectors.collection.get(ids=ids, include=["embeddings"])
        return dict(zip(got["ids"], got["embeddings"]))

    va, vb = vectors(a), vectors(b)
    assert set(va) == set(vb) == set(ids)
    for cid in ids:
        assert np.allclose(va[cid], vb[cid])


def test_a_store_refuses_another_embedding_model(store, embedder, seeds_copy):
    Ingester(store, embedder).run([seeds_copy], corpus_root=seeds_copy, sync=True)

    class Other:
        model_id = "some/other-model@fp32"
        dim = 384

    with pytest.raises(StoreError, match="built with the embedding model"):
        Ingester(store, Other()).run([seeds_copy], corpus_root=seeds_copy, sync=True)


def test_a_second_concurrent_ingest_is_refused(store, embedder, seeds_copy):
    holder = FileLock(store.dir / "ingest.lock")
    assert holder.acquire()
    try:
        with pytest.raises(IngestBusy, match="another ingest is running"):
            Ingester(store, embedder).run([seeds_copy], corpus_root=seeds_copy, sync=True)
    finally:
        holder.release()


def test_uncommitted_chunks_are_invisible(ingester, store, seeds_copy, embedder):
    """What questions see while an ingest is writing: only committed chunks."""
    from index.retrieval import HybridRetriever

    run(ingester, seeds_copy)
    retriever = HybridRetriever(store, embedder)
    vec = embedder.embed_passages(["Le port de Marseille a accueilli un paquebot géant."])
    store.catalog.add_pending(["fake-pending"], store.catalog.generation + 1)
    store.vectors.add(["fake-pending"], vec, ["Le port de Marseille a accueilli un paquebot géant."],
                      [{"article_id": "ghost", "position": 0, "start": 0, "end": 10, "date": 0, "outlet": "",
                        "gen": store.catalog.generation + 1}])
    hits = retriever.search_chunks("paquebot géant Marseille")
    assert hits and all(h.chunk_id != "fake-pending" for h in hits)
    # the next ingest removes the leftover
    run(ingester, seeds_copy)
    assert store.verify()["ok"] and "fake-pending" not in store.vectors.all_ids()


def test_missing_corpus_path_is_a_problem_not_a_crash(ingester, tmp_path):
    r = ingester.run([tmp_path / "does-not-exist"], sync=False)
    assert r.problems and "no such file" in r.problems[0]["reason"]
    assert counts(r) == (0, 0, 0, 0)


def article_list_ids(store) -> set[str]:
    listed = store.article_keyword_index()
    return set(listed.chunk_ids) if listed is not None else set()


def test_article_list_follows_add_update_delete(ingester, store, seeds_copy):
    """The article-level keyword list holds exactly the committed articles, titles included, after
    every kind of change; a no-op ingest leaves it (and its generation) alone."""
    run(ingester, seeds_copy)
    assert article_list_ids(store) == set(store.catalog.article_hashes()) and len(article_list_ids(store)) == 5
    assert set(store.catalog.title_terms()) == article_list_ids(store)

    path = seeds_copy / "004_49cb5cfbe3980482.txt"
    lines = path.read_text(encoding="utf-8").split("\n")
    path.write_text("\n".join(["Choïgou joint Zanzibar au téléphone"] + lines[1:]), encoding="utf-8")  # new title
    (seeds_copy / "new_article.txt").write_text(
        "Escale à Marseille\nLe port a accueilli un paquebot géant mardi matin.", encoding="utf-8")
    (seeds_copy / "003_747d8f32a30fbfc0.txt").unlink()
    r = run(ingester, seeds_copy)
    assert counts(r) == (1, 1, 1, 3) and not r.keyword_rebuilt
    committed = set(store.catalog.article_hashes())
    assert article_list_ids(store) == committed == set(store.catalog.title_terms())
    listed = store.article_keyword_index()
    assert [h[0] for h in listed.search("Zanzibar", 3)] == ["004_49cb5cfbe3980482"]
    assert store.keyword_index().search("Zanzibar", 3) == []  # the word is only in the new title
    assert listed.search("escale paquebot", 1)[0][0] == "new_article"
    assert "003_747d8f32a30fbfc0" not in {h[0] for h in listed.search("Shoigu Téhéran Haniyeh", 6)}
    assert store.verify()["ok"]

    generation, keyword_dir = store.catalog.generation, store.catalog.get_meta("keyword_dir")
    again = run(ingester, seeds_copy)
    assert counts(again) == (0, 0, 0, 5) and not again.keyword_rebuilt
    assert (store.catalog.generation, store.catalog.get_meta("keyword_dir")) == (generation, keyword_dir)


def test_a_store_indexed_before_the_article_list_gets_it_without_embedding(embedder, seeds_copy, tmp_path):
    """An older store (schema version 1: no article list, no title terms) gains the list at its next
    ingest, once, with nothing embedded; changing the list's settings rebuilds it once too."""
    store = make_store(tmp_path / "store")
    Ingester(store, embedder).run([seeds_copy], corpus_root=seeds_copy, sync=True)
    current = store.dir / "keyword" / store.catalog.get_meta("keyword_dir")
    shutil.rmtree(current / "articles")
    with store.catalog.db as db:  # what a store indexed before the list looks like
        db.execute("DROP TABLE title_terms")
        db.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    store.close()

    old = make_store(tmp_path / "store")  # migrated to the current schema on opening
    assert old.catalog.get_meta("schema_version") == str(SCHEMA_VERSION) and old.catalog.title_terms() == {}
    assert old.article_keyword_index() is None
    check = old.verify()
    assert check["ok"] and check["article_list"].startswith("absent")
    generation = old.catalog.generation
    r = Ingester(old, embedder).run([seeds_copy], corpus_root=seeds_copy, sync=True)
    assert r.keyword_rebuilt and counts(r) == (0, 0, 0, 5) and r.chunks_embedded == 0
    assert r.generation == old.catalog.generation == generation + 1
    assert article_list_ids(old) == set(old.catalog.title_terms()) == set(old.catalog.article_hashes())
    assert old.verify()["ok"] and not (store.dir / "keyword" / current.name).exists()
    assert not Ingester(old, embedder).run([seeds_copy], corpus_root=seeds_copy, sync=True).keyword_rebuilt
    old.close()

    reweighted = make_store(tmp_path / "store", article_title_weight=1)
    r = Ingester(reweighted, embedder).run([seeds_copy], corpus_root=seeds_copy, sync=True)
    assert r.keyword_rebuilt and r.chunks_embedded == 0
    assert not Ingester(reweighted, embedder).run([seeds_copy], corpus_root=seeds_copy, sync=True).keyword_rebuilt
    reweighted.close()


def test_a_store_analysed_by_an_older_analyser_is_re_analysed_once_without_embedding(embedder, seeds_copy, tmp_path):
    """Terms are stored once per chunk; a store whose terms an older analyser made (one that dropped
    "né": seeds/000 says Gofman "est né en Biélorussie") gets every chunk and title re-analysed at its
    next ingest, in the same commit as the new keyword generation, with nothing embedded again."""
    def born_in(store):
        rows = {r.id: r for r in store.catalog.chunk_rows()}
        hits = [rows[cid] for cid, _ in store.keyword_index().search("né", k=5)]
        texts = store.catalog.article_texts({r.article_id for r in hits})
        return [texts[r.article_id][r.start:r.end] for r in hits]

    def articles_born_in(store):  # the article-level list is re-analysed too
        return [aid for aid, _ in store.article_keyword_index().search("né", k=5)]

    older = make_store(tmp_path / "store")  # what an older Kiosque wrote: its analyser dropped "né"
    older.analyzer._stems_checked, older.analyzer.fingerprint = True, "french/1"
    Ingester(older, embedder).run([seeds_copy], corpus_root=seeds_copy, sync=True)
    older.close()

    store = make_store(tmp_path / "store")
    assert born_in(store) == articles_born_in(store) == [] and store.verify()["analyzer"].startswith("older")
    generation = store.catalog.generation
    r = Ingester(store, embedder).run([seeds_copy], corpus_root=seeds_copy, sync=True)
    assert r.keyword_rebuilt and counts(r) == (0, 0, 0, 5) and r.chunks_embedded == 0
    assert r.generation == store.catalog.generation == generation + 1
    assert store.catalog.get_meta("analyzer") == "french/2" and store.verify()["ok"]
    assert store.verify()["analyzer"] == "current"
    assert any("est né en Biélorussie" in text for text in born_in(store))
    assert articles_born_in(store) == ["000_479cb51d5ccf07b4"]
    assert not Ingester(store, embedder).run([seeds_copy], corpus_root=seeds_copy, sync=True).keyword_rebuilt
    store.close()

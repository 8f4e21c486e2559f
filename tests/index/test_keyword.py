from __future__ import annotations

import numpy as np

from index.keyword import (Analyzer, ArticleDocuments, article_params, build_generation, fold, load_article_index,
                           load_generation)


def test_french_analysis_stems_folds_and_drops_stopwords():
    a = Analyzer("french")
    assert fold("Téhéran ÉLYSÉE") == "teheran elysee"
    terms = a.terms("L'ambassadeur russe et les ambassadeurs à Téhéran qu'il a rencontrés")
    assert "l" not in terms and "les" not in terms and "qu" not in terms and "et" not in terms
    assert terms.count(a.terms("ambassadeur")[0]) == 2  # singular and plural stem alike
    assert a.terms("Téhéran") == a.terms("teheran")  # accents do not matter


def test_a_french_word_is_dropped_for_what_it_is_not_for_what_its_stem_looks_like():
    """Snowball stems "tué" to "tu" and, folded, "né" to "ne", "dû" to "du", "sûr" to "sur": function
    words. Checked on the stem, the analyser dropped them, so a question on who was killed or where
    someone was born lost its verb. Function words the stopword list lacks are still dropped."""
    a = Analyzer("french")
    for word in ("tué", "tués", "tuer", "né", "née", "dû", "sûr", "tonnes", "danse"):
        assert a.terms(word), word
    assert a.terms("tuées") == a.terms("tué") and a.terms("nés") == a.terms("né")
    assert a.terms("Où leurs elles dès là lorsque puisque jusque quoique uns unes lès ès") == []
    assert a.terms("tu ne sur du dans des") == []  # the function words themselves
    assert a.fingerprint == "french/2" and Analyzer("english").fingerprint == "english/2"


def test_other_languages_by_setting():
    en = Analyzer("english")
    assert en.terms("The ambassadors meeting") == en.terms("ambassador meet")


def test_generation_round_trip_and_search(tmp_path):
    a = Analyzer("french")
    docs = {"c1": "Le port de Marseille accueille un paquebot.", "c2": "Le gouvernement a réagi jeudi.",
            "c3": "Un paquebot géant à Marseille, le port est plein."}
    vocab: dict[str, int] = {}
    arrays = []
    for text in docs.values():
        ids = [vocab.setdefault(t, len(vocab) + 100) for t in a.terms(text)]  # sparse global ids
        arrays.append(np.asarray(ids, dtype=np.uint32))
    build_generation(tmp_path / "gen-1", list(docs), arrays, vocab, k1=0.9, b=0.4)
    index = load_generation(tmp_path / "gen-1", a)
    hits = index.search("paquebots à Marseille", 3)
    assert {h[0] for h in hits} == {"c1", "c3"}
    assert index.search("mot absent", 3) == []
    allowed = np.array([False, True, True])
    assert [h[0] for h in index.search("paquebot", 3, allowed)] == ["c3"]


def test_idf_is_higher_for_rarer_terms(tmp_path):
    a = Analyzer("french")
    texts = ["Le port de Marseille.", "Le port de Brest.", "Le port du Havre.", "Un paquebot à Marseille."]
    vocab: dict[str, int] = {}
    arrays = [np.asarray([vocab.setdefault(t, len(vocab)) for t in a.terms(x)], dtype=np.uint32) for x in texts]
    build_generation(tmp_path / "g", [f"c{i}" for i in range(4)], arrays, vocab, k1=0.9, b=0.4)
    index = load_generation(tmp_path / "g", a)
    port, marseille, brest, absent = (index.idf(a.terms(w)[0]) for w in ("port", "Marseille", "Brest", "zèbre"))
    assert port < marseille < brest < absent


def test_article_list_is_built_with_the_chunks_and_counts_the_title(tmp_path):
    """Article documents are title terms (repeated title_weight times) + chunk terms; a generation
    without them (built before the list existed) loads as None."""
    a = Analyzer("french")
    vocab: dict[str, int] = {}

    def ids(text):
        return np.asarray([vocab.setdefault(t, len(vocab)) for t in a.terms(text)], dtype=np.uint32)

    chunks = {"a1-c0": ids("Le conseil municipal a voté le budget."), "a1-c1": ids("Les travaux du tramway commencent."),
              "a2-c0": ids("Le tramway de Lyon est en panne."), "a2-c1": ids("Des bus remplacent les rames.")}
    titles = {"a1": ids("Budget voté à Brest"), "a2": ids("Panne à Lyon")}
    docs = {"a1": [titles["a1"], titles["a1"], chunks["a1-c0"], chunks["a1-c1"]],
            "a2": [titles["a2"], titles["a2"], chunks["a2-c0"], chunks["a2-c1"]]}
    articles = ArticleDocuments(list(docs), [np.concatenate(v) for v in docs.values()], k1=1.2, b=0.75,
                                title_weight=2)
    build_generation(tmp_path / "gen-2", list(chunks), list(chunks.values()), vocab, k1=0.9, b=0.4,
                     articles=articles)
    listed = load_article_index(tmp_path / "gen-2", a)
    assert listed.chunk_ids == ["a1", "a2"]
    assert [h[0] for h in listed.search("Brest", 2)] == ["a1"]  # a title-only word finds its article
    # the chunk index of the same generation does not know the title
    assert load_generation(tmp_path / "gen-2", a).search("Brest", 2) == []
    # words of two chunks of one article: that article is first in the article list
    assert listed.search("budget tramway", 2)[0][0] == "a1"
    assert article_params(tmp_path / "gen-2") == {"format": 1, "k1": 1.2, "b": 0.75, "title_weight": 2}

    build_generation(tmp_path / "gen-1", list(chunks), list(chunks.values()), vocab, k1=0.9, b=0.4)
    assert load_article_index(tmp_path / "gen-1", a) is None and article_params(tmp_path / "gen-1") is None


def test_stopword_share_tells_the_analysers_language_from_another():
    a = Analyzer("french")
    assert a.stopword_share("Qui a remis la lettre de Khamenei à Poutine ?") > 0.3
    assert a.stopword_share("Who delivered Khamenei's letter to Putin?") < 0.2
    assert a.stopword_share("") == 0.0 and a.stopword_share("2024 1984") == 0.0

from __future__ import annotations

from index.chunking import chunk_article
from index.loading import load_paths
from index.sentences import split_sentences
from tests.conftest import SEEDS


def sentences(text):
    return [text[s:e] for s, e in split_sentences(text)]


def test_glued_sentences_are_split():
    text = "Le ministre est arrivé jeudi.Le gouvernement a réagi.Les syndicats aussi."
    assert sentences(text) == ["Le ministre est arrivé jeudi.", "Le gouvernement a réagi.", "Les syndicats aussi."]


def test_abbreviations_initials_and_quotes():
    text = ("M. Peskov a parlé. Selon J. Smith, les U.S. sont là. « Nous sommes prêts. » Il a dit \"oui.\" "
            "Puis 3,5 % en 2024. Av. J.-C. aussi.")
    assert sentences(text) == [
        "M. Peskov a parlé.", "Selon J. Smith, les U.S. sont là.", "« Nous sommes prêts. »", 'Il a dit "oui."',
        "Puis 3,5 % en 2024.", "Av. J.-C. aussi.",
    ]


def test_line_breaks_end_sentences_and_spans_are_exact():
    text = "Un titre sans point\nUne phrase. Une autre !\n\nFin"
    spans = split_sentences(text)
    assert [text[s:e] for s, e in spans] == ["Un titre sans point", "Une phrase.", "Une autre !", "Fin"]


def test_chunks_of_the_seeds_are_spans_of_about_800_chars():
    for article in load_paths([SEEDS], SEEDS, 10**7):
        chunks = chunk_article(article.id, article.text, 800, 1000)
        assert chunks, article.id
        covered = 0
        for i, c in enumerate(chunks):
            assert c.position == i and c.article_id == article.id
            assert article.text[c.start : c.end] == c.text
            assert len(c.text) <= 1000
            covered += len(c.text)
            if i:
                assert c.start >= chunks[i - 1].end
        # nothing of the story is lost between chunks (only whitespace)
        assert covered >= len(article.text) - 4 * len(chunks)
        assert sum(len(c.text) for c in chunks) / len(chunks) > 400


def test_glued_sentences_chunk_on_boundaries():
    text = "".join(f"Phrase numéro {i} sur le gouvernement et jeudi." for i in range(60))
    chunks = chunk_article("a", text, 800, 1000)
    assert len(chunks) > 1
    for c in chunks:
        assert c.text.endswith("jeudi.") and c.text.startswith("Phrase")


def test_a_sentence_longer_than_the_limit_is_cut_at_spaces():
    text = "mot " * 600
    chunks = chunk_article("a", text.strip(), 800, 1000)
    assert all(len(c.text) <= 1000 for c in chunks)
    assert all(not c.text.startswith(" ") and not c.text.endswith(" ") for c in chunks)


def test_chunk_ids_are_stable_and_content_addressed():
    a = chunk_article("x", "Une phrase. " * 200)
    b = chunk_article("x", "Une phrase. " * 200)
    c = chunk_article("y", "Une phrase. " * 200)
    assert [k.id for k in a] == [k.id for k in b]
    assert not {k.id for k in a} & {k.id for k in c}

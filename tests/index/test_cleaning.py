"""Cleaning on the real seed articles: furniture gone, story intact, outlet and date read."""

from __future__ import annotations

import pytest

from index.cleaning import clean_article, derive_title, normalize_text
from tests.conftest import SEEDS


def seed(name: str):
    return clean_article((SEEDS / f"{name}.txt").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "name, furniture",
    [
        ("000_479cb51d5ccf07b4", ["Le Staff de All Israel News"]),
        ("002_c0b1337957862e59", ["Jforum.fr", "Similaire", "retirera d’office", "La source de cet article"]),
        ("003_747d8f32a30fbfc0", ["Le Staff de All Israel News"]),
        ("004_49cb5cfbe3980482", ["About Us", "daily online newspaper", "Partager cet article", "Logo",
                                  "Subscribe for Latest Updates"]),
    ],
)
def test_furniture_after_the_story_is_dropped(name, furniture):
    text = seed(name).text
    for piece in furniture:
        assert piece not in text


@pytest.mark.parametrize(
    "name, last_words",
    [
        ("000_479cb51d5ccf07b4", "renforcer les liens entre la Russie et Israël », a déclaré Viktorov."),
        ("001_e8db62af22f3ad35", "a déclaré Raïssi, selon les médias officiels iraniens."),
        ("002_c0b1337957862e59", "ses propres intérêts stratégiques sur plusieurs fronts internationaux."),
        ("003_747d8f32a30fbfc0", "la situation déjà tendue\", a déclaré M. Peskov."),
        ("004_49cb5cfbe3980482", "offrent un canal de dialogue essentiel entre acteurs clés de la région."),
    ],
)
def test_story_is_intact_and_verbatim(name, last_words):
    raw = (SEEDS / f"{name}.txt").read_text(encoding="utf-8")
    text = seed(name).text
    assert text.endswith(last_words)
    # every line of the cleaned story is a line of the original file, unchanged
    raw_lines = {line.strip() for line in raw.splitlines()}
    for line in text.splitlines():
        if line.strip():
            assert line.strip() in raw_lines


def test_titles_outlets_and_dates_of_the_seeds():
    s0, s1, s2, s3, s4 = (seed(n) for n in (
        "000_479cb51d5ccf07b4", "001_e8db62af22f3ad35", "002_c0b1337957862e59", "003_747d8f32a30fbfc0",
        "004_49cb5cfbe3980482"))
    assert s0.title == "L'ambassadeur russe révèle des discussions diplomatiques discrètes avec Israël et l'Iran"
    assert s0.outlet == "All Israel News" and s3.outlet == "All Israel News"
    assert s2.outlet == "JForum"
    assert s4.outlet == "Brussels Morning"
    assert (s4.date, s4.date_source) == ("2026-01-12", "dateline")
    assert (s3.date, s3.date_source) == ("2024-08-05", "embedded-post")
    assert s0.date is None and s1.date is None
    # the seed with no title line: its first sentence becomes the title, and stays in the story
    assert s1.title_source == "derived"
    assert s1.title.startswith("Le président russe Vladimir Poutine a appelé lundi")
    assert s1.text.startswith("Le président russe Vladimir Poutine a appelé lundi")
    # the byline under the title is not story
    assert not s4.text.startswith("Editor")
    assert s4.text.startswith("Moscou (Le Journal de Bruxelles) 12 janvier 2026")


def test_related_links_high_in_the_story_are_kept():
    body = "\n".join(["Titre", "Premier paragraphe.", "Lire aussi : un autre article", "Deuxième paragraphe.",
                      "Troisième paragraphe.", "Quatrième paragraphe.", "Lire aussi", "Lien 1", "Lien 2"])
    text = clean_article(body).text
    assert "Lire aussi : un autre article" in text and "Quatrième paragraphe." in text
    assert "Lien 1" not in text


def test_normalize_removes_invisible_and_control_characters():
    raw = "Ti\u200btre\r\nTexte\u00ad avec\x07 contrôle\ufeff.\t\n"
    assert normalize_text(raw) == "Titre\nTexte avec contrôle."


def test_derived_title_is_short():
    title = derive_title("Une phrase très longue " * 20 + ". Suite.")
    assert len(title) <= 91 and title.endswith("…")


def test_a_published_line_dates_the_article_but_a_sentence_does_not():
    from index.cleaning import clean_article

    byline = clean_article("Titre\n\nPar Jean Dupont | Publié le 12/01/2026 à 10h05\n\nLe gouvernement a annoncé lundi...")
    assert (byline.date, byline.date_source) == ("2026-01-12", "published-line")
    # from OrangeSum: the book was published on that day, the article is from 2020
    story = clean_article("Titre\n\nSept passages des chapitres 7 et 8 du livre \"Nouvelles du Front\", publié le 1er mars "
                          "2017, étaient visés par M. Briois, édile depuis 2014 et vice-président du Rassemblement national.")
    assert story.date is None

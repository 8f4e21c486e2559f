"""One story, one id: the spellings of a link that name the same page give the same article id."""

from __future__ import annotations

from index.feeds.urls import article_id, canonical_url
from index.loading import check_id


def test_tracking_parameters_fragments_ports_and_case_do_not_make_another_article():
    same = [
        "https://www.Example.org/monde/incendie-porte-d-orleans.html",
        "HTTPS://www.example.org:443/monde/incendie-porte-d-orleans.html#commentaires",
        "https://www.example.org/monde/incendie-porte-d-orleans.html?utm_source=rss&xtor=RSS-3",
    ]
    assert {canonical_url(u) for u in same} == {"https://www.example.org/monde/incendie-porte-d-orleans.html"}
    assert len({article_id(u) for u in same}) == 1
    assert article_id(same[0]).startswith("www.example.org/incendie-porte-d-orleans-")


def test_a_query_that_names_the_page_is_kept():
    a, b = article_id("https://ex.fr/article.php?id=12"), article_id("https://ex.fr/article.php?id=13")
    assert a != b and canonical_url("https://ex.fr/article.php?id=12&utm_medium=x") == "https://ex.fr/article.php?id=12"


def test_ids_are_safe_for_the_catalog_and_readable():
    odd = "http://127.0.0.1:8123/articles/été-2024/Grève à la SNCF!.html"
    for url in (odd, "https://ex.fr/", "https://ex.fr/?p=1"):
        aid = article_id(url)
        assert check_id(aid) is None, aid
    assert article_id("http://127.0.0.1:8123/a/b.html").startswith("127.0.0.1-8123/b-")
    assert article_id(None, "urn:uuid:1234-abcd").startswith("guid/")

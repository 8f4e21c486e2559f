"""RSS 2.0, Atom and RDF, as the local site publishes them; and what is not a feed."""

from __future__ import annotations

import pytest

from index.feeds.parse import NotAFeed, parse_feed
from tests.helpers.feed_site import article_page, atom, orangesum_stories, rdf, rss

BASE = "http://127.0.0.1:9"


@pytest.mark.parametrize("build", [rss, atom, rdf])
def test_every_format_gives_titles_links_and_true_dates(build):
    stories = orangesum_stories()[:3]
    items = [(f"{BASE}/actu/{s.slug}.html?utm_source=rss", s) for s in stories]
    feed = parse_feed(build("Orange Actu", BASE, items), f"{BASE}/feed", "application/xml")
    assert feed.title == "Orange Actu" and feed.problem is None
    assert [(i.title, i.date, i.url) for i in feed.items] == [
        (s.title, s.date, f"{BASE}/actu/{s.slug}.html") for s in stories]  # tracking parameters dropped
    assert len({i.fingerprint for i in feed.items}) == 3


def test_the_fingerprint_changes_when_the_feed_says_the_item_changed():
    story = orangesum_stories()[0]
    before = parse_feed(atom("A", BASE, [(f"{BASE}/a.html", story)]), BASE).items[0]
    story.revision += 1
    after = parse_feed(atom("A", BASE, [(f"{BASE}/a.html", story)]), BASE).items[0]
    assert before.fingerprint != after.fingerprint and before.date == after.date


def test_a_date_keeps_the_publisher_s_day():
    body = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><item><title>Late</title>'
            b"<link>http://x.fr/a</link><pubDate>Sat, 05 Sep 2020 23:30:00 -0500</pubDate></item></channel></rss>")
    assert parse_feed(body, "http://x.fr/feed").items[0].date == "2020-09-05"  # not the 6th in UTC


def test_an_html_page_and_broken_xml_are_not_feeds():
    page = article_page(orangesum_stories()[0], "Le Canard")
    with pytest.raises(NotAFeed, match="^not a feed: the server sent an HTML page"):
        parse_feed(page, BASE, "text/html")
    with pytest.raises(NotAFeed, match="^malformed feed XML"):
        parse_feed(b'<?xml version="1.0"?><rss version="2.0"><channel><title>X</title><<<>>></rss>', BASE)
    with pytest.raises(NotAFeed, match="^not an RSS or Atom feed"):
        parse_feed(b'{"items": []}', BASE, "application/json")


def test_a_feed_cut_off_midway_keeps_what_was_read_and_says_so():
    stories = orangesum_stories()[:2]
    body = rss("T", BASE, [(f"{BASE}/{s.slug}", s) for s in stories])
    feed = parse_feed(body[: body.index(b"<item>", body.index(b"<item>") + 1) + 20], BASE)
    assert [i.title for i in feed.items][:1] == [stories[0].title]
    assert feed.problem.startswith("malformed feed XML") and "read anyway" in feed.problem

"""`kiosque feeds`, `kiosque update` and `kiosque ingest URL` as a user (or cron) runs them: real
subprocesses against a local news site."""

from __future__ import annotations

import json

import pytest

from tests.bot.cli.test_index_commands import kiosque
from tests.conftest import kiosque_env
from tests.helpers.feed_site import FeedSite, Resource, orangesum_stories


@pytest.fixture
def news_site():
    site = FeedSite().start()
    yield site
    site.stop()


def test_subscriptions_are_kept_in_the_store_and_settable_in_env(tmp_path, cache_dir):
    store = tmp_path / "store"
    env = kiosque_env(store, cache_dir, KIOSQUE_FEEDS_URLS="Le Canard=http://127.0.0.1:9/canard.rss")
    assert "Subscribed to http://127.0.0.1:9/a.rss (outlet: Orange Actu)" in kiosque(
        "feeds", "add", "http://127.0.0.1:9/a.rss", "--outlet", "Orange Actu", env=env).stdout
    kiosque("feeds", "add", "http://127.0.0.1:9/b.atom", env=env)
    bad = kiosque("feeds", "add", "www.example.org/rss", env=env, check=False)
    assert bad.returncode == 2 and bad.stderr.strip() == (
        "error: 'www.example.org/rss' is not a web address: give the feed's http:// or https:// URL")

    listed = json.loads(kiosque("feeds", "list", "--json", env=env).stdout)["feeds"]
    assert [(f["url"], f["outlet"], f["origin"]) for f in listed] == [
        ("http://127.0.0.1:9/a.rss", "Orange Actu", "store"), ("http://127.0.0.1:9/b.atom", None, "store"),
        ("http://127.0.0.1:9/canard.rss", "Le Canard", "settings")]
    assert (store / "feeds.sqlite").exists()  # in the store: it travels with it

    assert "Unsubscribed from http://127.0.0.1:9/a.rss" in kiosque("feeds", "remove", "orange actu", env=env).stdout
    from_env = kiosque("feeds", "remove", "Le Canard", env=env, check=False)
    assert from_env.returncode == 1 and "comes from KIOSQUE_FEEDS_URLS" in from_env.stderr
    text = kiosque("feeds", "list", env=env).stdout
    assert "a.rss" not in text and "b.atom" in text and "Le Canard [.env]" in text and "not read yet" in text

    typo = kiosque("update", env={**env, "KIOSQUE_FEEDS_URLS": "Le Canard http://x"}, check=False)
    assert typo.returncode == 2 and typo.stderr.strip() == (  # a setting is checked when read: one line, exit 2
        "error: invalid setting feeds.urls = 'Le Canard http://x' (KIOSQUE_FEEDS_URLS): 'Le Canard http://x' is not "
        "a feed URL (write http(s)://… or Outlet name=http(s)://…, separated by commas)")
    kiosque("feeds", "remove", "http://127.0.0.1:9/b.atom", env=env)
    none = kiosque("update", env={**env, "KIOSQUE_FEEDS_URLS": ""}, check=False)
    assert none.returncode == 1 and "no feeds to read" in none.stderr


def test_update_then_a_noop_update_then_ingest_urls(tmp_path, cache_dir, news_site):
    fire, bus, suisse = orangesum_stories()[:3]
    news_site.feed("/feeds/orange.atom", "atom", "Orange Actu", [fire, bus], prefix="/actu/")
    news_site.put("/feeds/down.rss", Resource(b"", status=500))
    env = kiosque_env(tmp_path / "store", cache_dir, KIOSQUE_FEEDS_HOST_DELAY_S=0, KIOSQUE_FEEDS_URLS=",".join(
        [news_site.url("/feeds/orange.atom"), news_site.url("/feeds/down.rss")]))

    first = json.loads(kiosque("update", "--json", env=env).stdout)
    assert sorted(a["title"] for a in first["new"]) == sorted([fire.title, bus.title])
    assert {a["outlet"] for a in first["new"]} == {"Orange Actu"} and {a["date"] for a in first["new"]} == {
        fire.date, bus.date}
    [failure] = first["failed"]
    assert failure["line"] == f"feed {news_site.url('/feeds/down.rss')}: HTTP 500 Internal Server Error " \
                              "(retried next run)"

    again = kiosque("update", env=env)
    assert "Read 2 feed(s) (1 not modified, 1 failed) in 2 request(s): 0 new, 0 updated, 0 unchanged, 1 failed; " \
           "0 chunks embedded" in again.stdout
    assert again.stderr.strip().startswith("failed   feed ") and "HTTP 500" in again.stderr

    page = news_site.publish("/actu/suisse.html", suisse, "Le Temps")
    ingested = json.loads(kiosque("ingest", page, news_site.url("/actu/nowhere.html"), "--outlet", "Le Temps",
                                  "--json", env=env).stdout)
    assert [(a["title"], a["outlet"], a["url"]) for a in ingested["new"]] == [(suisse.title, "Le Temps", page)]
    assert [f["line"] for f in ingested["failed"]] == [
        f"page {news_site.url('/actu/nowhere.html')}: HTTP 404 Not Found"]
    assert json.loads(kiosque("status", "--json", env=env).stdout)["articles"] == 3

    gone = kiosque("ingest", news_site.url("/actu/nowhere.html"), env=env, check=False)
    assert gone.returncode == 1 and "HTTP 404" in gone.stderr
    mixed = kiosque("ingest", "seeds", page, env=env, check=False)
    assert mixed.returncode == 2 and "either files and directories or URLs" in mixed.stderr

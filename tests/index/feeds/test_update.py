"""`FeedUpdater` end to end: the local news site, the real store, embedder and ingest."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest

from index.feeds.journal import RETRY_LIMIT
from index.feeds.update import Subscription, UpdateBusy
from index.ingest import Ingester
from index.retrieval import HybridRetriever
from index.store import FileLock
from tests.conftest import MODELS_DIR, ROOT, SEEDS, make_store
from tests.helpers.feed_site import PAGE_ONLY_DATE, Resource, article_page, publish_news, publish_trouble
from tests.index.feeds.conftest import FAST, make_updater


def subscriptions(feeds: dict[str, str], *names: str) -> list[Subscription]:
    return [Subscription(url) for name, url in feeds.items() if not names or name in names]


def by_url(store) -> dict:
    catalog = store.catalog
    return {a.url: a for a in catalog.get_articles(row[0] for row in catalog.article_meta()).values()}


def test_a_poll_adds_the_articles_with_dates_outlets_and_links(site, store, embedder):
    news = publish_news(site)
    updater = make_updater(store, embedder)
    report = updater.update(subscriptions(news.feeds))
    assert not report.failed and report.feeds == 5
    assert len(report.new) == 9 and report.chunks_embedded > 0
    articles = by_url(store)
    assert len(articles) == 9
    for name, story in [*news.seeds.items(), *((s.slug, s) for s in news.orangesum[:4])]:
        url = site.url(f"/articles/{story.slug}.html" if name in news.seeds else f"/actu/{story.slug}.html")
        a = articles[url]
        assert a.title == story.title and a.source == url
        expected = story.date or (PAGE_ONLY_DATE[1] if name == PAGE_ONLY_DATE[0] else None)
        assert (a.date, a.date_source) == (expected, "metadata"), name
        assert story.paragraphs[-1][:60] in a.text, name  # the story, verbatim, to its end
        assert "Rubrique 3" not in a.text and "Newsletter" not in a.text and "Lire aussi" not in a.text
    assert {a.outlet for a in articles.values()} == {"All Israel News", "JForum", "Brussels Morning", "Orange Actu"}
    assert store.verify()["ok"]
    hits = HybridRetriever(store, embedder).search("incendie porte d'Orléans pompiers", k=1)
    assert articles[site.url(f"/actu/{news.orangesum[0].slug}.html")].id == hits.article_ids[0]

    # the second poll: one conditional request per feed, all 304, nothing embedded
    mark, generation = len(site.served), store.catalog.generation
    again = updater.update(subscriptions(news.feeds))
    assert (again.feeds_not_modified, len(again.new), len(again.updated), again.chunks_embedded) == (5, 0, 0, 0)
    assert [s.status for s in site.served[mark:]] == [304] * 5 and again.requests["requests"] == 5
    assert store.catalog.generation == generation  # no commit at all


def test_an_edited_page_is_updated_and_a_withdrawn_item_is_kept(site, store, embedder):
    news = publish_news(site, seeds=False)
    updater = make_updater(store, embedder)
    updater.update(subscriptions(news.feeds))
    fire, bus = news.orangesum[0], news.orangesum[1]
    edited = [p.replace("une centaine de pompiers", "cent vingt pompiers") for p in fire.paragraphs]
    assert edited != fire.paragraphs
    site.edit(fire, edited)
    site.withdraw("/feeds/orange.atom", bus)
    mark = len(site.served)
    report = updater.update(subscriptions(news.feeds))
    assert [a["url"] for a in report.updated] == [site.url(f"/actu/{fire.slug}.html")]
    assert not report.new and not report.failed and report.unchanged == 0
    fetched = [s.path for s in site.served[mark:] if s.path.startswith("/actu/")]
    assert fetched == [f"/actu/{fire.slug}.html"]  # only the item the feed says changed
    articles = by_url(store)
    assert "cent vingt pompiers" in articles[site.url(f"/actu/{fire.slug}.html")].text
    assert site.url(f"/actu/{bus.slug}.html") in articles  # gone from the feed, still indexed
    assert store.verify()["ok"]


def test_every_failure_is_reported_in_one_line_and_retried_next_run(site, store, embedder):
    trouble = publish_trouble(site, timeout_s=FAST.timeout_s, max_bytes=FAST.max_bytes)
    updater = make_updater(store, embedder)
    report = updater.update(subscriptions(trouble.feeds))
    lines = {f.url: f.line() for f in report.failed}
    expected = {trouble.pages[n]: why for n, why in trouble.reasons.items() if not n.startswith("feed-")}
    expected |= {trouble.feeds[n[5:]]: why for n, why in trouble.reasons.items() if n.startswith("feed-")}
    assert set(lines) == set(expected)
    for url, why in expected.items():
        assert why in lines[url] and url in lines[url] and "\n" not in lines[url], lines[url]
        assert lines[url].endswith("(retried next run)")
    # the rest of the run went on: the gzip and Latin-1 feeds and pages were read
    articles = by_url(store)
    assert set(articles) == {trouble.pages["gzip"], trouble.pages["latin1"]}
    assert "disparu vendredi 18 mai à Lavars" in articles[trouble.pages["latin1"]].text
    assert articles[trouble.pages["gzip"]].date == trouble.gzipped.date

    # the site heals: the page that said 500 now answers, and the feed that said 500 is a feed again
    site.put("/broken/error.html", Resource(article_page(trouble.latin1, "Le Canard").replace(
        b"Lavars", b"Lavars (Is\xc3\xa8re)"), "text/html; charset=utf-8"))
    site.put("/feeds/error.rss", site.resources["/feeds/gzip.rss"])
    mark = len(site.served)
    report = updater.update(subscriptions(trouble.feeds))
    retried = {s.path for s in site.served[mark:]}
    assert {"/broken/missing.html", "/broken/slow.html", "/broken/error.html", "/feeds/missing.rss"} <= retried
    assert [a["url"] for a in report.new] == [trouble.pages["error"]]
    assert trouble.feeds["error"] not in {f.url for f in report.failed}
    assert store.verify()["ok"]

    # an item that keeps failing is left alone after RETRY_LIMIT runs, until its feed changes it
    for _ in range(RETRY_LIMIT - 2):
        report = updater.update(subscriptions(trouble.feeds, "pages"))
    assert {f.url for f in report.failed if f.gave_up} == {u for n, u in trouble.pages.items()
                                                          if n not in ("gzip", "latin1", "error")}
    mark = len(site.served)
    assert not updater.update(subscriptions(trouble.feeds, "pages")).failed
    assert [s.path for s in site.served[mark:]] == ["/feeds/pages.rss"]


def test_a_corpus_sync_keeps_the_articles_from_the_web(site, store, embedder):
    news = publish_news(site, seeds=False)
    Ingester(store, embedder).run([SEEDS], corpus_root=SEEDS, sync=True)
    make_updater(store, embedder).update(subscriptions(news.feeds))
    report = Ingester(store, embedder).run([SEEDS], corpus_root=SEEDS, sync=True)
    assert report.articles_removed == 0 and store.catalog.counts()["articles"] == 5 + 4


def test_one_update_at_a_time(site, store, embedder):
    updater = make_updater(store, embedder)
    held = FileLock(store.dir / "feeds.lock")
    assert held.acquire()
    try:
        with pytest.raises(UpdateBusy, match=r"another feed update is running .*pid \d+"):
            updater.update([Subscription(site.url("/feeds/none.rss"))])
    finally:
        held.release()


@pytest.mark.slow
@pytest.mark.parametrize("point", ["embedding", "journal"])
def test_a_crash_mid_update_leaves_the_index_answering_and_the_next_run_converges(point, site, tmp_path, embedder,
                                                                                  cache_dir):
    news = publish_news(site, seeds=False)
    store_dir = tmp_path / "store"
    store = make_store(store_dir)
    Ingester(store, embedder).run([SEEDS], corpus_root=SEEDS, sync=True)
    store.close()
    proc = subprocess.run(
        [sys.executable, "-m", "tests.index.feeds.update_crash_runner", str(store_dir), str(cache_dir),
         str(MODELS_DIR), point, *news.feeds.values()], cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert proc.returncode == -signal.SIGKILL, proc.stdout + proc.stderr

    store = make_store(store_dir)
    hits = HybridRetriever(store, embedder).search("Qui a rencontré Shoigu à Téhéran ?", k=3)
    assert hits.article_ids[0] == "003_747d8f32a30fbfc0"  # the index answers
    check = store.verify()
    assert check["missing_from_chroma"] == check["missing_from_keyword"] == check["extra_in_keyword"] == 0
    committed = len(store.catalog.web_article_ids())
    assert committed == (2 if point == "journal" else 0)  # the first batch of two, or nothing

    updater = make_updater(store, embedder)
    report = updater.update(subscriptions(news.feeds))
    assert not report.failed and len(report.new) == 4 - committed and report.unchanged == committed
    assert len(store.catalog.web_article_ids()) == 4
    final = store.verify()
    assert final["ok"] and final["orphans_in_chroma"] == 0 and final["pending_leftovers"] == 0, final
    assert updater.journal.due_items() == []
    again = updater.update(subscriptions(news.feeds))
    assert again.feeds_not_modified == 2 and again.chunks_embedded == 0 and not again.new
    store.close()

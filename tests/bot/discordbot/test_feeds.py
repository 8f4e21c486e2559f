"""The bot keeps up with the news: its background poll, the news channel, /feeds and /status, and articles
that `kiosque update` adds from another process (Chroma server mode) — all against the fake Discord and a
local news site, with the real answerer, embedder and store."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys

import pytest

from bot.discordbot.cogs import feeds as feeds_cog
from bot.discordbot.engine import KiosqueEngine
from bot.discordbot.formatting import ZWSP, news_messages
from tests.bot.discordbot.conftest import make_kiosque
from tests.bot.discordbot.test_bot import ask_by_mention, shown
from tests.conftest import ROOT, kiosque_env
from tests.helpers.chroma_server import chroma_server
from tests.helpers.feed_site import FeedSite, orangesum_stories

#: answerable only from the OrangeSum article about a coach crash in Switzerland
SUISSE = "Combien de blessés dans l'accident de car en Suisse ?"
#: every 0.6 s: several polls within a test
POLL_MINUTES = 0.01
#: a new article's page takes this long to serve: long enough that a poll blocking the gateway shows
SLOW_PAGE_S = 2.0


@pytest.fixture
def news_site():
    site = FeedSite().start()
    yield site
    site.stop()


def publish(site: FeedSite, *stories) -> str:
    site.feed("/feeds/orange.atom", "atom", "Orange Actu", list(stories), prefix="/actu/")
    return site.url("/feeds/orange.atom")


def news_lines(fake) -> list[str]:
    return [line for m in fake.bot_messages(fake.elsewhere) for line in m["content"].splitlines()]


async def wait_until(condition, timeout: float = 60.0) -> None:
    for _ in range(int(timeout / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("timed out")


def expected_line(site, story, date_fr: str) -> str:
    return f"📰 {story.title} — Orange Actu, {date_fr} <{site.url(f'/actu/{story.slug}.html')}>"


def test_news_lines_are_inert_one_per_article_and_capped():
    hostile = {"title": "@everyone **Alerte** <@123>", "outlet": "Le_Canard", "date": "2026-01-12",
               "url": "https://ex.fr/a b"}
    [message] = news_messages([hostile], "fr")
    # inert mentions, escaped Markdown, and no link: a URL with a space could break out of <…>
    assert message == f"📰 @{ZWSP}everyone \\*\\*Alerte\\*\\* <@{ZWSP}123> — Le\\_Canard, 12 janvier 2026"
    many = [{"title": f"Article {i}", "outlet": "O", "date": None, "url": f"https://ex.fr/{i}"} for i in range(25)]
    lines = "\n".join(news_messages(many, "en")).splitlines()
    assert len(lines) == 21 and lines[0] == "📰 Article 0 — O, date unknown <https://ex.fr/0>"
    assert lines[-1] == "… and 5 more new article(s)."


async def test_the_background_poll_brings_news_without_a_restart(fake, start_bot, tmp_path, embedder, cache_dir,
                                                                 news_site):
    fire, suisse = orangesum_stories()[0], orangesum_stories()[2]
    feed = publish(news_site, fire)
    kiosque = make_kiosque(tmp_path, embedder, cache_dir, feeds__urls=[feed], feeds__host_delay_s=0.0)
    start = asyncio.get_running_loop().time()
    await start_bot(KiosqueEngine(kiosque), poll_minutes=POLL_MINUTES, news_channel=str(fake.elsewhere))

    # the first poll runs at start: the fire article is indexed and announced, one line
    await wait_until(lambda: news_lines(fake))
    assert [shown(line) for line in news_lines(fake)] == [expected_line(news_site, fire, "11 juin 2020")]
    _, before = await ask_by_mention(fake, SUISSE)
    assert suisse.title not in shown(before["content"])

    # the site publishes a new article, slow to fetch; a later poll indexes it, the bot answers from it, one more line
    news_site.publish(f"/actu/{suisse.slug}.html", suisse, "Orange Actu", delay_s=SLOW_PAGE_S)
    publish(news_site, fire, suisse)
    await wait_until(lambda: len(news_lines(fake)) == 2)
    assert shown(news_lines(fake)[1]) == expected_line(news_site, suisse, "16 décembre 2018")
    _, answer = await ask_by_mention(fake, SUISSE)
    content = shown(answer["content"])
    # the new article is what answers now (which of its sentences is the reader's business, tested elsewhere)
    assert suisse.title in content and not content.startswith("Les articles ne le disent pas")
    assert f"<{news_site.url(f'/actu/{suisse.slug}.html')}>" in content  # the source links to the article

    # polls keep running (all 304 now) and announce nothing twice; the gateway never waited on them: a poll
    # run on the event loop would have stopped the heartbeat for the slow page's seconds at least (the bound
    # leaves room for a busy machine: a full CI run once saw a 0.67 s gap with the poll off the loop)
    polls = len(news_site.requests_to("/feeds/orange.atom"))
    await wait_until(lambda: len(news_site.requests_to("/feeds/orange.atom")) >= polls + 2)
    assert len(news_lines(fake)) == 2
    assert {s.status for s in news_site.requests_to("/feeds/orange.atom")[polls:]} == {304}
    end = asyncio.get_running_loop().time()
    beats = [t for t in fake.heartbeats if start <= t <= end]
    assert max(b - a for a, b in zip(beats, beats[1:])) < SLOW_PAGE_S / 2

    # /status shows the last poll, to anyone; /feeds lists the feeds, to admins only
    mark = fake.mark()
    await fake.slash("status", user=fake.alice)
    status = await fake.wait_for(lambda c: c.path.startswith("/webhooks/"), after=mark)
    assert re.search(r"Dernière relève des flux : \S+ \S+ \(0 nouveau\(x\), 0 mis à jour, 0 échec\(s\)\)",
                     status.body["content"]), status.body["content"]
    mark = fake.mark()
    await fake.slash("feeds", user=fake.alice)
    refusal = await fake.wait_for(lambda c: c.path.endswith("/callback"), after=mark)
    assert "réservée aux administrateurs" in refusal.body["data"]["content"]
    mark = fake.mark()
    await fake.slash("feeds", user=fake.bob)
    listing = await fake.wait_for(lambda c: c.path.startswith("/webhooks/"), after=mark)
    text = shown(listing.body["content"])
    assert "Flux suivis (1)" in text and f"Orange Actu <{feed}>" in text and "not modified" in text
    kiosque.close()


@pytest.mark.slow
async def test_articles_added_by_cron_in_another_process_are_answered_and_announced(
        fake, start_bot, tmp_path, embedder, cache_dir, news_site, monkeypatch):
    """Chroma server mode: `kiosque update` runs in another process (as cron would) while the bot serves."""
    suisse = orangesum_stories()[2]
    feed = publish(news_site, suisse)
    monkeypatch.setattr(feeds_cog, "NEWS_CHECK_SECONDS", 0.2)
    with chroma_server(tmp_path / "chroma-data") as port:
        kiosque = make_kiosque(tmp_path, embedder, cache_dir, store__chroma_mode="server", store__chroma_port=port)
        await start_bot(KiosqueEngine(kiosque), news_channel=str(fake.elsewhere))  # the bot itself never polls
        _, before = await ask_by_mention(fake, SUISSE)
        assert suisse.title not in shown(before["content"])

        env = kiosque_env(tmp_path / "store", cache_dir, KIOSQUE_STORE_CHROMA_MODE="server",
                          KIOSQUE_STORE_CHROMA_PORT=port, KIOSQUE_FEEDS_URLS=f"Orange Actu={feed}",
                          KIOSQUE_FEEDS_HOST_DELAY_S=0)
        cron = await asyncio.to_thread(
            subprocess.run, [sys.executable, "-m", "bot.cli.main", "update", "--json"], cwd=ROOT, env=env,
            capture_output=True, text=True, timeout=240)
        assert cron.returncode == 0, cron.stderr
        assert [a["title"] for a in json.loads(cron.stdout)["new"]] == [suisse.title]

        _, answer = await ask_by_mention(fake, SUISSE)  # the same bot, no restart
        assert suisse.title in shown(answer["content"])
        await wait_until(lambda: news_lines(fake))
        assert [shown(line) for line in news_lines(fake)] == [expected_line(news_site, suisse, "16 décembre 2018")]
        kiosque.close()

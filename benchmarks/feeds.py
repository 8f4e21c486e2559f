"""Feeds at scale: 50 local feeds × 20 OrangeSum articles on 10 local sites (tests/helpers/feed_site.py).

Measures, in one run:
- the first poll (every page fetched, extracted, embedded) against a baseline: ingesting the same
  articles from a JSONL file into another store (what the poll costs beyond the embedding);
- the no-op poll (nothing changed) against a poll that ignores ETag / Last-Modified (every feed downloaded
  and parsed again): requests, bytes, wall time;
- the bot's answer latency (the real bot against the fake Discord, questions one at a time) while its
  background poll fetches and embeds new articles, against the same questions with no poll running.

    .venv/bin/python benchmarks/feeds.py ../shared/data/orangesum [--feeds 50] [--items 20] [--sites 10]
        [--host-delay 0.1] [--fresh 100] [--out runs/benchmarks/feeds.json]

The embedding cache is off (every figure computes its embeddings); the per-host delay is lowered from the
default 1 s to --host-delay, since every site is on this machine (with 1 s, 100 pages per site would wait
~100 s by design).
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, record, table  # noqa: E402  (puts the checkout on sys.path)

import discord  # noqa: E402
import yarl  # noqa: E402

from bot.discordbot.client import KiosqueBot  # noqa: E402
from bot.discordbot.engine import KiosqueEngine  # noqa: E402
from bot.settings import DiscordSettings, load_settings  # noqa: E402
from bot.wiring import Kiosque  # noqa: E402
from index.ingest import Ingester  # noqa: E402
from tests.bot.discordbot.fake_discord import FakeDiscord  # noqa: E402
from tests.bot.discordbot.test_bot import ref_id  # noqa: E402
from tests.helpers.feed_site import FeedSite, Story, paragraphs_of  # noqa: E402


def load_stories(data_dir: Path, n: int) -> list[Story]:
    out = []
    with gzip.open(Path(data_dir) / "articles.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            out.append(Story(r["doc_id"], r["title"], paragraphs_of(r["text"]), date=r["date"]))
            if len(out) == n:
                break
    return out


def p(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def served(sites: list[FeedSite]) -> int:
    return sum(len(s.served) for s in sites)


def poll(kiosque: Kiosque, sites: list[FeedSite], name: str) -> dict:
    before, started = served(sites), time.perf_counter()
    report = kiosque.update_feeds()
    seconds = time.perf_counter() - started
    return {"poll": name, "seconds": round(seconds, 2), "fetch_seconds": report.fetch_seconds,
            "requests": report.requests["requests"],
            "served": served(sites) - before, "bytes": report.requests["bytes"],
            "statuses": report.requests["by_status"], "new": len(report.new), "unchanged": report.unchanged,
            "failed": len(report.failed), "chunks_embedded": report.chunks_embedded}


async def latency(kiosque: Kiosque, questions: list[str], during) -> dict:
    """Questions one at a time through the fake Discord: idle, during ``during()`` (a coroutine), idle again."""
    fake = FakeDiscord(heartbeat_ms=1000).start()
    discord.http.Route.BASE = fake.api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)
    engine = KiosqueEngine(kiosque)
    engine.warm_up()
    bot = KiosqueBot(DiscordSettings(rate_limit_count=10**6, open_threads=False), engine, guild_ready_timeout=0.05)
    task = asyncio.create_task(bot.start(fake.token))
    while not bot.is_ready():
        if task.done():
            task.result()
        await asyncio.sleep(0.05)

    async def ask(q: str) -> float:
        mark, t0 = fake.mark(), time.monotonic()
        posted = await fake.say(q, mention_bot=True)
        call = await fake.wait_for(lambda c: c.method == "POST" and isinstance(c.body, dict)
                                   and ref_id(c.body) == posted["id"], after=mark, timeout=600)
        return (call.at - t0) * 1000

    try:
        for q in questions[:3]:  # warm-up, not counted
            await ask(q)
        idle = [await ask(q) for q in questions]
        background = asyncio.create_task(during(bot))
        busy = []
        while not background.done():
            busy.append(await ask(questions[len(busy) % len(questions)]))
        poll_report = await background
        idle_after = [await ask(q) for q in questions]
    finally:
        await bot.close()
        await asyncio.wait_for(task, 10)
        fake.stop()
    return {"idle_ms": idle, "during_poll_ms": busy, "idle_after_ms": idle_after, "poll": poll_report}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="the OrangeSum directory (articles.jsonl.gz)")
    parser.add_argument("--feeds", type=int, default=50)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--sites", type=int, default=10)
    parser.add_argument("--host-delay", type=float, default=0.1)
    parser.add_argument("--fresh", type=int, default=100, help="new articles the background poll brings")
    parser.add_argument("--questions", type=int, default=30)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()

    total = args.feeds * args.items
    stories = load_stories(args.data, total + args.fresh)
    sites = [FeedSite().start() for _ in range(args.sites)]
    tmp = Path(tempfile.mkdtemp(prefix="kiosque-feeds-bench-"))
    feeds = []
    for f in range(args.feeds):
        site = sites[f % args.sites]
        path = f"/feeds/f{f}.atom" if f % 2 else f"/feeds/f{f}.rss"
        site.feed(path, "atom" if f % 2 else "rss", f"Site {f % args.sites}",
                  stories[f * args.items:(f + 1) * args.items], prefix=f"/f{f}/")
        feeds.append(site.url(path))
    settings = load_settings(None, store__dir=tmp / "store", corpus__dir=ROOT / "seeds", embed__cache=False,
                             feeds__urls=feeds, feeds__host_delay_s=args.host_delay)
    kiosque = Kiosque(settings)
    results: dict = {"feeds": args.feeds, "items": args.items, "sites": args.sites, "host_delay_s": args.host_delay,
                     "host_concurrency": settings.feeds.host_concurrency}
    try:
        kiosque.ingest()  # the seeds, so that the bot has questions to answer
        kiosque.embedder.embed_queries(["warm-up"])
        first = poll(kiosque, sites, "first poll")
        noop = poll(kiosque, sites, "no-op poll")
        kiosque.feeds.db.execute("UPDATE feeds SET etag = NULL, last_modified = NULL")
        naive = poll(kiosque, sites, "poll without ETag / Last-Modified")

        # baseline: the same articles from a JSONL file, into another store, same embedder
        jsonl = tmp / "same.jsonl"
        jsonl.write_text("".join(json.dumps({"id": s.slug, "title": s.title, "text": "\n".join(s.paragraphs),
                                             "date": s.date}, ensure_ascii=False) + "\n" for s in stories[:total]),
                         encoding="utf-8")
        other = Kiosque(load_settings(None, store__dir=tmp / "baseline", embed__cache=False))
        started = time.perf_counter()
        base = Ingester(other.store, kiosque.embedder).run([jsonl])
        baseline = {"poll": "baseline: same articles ingested from JSONL", "seconds":
                    round(time.perf_counter() - started, 2), "requests": 0, "new": base.articles_added,
                    "chunks_embedded": base.chunks_embedded}
        other.close()
        results["polls"] = [first, noop, naive, baseline]

        # latency: new articles appear on every site; the bot's own background poll brings them in
        for i, story in enumerate(stories[total:]):
            f = i % args.feeds
            sites[f % args.sites].append(f"/feeds/f{f}.atom" if f % 2 else f"/feeds/f{f}.rss", story, prefix=f"/f{f}/")

        async def background_poll(bot):
            return await bot.get_cog("Feeds").poll()

        questions = [json.loads(line)["question"] for line in (ROOT / "evals" / "seeds.jsonl").open(encoding="utf-8")
                     ][: args.questions]
        lat = asyncio.run(latency(kiosque, questions, background_poll))
        results["latency"] = {k: {"n": len(v), "p50": round(statistics.median(v), 1), "p95": round(p(v, 0.95), 1)}
                              for k, v in lat.items() if k.endswith("_ms")}
        results["latency"]["background_poll"] = {k: lat["poll"][k] for k in ("seconds", "chunks_embedded")} | {
            "new": len(lat["poll"]["new"])}
        results["latency_raw_ms"] = {k: v for k, v in lat.items() if k.endswith("_ms")}
    finally:
        kiosque.close()
        for s in sites:
            s.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    print(table(results["polls"], ["poll", "seconds", "fetch_seconds", "requests", "bytes", "new", "chunks_embedded"],
                f"{args.feeds} feeds × {args.items} items on {args.sites} local sites"))
    rows = [{"when": k, **v} for k, v in results["latency"].items() if k.endswith("_ms")]
    print(table(rows, ["when", "n", "p50", "p95"], "Bot answer latency (ms), questions one at a time"))
    lt = results["latency"]
    ratio = lt["during_poll_ms"]["p95"] / lt["idle_ms"]["p95"]
    results["p95_ratio_during_vs_idle"] = round(ratio, 2)
    print(f"p95 during the poll / idle: {ratio:.2f}× (poll: {lt['background_poll']})")
    print(f"JSON: {record('feeds', results, args.out)}")


if __name__ == "__main__":
    sys.exit(main())

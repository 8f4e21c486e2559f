"""Feeds at scale: 50 local feeds × 20 OrangeSum articles on 10 local sites (tests/helpers/feed_site.py).

Measures, in one run:
- the first poll (every page fetched, extracted, embedded) against a baseline: ingesting the same
  articles from a JSONL file into another store (what the poll costs beyond the embedding);
- the no-op poll (nothing changed) against a poll that ignores ETag / Last-Modified (every feed downloaded
  and parsed again): requests, bytes, wall time;
- the bot's answer latency (the real bot against the fake Discord, questions one at a time) while its
  background poll fetches and embeds new articles, against the same questions with no poll running just
  before, in interleaved rounds (the machine is shared: the median of the per-round p95 ratios).

    .venv/bin/python benchmarks/feeds.py ../shared/data/orangesum [--feeds 50] [--items 20] [--sites 10]
        [--host-delay 0.1] [--fresh 120] [--rounds 3] [--out runs/benchmarks/feeds.json]

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


async def latency(kiosque: Kiosque, questions: list[str], rounds: int, publish) -> list[dict]:
    """Rounds of: the questions one at a time with nothing else running, then ``publish(round)`` (new
    articles on the sites) and the bot's own background poll, with questions one at a time until it ends."""
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

    out = []
    try:
        for q in questions[:3]:  # warm-up, not counted
            await ask(q)
        for r in range(rounds):
            idle = [await ask(q) for q in questions]
            publish(r)
            background = asyncio.create_task(bot.get_cog("Feeds").poll())
            busy = []
            while not background.done():
                busy.append(await ask(questions[len(busy) % len(questions)]))
            report = await background
            out.append({"round": r + 1, "idle_ms": idle, "during_poll_ms": busy, "poll_seconds": report.seconds,
                        "poll_new": len(report.new), "poll_chunks_embedded": report.chunks_embedded})
    finally:
        await bot.close()
        await asyncio.wait_for(task, 10)
        fake.stop()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="the OrangeSum directory (articles.jsonl.gz)")
    parser.add_argument("--feeds", type=int, default=50)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--sites", type=int, default=10)
    parser.add_argument("--host-delay", type=float, default=0.1)
    parser.add_argument("--fresh", type=int, default=120, help="new articles the background polls bring, in all")
    parser.add_argument("--rounds", type=int, default=3, help="idle / during-a-poll rounds for the latency")
    parser.add_argument("--questions", type=int, default=20)
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

        # baseline: the same articles from JSONL files, in the same batches, into another store
        batch = settings.feeds.batch_articles
        files = []
        for i in range(0, total, batch):
            files.append(tmp / f"same-{i // batch:03d}.jsonl")
            files[-1].write_text("".join(json.dumps({"id": s.slug, "title": s.title, "text": "\n".join(s.paragraphs),
                                                     "date": s.date}, ensure_ascii=False) + "\n"
                                         for s in stories[i:min(i + batch, total)]), encoding="utf-8")
        other = Kiosque(load_settings(None, store__dir=tmp / "baseline", embed__cache=False))
        started, added, embedded = time.perf_counter(), 0, 0
        for path in files:
            base = Ingester(other.store, kiosque.embedder).run([path])
            added, embedded = added + base.articles_added, embedded + base.chunks_embedded
        baseline = {"poll": f"baseline: same articles from JSONL, {len(files)} ingests of {batch}",
                    "seconds": round(time.perf_counter() - started, 2), "requests": 0, "new": added,
                    "chunks_embedded": embedded}
        other.close()
        results["polls"] = [first, noop, naive, baseline]

        # latency: each round, new articles appear on the sites and the bot's own background poll brings them in
        fresh = stories[total:]
        per_round = len(fresh) // args.rounds

        def publish(r: int) -> None:
            for i, story in enumerate(fresh[r * per_round:(r + 1) * per_round]):
                f = (i * 7 + r) % args.feeds
                sites[f % args.sites].append(f"/feeds/f{f}.atom" if f % 2 else f"/feeds/f{f}.rss", story,
                                             prefix=f"/f{f}/")

        questions = [json.loads(line)["question"] for line in (ROOT / "evals" / "seeds.jsonl").open(encoding="utf-8")
                     ][: args.questions]
        results["latency"] = asyncio.run(latency(kiosque, questions, args.rounds, publish))
    finally:
        kiosque.close()
        for s in sites:
            s.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    rows = []
    for r in results["latency"]:
        row = {"round": r["round"], "poll_s": r["poll_seconds"], "new": r["poll_new"]}
        for key in ("idle_ms", "during_poll_ms"):
            row[key[:-3] + " n"] = len(r[key])
            row[key[:-3] + " p50"] = round(statistics.median(r[key]), 1)
            row[key[:-3] + " p95"] = round(p(r[key], 0.95), 1)
        row["p95 ratio"] = round(row["during_poll p95"] / row["idle p95"], 2)
        rows.append(row)
    results["latency_rounds"] = rows
    results["p95_ratio_median"] = statistics.median(r["p95 ratio"] for r in rows)
    print(table(results["polls"], ["poll", "seconds", "fetch_seconds", "requests", "bytes", "new", "chunks_embedded"],
                f"{args.feeds} feeds × {args.items} items on {args.sites} local sites"))
    print(table(rows, ["round", "poll_s", "new", "idle n", "idle p50", "idle p95", "during_poll n", "during_poll p50",
                       "during_poll p95", "p95 ratio"], "Bot answer latency (ms), questions one at a time"))
    print(f"p95 during a poll / idle, median of {args.rounds} rounds: {results['p95_ratio_median']:.2f}×")
    print(f"JSON: {record('feeds', results, args.out)}")


if __name__ == "__main__":
    sys.exit(main())

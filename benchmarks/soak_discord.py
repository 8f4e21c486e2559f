"""Soak: thousands of questions to the real bot through the fake Discord server (tests/), over the
seeds. Prints RSS every 500 questions and the heartbeat's worst gap; writes JSON.

    .venv/bin/python benchmarks/soak_discord.py [--questions 3000] [--out runs/soak.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import discord  # noqa: E402
import yarl  # noqa: E402

from bot.discordbot.client import KiosqueBot  # noqa: E402
from bot.discordbot.engine import KiosqueEngine  # noqa: E402
from bot.settings import DiscordSettings, load_settings  # noqa: E402
from bot.wiring import Kiosque  # noqa: E402
from tests.bot.discordbot.fake_discord import FakeDiscord  # noqa: E402
from tests.bot.discordbot.test_load import QUESTIONS, rss_mb  # noqa: E402
from tests.bot.discordbot.test_bot import replying_to  # noqa: E402


async def soak(n: int, heartbeat_ms: int) -> dict:
    fake = FakeDiscord(heartbeat_ms=heartbeat_ms).start()
    discord.http.Route.BASE = fake.api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)
    tmp = Path(tempfile.mkdtemp(prefix="kiosque-soak-"))
    shutil.copytree(ROOT / "seeds", tmp / "corpus")
    kiosque = Kiosque(load_settings(None, store__dir=tmp / "store", corpus__dir=tmp / "corpus"))
    kiosque.ingest(in_serving_process=True)
    engine = KiosqueEngine(kiosque)
    engine.warm_up()
    bot = KiosqueBot(DiscordSettings(rate_limit_count=10**6, feedback_file=tmp / "fb.jsonl"), engine,
                     guild_ready_timeout=0.05)
    task = asyncio.create_task(bot.start(fake.token))
    while not bot.is_ready():  # wait_until_ready() refuses to run before login has begun
        if task.done():
            task.result()
        await asyncio.sleep(0.05)
    users = [fake.alice, fake.bob, fake.carol]
    samples, started = [], time.monotonic()
    try:
        for offset in range(0, n, 20):
            mark = fake.mark()
            posted = await asyncio.gather(*(
                fake.say(f"{QUESTIONS[(offset + i) % len(QUESTIONS)]} ({offset + i})", mention_bot=True,
                         user=users[i % 3]) for i in range(min(20, n - offset))))
            await asyncio.gather(*(fake.wait_for_message(replying_to(q), after=mark, timeout=600) for q in posted))
            fake.calls.clear()
            done = offset + len(posted)
            if done % 500 == 0 or done == n:
                samples.append({"questions": done, "rss_mb": round(rss_mb(), 1),
                                "seconds": round(time.monotonic() - started, 1)})
                print(f"{done:>6} questions  RSS {samples[-1]['rss_mb']:>7.1f} MB  {samples[-1]['seconds']:>7.1f} s",
                      flush=True)
        beats = fake.heartbeats
        gaps = [b - a for a, b in zip(beats, beats[1:])]
        return {"questions": n, "samples": samples, "answers_remembered": len(bot.memory),
                "heartbeat_interval_s": heartbeat_ms / 1000, "worst_heartbeat_gap_s": round(max(gaps), 3)}
    finally:
        await bot.close()
        await asyncio.wait_for(task, 10)
        fake.stop()
        kiosque.close()
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=3000)
    parser.add_argument("--heartbeat-ms", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=Path("runs/soak.json"))
    args = parser.parse_args()
    result = asyncio.run(soak(args.questions, args.heartbeat_ms))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    first, last = result["samples"][0], result["samples"][-1]
    print(f"RSS {first['rss_mb']} MB after {first['questions']} -> {last['rss_mb']} MB after {last['questions']}; "
          f"worst heartbeat gap {result['worst_heartbeat_gap_s']} s (interval {result['heartbeat_interval_s']} s); "
          f"JSON: {args.out}")


if __name__ == "__main__":
    main()

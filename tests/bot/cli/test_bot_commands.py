"""`kiosque bot` as a user runs it: a real subprocess, against the fake Discord.

A missing or refused token is one line and exit code 1; a running bot answers, holds the store against
other processes' ingests, stops cleanly on SIGTERM, and never writes its token anywhere it logs.
"""

from __future__ import annotations

import asyncio
import secrets
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.bot.discordbot.fake_discord import FakeDiscord
from tests.conftest import SEEDS, kiosque_env, make_store

KIOSQUE = Path(sys.executable).parent / "kiosque"
RUNNER = Path(__file__).with_name("run_bot_against_fake.py")


def fake_token() -> str:
    """Shaped like a Discord token, unique, so a search for it in the output cannot match by chance."""
    return f"MTA{secrets.token_hex(12)}.G{secrets.token_hex(3)}.{secrets.token_urlsafe(27)}"


@pytest.fixture
def fake():
    server = FakeDiscord(token=fake_token()).start()
    yield server
    server.stop()


def bot_env(tmp_path, cache_dir, fake: FakeDiscord | None = None, **extra) -> dict[str, str]:
    env = kiosque_env(tmp_path / "store", cache_dir, **extra)
    if fake is not None:
        env.update(FAKE_DISCORD_API=fake.api_base, FAKE_DISCORD_GATEWAY=fake.gateway_url)
    return env


def test_missing_token_is_one_line(tmp_path, cache_dir):
    proc = subprocess.run([str(KIOSQUE), "bot"], env=bot_env(tmp_path, cache_dir), cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert lines[0].startswith("error: KIOSQUE_DISCORD_TOKEN is not set: create a bot at "
                               "https://discord.com/developers/applications")
    assert ".env" in lines[0]


def test_refused_token_is_one_line_and_never_printed(tmp_path, cache_dir, fake):
    wrong = fake_token()
    proc = subprocess.run([sys.executable, str(RUNNER), "bot"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120, env=bot_env(tmp_path, cache_dir, fake, KIOSQUE_DISCORD_TOKEN=wrong))
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert lines == [lines[-1]] and lines[0].startswith("error: Discord refused the token"), proc.stderr
    assert wrong not in proc.stdout + proc.stderr
    assert [c.status for c in fake.calls] == [401]  # it stopped at the first refusal


async def test_running_bot_answers_holds_the_store_and_never_logs_its_token(tmp_path, cache_dir, embedder, fake):
    from index.ingest import Ingester

    store = make_store(tmp_path / "store")
    Ingester(store, embedder).run([SEEDS], corpus_root=SEEDS, sync=True)
    store.close()
    env = bot_env(tmp_path, cache_dir, fake, KIOSQUE_DISCORD_TOKEN=fake.token, KIOSQUE_LOG_LEVEL="DEBUG")
    log_path = tmp_path / "bot.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen([sys.executable, str(RUNNER), "bot"], cwd=tmp_path, env=env, stdout=log,
                                stderr=subprocess.STDOUT)
    try:
        for _ in range(1200):  # login, model load, gateway, guilds
            if "connected to Discord as Kiosque" in log_path.read_text() or proc.poll() is not None:
                break
            await asyncio.sleep(0.1)
        assert fake.identify is not None and proc.poll() is None, log_path.read_text()
        mark = fake.mark()
        question = await fake.say("Qui a rencontré Shoigu à Téhéran ?", mention_bot=True)
        answer = await fake.wait_for_message(
            lambda b: str((b.get("message_reference") or {}).get("message_id")) == question["id"],
            after=mark, timeout=60)
        assert "**Sources**" in answer["content"]

        ingest = subprocess.run([str(KIOSQUE), "ingest"], cwd=tmp_path, env=env, capture_output=True, text=True,
                                timeout=300)
        assert ingest.returncode == 1 and "reindex through it (/reindex)" in ingest.stderr, ingest.stderr
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(60)
    output = log_path.read_text()
    assert code == 0 and output.rstrip().endswith("stopped"), output
    assert "answered" in output
    assert fake.token not in output
    assert all(fake.token not in p.read_text(errors="replace") for p in tmp_path.rglob("*")
               if p.is_file() and p.stat().st_size < 10_000_000 and "chroma" not in p.parts)

"""`kiosque …` in a subprocess whose discord.py talks to the fake Discord of the test that started it.

Discord's addresses are constants of discord.py; this runner points them at FAKE_DISCORD_API and
FAKE_DISCORD_GATEWAY, then runs the real command line (`bot.cli.main`) with the given arguments.
"""

from __future__ import annotations

import os
import sys

import discord
import yarl

discord.http.Route.BASE = os.environ["FAKE_DISCORD_API"]
discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(os.environ["FAKE_DISCORD_GATEWAY"])

from bot.cli.main import app  # noqa: E402

if __name__ == "__main__":
    app(sys.argv[1:], prog_name="kiosque")

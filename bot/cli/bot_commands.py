"""`kiosque bot`: run the Discord bot (and publish its slash commands once, with --sync-commands)."""

from __future__ import annotations

import asyncio
import logging
import signal
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import EnvFileOption, StoreOption, app_for, err

log = logging.getLogger("kiosque.discord")

PORTAL = "https://discord.com/developers/applications"


class Redact(logging.Filter):
    """Belt and braces: whatever a library logs, the token never reaches the log as written."""

    def __init__(self, secret: str):
        super().__init__()
        self.secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secret:
            return True
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if self.secret in message or self.secret in (record.exc_text or "") or self.secret in (record.stack_info or ""):
            record.msg, record.args = message.replace(self.secret, "[token]"), None
            record.exc_text = (record.exc_text or "").replace(self.secret, "[token]") or None
            record.stack_info = (record.stack_info or "").replace(self.secret, "[token]") or None
        return True


def bot(
    sync_commands: Annotated[bool, typer.Option(
        "--sync-commands",
        help="Publish the slash commands (/ask, /timeline, /sources, /reindex, /status, /feeds) to Discord, then "
             "serve. Needed once, and after upgrades that change commands; never done otherwise (Discord "
             "rate-limits it).")] = False,
    store: StoreOption = None,
    env_file: EnvFileOption = Path(".env"),
) -> None:
    """Run the Discord bot: answers /ask, mentions and follow-ups; admins rebuild the index with /reindex."""
    with app_for(store, env_file) as app:
        secret = app.settings.discord.token.get_secret_value().strip() if app.settings.discord.token else ""
        if not secret:
            err.print(f"[red]error:[/red] KIOSQUE_DISCORD_TOKEN is not set: create a bot at {PORTAL} "
                      "(Bot → Reset Token) and put the token in .env (see README, \"Discord\").", soft_wrap=True)
            raise typer.Exit(1)
        for handler in logging.getLogger().handlers:
            handler.addFilter(Redact(secret))
        import discord

        from bot.discordbot.client import KiosqueBot
        from bot.discordbot.engine import KiosqueEngine

        app.store.hold_serving_lock()  # an ingest from another process now refuses: reindex through the bot
        engine = KiosqueEngine(app)
        client = KiosqueBot(app.settings.discord, engine, sync_commands=sync_commands,
                            poll_minutes=app.settings.feeds.interval_minutes)
        try:
            asyncio.run(_serve(client, secret, engine))
        except discord.LoginFailure:
            err.print(f"[red]error:[/red] Discord refused the token (KIOSQUE_DISCORD_TOKEN): copy it again from "
                      f"{PORTAL} → your application → Bot → Reset Token.", soft_wrap=True)
            raise typer.Exit(1) from None
        except discord.PrivilegedIntentsRequired:
            err.print(f"[red]error:[/red] Discord refused the Message Content intent, which plain-message channels "
                      f"need: enable it at {PORTAL} → your application → Bot → Privileged Gateway Intents, or "
                      "empty KIOSQUE_DISCORD_PLAIN_CHANNELS and KIOSQUE_DISCORD_MESSAGE_CONTENT.", soft_wrap=True)
            raise typer.Exit(1) from None
        except (discord.GatewayNotFound, discord.ConnectionClosed, OSError) as exc:
            err.print(f"[red]error:[/red] could not stay connected to Discord: {type(exc).__name__}: "
                      f"{str(exc).replace(secret, '[token]')}", soft_wrap=True)
            raise typer.Exit(1) from None
    err.print("stopped")


async def _serve(client, token: str, engine) -> None:
    """Log in (a bad token fails here, before loading anything), load the model, connect, serve until
    SIGTERM or Ctrl-C."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    loop.add_signal_handler(signal.SIGTERM, task.cancel)
    try:
        async with client:
            await client.login(token)
            await asyncio.to_thread(engine.warm_up)
            await client.connect(reconnect=True)
    except asyncio.CancelledError:
        log.info("stopping")
    finally:
        loop.remove_signal_handler(signal.SIGTERM)

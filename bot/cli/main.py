"""The `kiosque` command. Each command lives in a module of its group; this file only registers them."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Annotated

import typer

from bot.cli import answer_commands, bot_commands, eval_commands, feed_commands, index_commands

app = typer.Typer(
    name="kiosque",
    help="Kiosque answers questions from a corpus of news articles, citing dated, verbatim passages.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)


def _print_version(value: bool) -> None:
    if value:
        try:
            typer.echo(f"kiosque {version('kiosque')}")
        except PackageNotFoundError:  # run from a checkout that was never installed
            typer.echo("kiosque (not installed: no version)")
        raise typer.Exit()


@app.callback()
def _options(
    _version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True,
                                           help="Print Kiosque's version and exit.")] = False,
) -> None:
    """Kiosque answers questions from a corpus of news articles, citing dated, verbatim passages."""


app.command()(index_commands.ingest)
app.command()(index_commands.status)
app.command()(index_commands.search)
app.command()(index_commands.verify)
app.command()(feed_commands.update)
app.add_typer(feed_commands.feeds_app)
app.command()(answer_commands.ask)
app.command()(answer_commands.chat)
app.command()(answer_commands.timeline)
app.command()(bot_commands.bot)
app.command("eval")(eval_commands.eval_)


def main() -> None:
    app()


if __name__ == "__main__":
    main()

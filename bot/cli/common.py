"""What every CLI command shares: options, building the app, printing, turning errors into one line."""

from __future__ import annotations

import json
import logging
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape

from bot.answer.reader.lexicon import detect_language
from bot.dates import date_error_message
from bot.errors import BAD_INPUT_ERRORS, USER_ERRORS, BadInput
from bot.settings import Settings, load_settings
from bot.wiring import Kiosque
from index.dates import DateError
from index.retrieval import Filters

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False)

StoreOption = Annotated[
    Optional[Path], typer.Option("--store", help="Store directory (default: KIOSQUE_STORE_DIR).", show_default=False)
]
EnvFileOption = Annotated[
    Path, typer.Option("--env-file", help="Settings file read after the environment.", show_default=True)
]
#: the exit code of input that must be corrected (as click's usage errors)
BAD_INPUT = 2
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of text.")]
_DATES = "2026-01-12, 12/01/2026 when unambiguous, 12 janvier 2026, January 12, 2026; a month or a year"
FromOption = Annotated[Optional[str], typer.Option("--from", help=f"Only articles on or after this date ({_DATES}).")]
ToOption = Annotated[Optional[str], typer.Option("--to", help="Only articles on or before this date.")]
AsOfOption = Annotated[Optional[str], typer.Option("--as-of", help="Answer as of this date (ignores later articles).")]
OutletOption = Annotated[Optional[list[str]], typer.Option("--outlet", help="Only articles from this outlet.")]
#: the CLI's names for the filter fields, in error messages
_FILTER_OPTIONS = {"date_from": "--from", "date_to": "--to", "as_of": "--as-of"}


def filters_from(text: str | None, date_from: str | None = None, date_to: str | None = None,
                 as_of: str | None = None, outlets: list[str] | None = None) -> Filters:
    """The date and outlet options as retrieval filters, read as every front end reads them. A bad
    date is one line in the language of ``text`` (the question or topic; English without one) and
    exit code 2."""
    try:
        return Filters.parse(date_from=date_from, date_to=date_to, as_of=as_of, outlets=outlets or (),
                             names=_FILTER_OPTIONS)
    except DateError as exc:
        raise BadInput(date_error_message(exc, detect_language(text) if text and text.strip() else "en")) from None


def settings_from(store: Path | None, env_file: Path = Path(".env"), **overrides) -> Settings:
    """Environment and `.env`, then command-line overrides (None means "not given")."""
    return load_settings(env_file if env_file.exists() else None, store__dir=store, **overrides)


def setup_logging(settings: Settings) -> None:
    level = getattr(logging, settings.log_level.upper(), logging.INFO)
    if sys.stderr.isatty():
        from rich.logging import RichHandler

        handler: logging.Handler = RichHandler(console=err, show_path=False, show_time=False)
        handler.setFormatter(logging.Formatter("%(message)s"))
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    # our own messages at the configured level; other libraries' only when they warn
    handler.addFilter(lambda r: r.name.startswith("kiosque") or r.levelno >= logging.WARNING)
    handler.setLevel(level)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(min(level, logging.WARNING))
    logging.getLogger("kiosque").setLevel(level)


@contextmanager
def app_for(store: Path | None, env_file: Path = Path(".env"), **overrides):
    """A Kiosque built from settings; user errors become one red line and exit code 1 (2 for input that
    must be corrected: a setting, an option, a date)."""
    kiosque = None
    try:
        settings = settings_from(store, env_file, **overrides)
        setup_logging(settings)
        kiosque = Kiosque(settings)
        yield kiosque
    except USER_ERRORS as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)  # one line, even when long
        raise typer.Exit(BAD_INPUT if isinstance(exc, BAD_INPUT_ERRORS) else 1) from None
    except KeyboardInterrupt:
        err.print("interrupted")
        raise typer.Exit(130) from None
    finally:
        if kiosque is not None:
            kiosque.close()


def print_json(obj) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2, default=str) + "\n")

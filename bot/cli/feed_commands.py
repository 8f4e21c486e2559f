"""`kiosque feeds add|list|remove`, `kiosque update`, and `kiosque ingest URL…`: keeping up with the news."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape

from bot.cli.common import EnvFileOption, JsonOption, StoreOption, app_for, err, out, print_json
from bot.cli.progress import ingest_progress
from bot.dates import format_date
from bot.errors import BadInput, KiosqueError
from index.feeds.urls import is_web_url

#: new and updated articles listed by name in a text summary (--json lists them all)
LISTED = 20

feeds_app = typer.Typer(name="feeds", help="Feed subscriptions (RSS, Atom), kept in the store.",
                        no_args_is_help=True)
FeedOutletOption = Annotated[Optional[str], typer.Option(
    "--outlet", help="The outlet its articles are attributed to (default: the feed's title).", show_default=False)]


@feeds_app.command("add")
def feeds_add(
    url: Annotated[str, typer.Argument(help="The feed's address (RSS or Atom), http(s)://…", show_default=False)],
    outlet: FeedOutletOption = None,
    store: StoreOption = None,
    env_file: EnvFileOption = Path(".env"),
) -> None:
    """Subscribe to a feed: `kiosque update` (or the bot) reads it from now on."""
    with app_for(store, env_file) as app:
        if not is_web_url(url):
            raise BadInput(f"{url!r} is not a web address: give the feed's http:// or https:// URL")
        added = app.feeds.add_feed(url.strip(), outlet)
    out.print(("Subscribed to " if added else "Already subscribed to ") + escape(url)
              + (f" (outlet: {escape(outlet)})" if outlet else "") + ". `kiosque update` reads it.")


@feeds_app.command("list")
def feeds_list(as_json: JsonOption = False, store: StoreOption = None, env_file: EnvFileOption = Path(".env")) -> None:
    """The feeds `kiosque update` polls, and what each said last."""
    with app_for(store, env_file) as app:
        listed = app.feed_list()
    if as_json:
        print_json({"feeds": listed})
        return
    if not listed:
        out.print("No feeds. Add one with `kiosque feeds add URL` (or set KIOSQUE_FEEDS_URLS in .env).")
    for f in listed:
        origin = " [.env]" if f["origin"] == "settings" else ""
        out.print(f"[bold]{escape(f['outlet'] or '(outlet from the feed)')}[/bold]{origin}  {escape(f['url'])}")
        out.print(f"    {escape(_last(f))}", soft_wrap=True)


def _last(feed: dict) -> str:
    if not feed["polled_at"]:
        return "not read yet"
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(feed["polled_at"]))
    last = f"read {when}: {feed['status']}" + (f" — {feed['error']}" if feed["error"] else "")
    return last + (f" ({feed['failures']} failures in a row)" if (feed["failures"] or 0) > 1 else "")


@feeds_app.command("remove")
def feeds_remove(
    feed: Annotated[str, typer.Argument(help="The feed's URL, or its outlet or title.", show_default=False)],
    store: StoreOption = None,
    env_file: EnvFileOption = Path(".env"),
) -> None:
    """Unsubscribe. The articles it brought stay in the index."""
    with app_for(store, env_file) as app:
        removed = app.feeds.remove_feed(feed)
        from_settings = [s.url for s in app.subscriptions() if s.origin == "settings" and feed in (s.url, s.outlet)]
        if not removed:
            if from_settings:
                raise KiosqueError(f"{feed} comes from KIOSQUE_FEEDS_URLS: remove it there (.env or the environment)")
            raise KiosqueError(f"no subscription to {feed!r}: see `kiosque feeds list`")
    for url in removed:
        out.print(f"Unsubscribed from {escape(url)} (its articles stay indexed).")


def update(
    as_json: JsonOption = False,
    store: StoreOption = None,
    env_file: EnvFileOption = Path(".env"),
) -> None:
    """Poll every feed once; fetch, extract and index the articles that are new or changed."""
    with app_for(store, env_file) as app:
        if not app.subscriptions():
            raise KiosqueError("no feeds to read: add one with `kiosque feeds add URL` or set KIOSQUE_FEEDS_URLS")
        with ingest_progress() as progress:
            report = app.update_feeds(progress=progress)
    if as_json:
        print_json(report.to_dict())
        return
    r = report
    polled = f"Read {r.feeds} feed(s)"
    notes = [f"{r.feeds_not_modified} not modified"] if r.feeds_not_modified else []
    if r.feeds_failed:
        notes.append(f"{r.feeds_failed} failed")
    notes_text = f" ({', '.join(notes)})" if notes else ""
    out.print(f"{polled}{notes_text} in {r.requests.get('requests', 0)} request(s): "
              f"[bold]{len(r.new)}[/bold] new, {len(r.updated)} updated, {r.unchanged} unchanged, "
              f"{len(r.failed)} failed; {r.chunks_embedded} chunks embedded in {r.seconds:.1f} s.")
    print_articles(report)


def print_articles(report) -> None:
    """The new and updated articles (at most `LISTED` of them), then every failure, one line each."""
    def latest_first(articles):
        return sorted(articles, key=lambda a: (a["date"] or "", a["title"] or ""), reverse=True)

    shown = [("new", a) for a in latest_first(report.new)] + [("updated", a) for a in latest_first(report.updated)]
    for kind, a in shown[:LISTED]:
        line = f"{a['title']} — {a['outlet'] or 'outlet unknown'}, {format_date(a['date'])} <{a['url']}>"
        out.print(f"{kind:8} {escape(line)}", soft_wrap=True)
    if len(shown) > LISTED:
        out.print(f"… and {len(shown) - LISTED} more (--json lists them all)")
    for f in report.failed:
        err.print(f"[red]failed[/red]   {escape(f.line())}", soft_wrap=True)


def ingest_urls(urls: list[str], outlet: str | None, as_json: bool, store: Path | None, env_file: Path, *,
                workers: int | None = None) -> None:
    """`kiosque ingest URL…`: article pages fetched, extracted and indexed like a feed's."""
    with app_for(store, env_file, embed__workers=workers) as app, ingest_progress() as progress:
        report = app.ingest_urls(urls, outlet=outlet, progress=progress)
    if as_json:
        print_json(report.to_dict())
    else:
        out.print(f"Ingested {len(urls)} URL(s) into {escape(str(app.settings.store.dir))}: [bold]{len(report.new)}"
                  f"[/bold] added, {len(report.updated)} updated, {report.unchanged} unchanged, "
                  f"{len(report.failed)} failed; {report.chunks_embedded} chunks embedded in {report.seconds:.1f} s.")
        print_articles(report)
    if report.failed and not (report.new or report.updated or report.unchanged):
        raise typer.Exit(1)

"""`kiosque ingest | status | search | verify`: the corpus side."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from bot.cli import feed_commands
from bot.cli.common import (BAD_INPUT, EnvFileOption, FromOption, JsonOption, OutletOption, StoreOption, ToOption,
                            app_for, err, filters_from, out, print_json)
from bot.cli.progress import ingest_progress
from bot.dates import format_date
from index.feeds.urls import is_web_url


def ingest(
    paths: Annotated[Optional[list[str]], typer.Argument(
        help="Files or directories (.txt .md .html .jsonl .jsonl.gz), or article URLs (http(s)://…). "
             "Default: the corpus directory.",
        show_default=False)] = None,
    sync: Annotated[Optional[bool], typer.Option(
        "--sync/--no-sync",
        help="Treat PATHS as the whole corpus and remove indexed articles missing from them. "
             "Default: on without PATHS (the corpus directory), off with PATHS.",
        show_default=False)] = None,
    workers: Annotated[Optional[int], typer.Option(
        "--workers", min=1,
        help="Embedding batches in flight while the next articles are read and chunked: for an embedding "
             "server or a GPU. Default: KIOSQUE_EMBED_WORKERS (1).", show_default=False)] = None,
    outlet: Annotated[Optional[str], typer.Option(
        "--outlet", help="For URLs: the outlet the articles are attributed to (default: the site's name).",
        show_default=False)] = None,
    as_json: JsonOption = False,
    store: StoreOption = None,
    env_file: EnvFileOption = Path(".env"),
) -> None:
    """Add new articles, update changed ones, skip unchanged ones (0 embeddings)."""
    urls = [p for p in paths or [] if is_web_url(p)]
    if urls:
        if len(urls) != len(paths):
            err.print("[red]error:[/red] give either files and directories or URLs, not both in one ingest")
            raise typer.Exit(BAD_INPUT)
        feed_commands.ingest_urls(urls, outlet, as_json, store, env_file, workers=workers)
        return
    with app_for(store, env_file, embed__workers=workers) as app, ingest_progress() as progress:
        report = app.ingest([Path(p) for p in paths] if paths else None, sync=sync, progress=progress)
    if as_json:
        print_json(report.to_dict())
        return
    out.print(
        f"Ingested into {app.settings.store.dir}: [bold]{report.articles_added}[/bold] added, "
        f"{report.articles_updated} updated, {report.articles_removed} removed, "
        f"{report.articles_unchanged} unchanged; {report.chunks_embedded} chunks embedded "
        f"({report.chunks_reused} reused) in {report.seconds:.1f} s."
    )
    if report.keyword_rebuilt:
        out.print("The keyword index was rebuilt, nothing re-embedded: it was built by an older Kiosque (another "
                  "text analyser, or no article-level list) or with other settings.")
    for d in report.duplicates:
        err.print(f"[yellow]duplicate[/yellow] {d['source']}: {d['reason']}")
    for w in report.warnings:
        err.print(f"[yellow]note[/yellow] {w['source']}: {w['reason']}")
    for p in report.problems:
        err.print(f"[red]skipped[/red] {p['source']}: {p['reason']}")


def status(as_json: JsonOption = False, store: StoreOption = None, env_file: EnvFileOption = Path(".env")) -> None:
    """Articles, chunks, embedding model and precision, store location, last ingest."""
    with app_for(store, env_file) as app:
        info = app.store.status()
        plan = app.embedder_plan()
        mode = app.settings.answer.mode
    if as_json:
        print_json({**info.to_dict(), "embedder": plan, "answer_mode": mode})
        return
    table = Table(show_header=False, box=None)
    last = info.last_ingest
    rows = [
        ("Store", info.store), ("Chroma", f"{info.chroma} (collection {info.collection})"),
        ("Articles", f"{info.articles:,}"), ("Chunks", f"{info.chunks:,}"),
        ("Embedding model", str(info.embed_model or plan["model"])),
        ("Embedding runs", plan["runs"]),
        ("Embedding cache", plan["cache"]),
        ("Answer mode", mode),
    ]
    if last:
        import time

        r = last.report
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(last.finished_at))
        rows.append(("Last ingest", f"{when}: {r.articles_added} added, {r.articles_updated} updated, "
                                    f"{r.articles_removed} removed, {r.chunks_embedded} chunks embedded"))
    else:
        rows.append(("Last ingest", "never: run `kiosque ingest`"))
    if info.interrupted_ingest_leftovers:
        rows.append(("Note", f"{info.interrupted_ingest_leftovers} chunks from an interrupted ingest "
                             "(invisible; the next ingest reuses or removes them)"))
    for k, v in rows:
        table.add_row(f"[bold]{k}[/bold]", v)
    out.print(table)


def search(
    query: Annotated[str, typer.Argument(help="What to look for (French or English).")],
    k: Annotated[int, typer.Option("-k", help="Number of chunks.")] = 5,
    date_from: FromOption = None, date_to: ToOption = None, outlet: OutletOption = None,
    as_json: JsonOption = False,
    store: StoreOption = None,
    env_file: EnvFileOption = Path(".env"),
) -> None:
    """The top chunks for a query (hybrid keyword + dense retrieval)."""
    with app_for(store, env_file) as app:
        filters = filters_from(query, date_from, date_to, outlets=outlet)
        if not app.store.catalog.counts()["articles"]:
            err.print("[yellow]the index is empty:[/yellow] run `kiosque ingest` first")
            raise typer.Exit(1)
        passages = app.retriever.search_chunks(query, k=k, filters=filters)
        articles = app.store.catalog.get_articles([p.article_id for p in passages])
    rows = []
    for rank, p in enumerate(passages, start=1):
        a = articles[p.article_id]
        rows.append({"rank": rank, "score": round(p.score, 5), "article_id": a.id, "title": a.title,
                     "outlet": a.outlet, "date": a.date, "chunk_id": p.chunk_id, "start": p.start, "end": p.end,
                     "text": a.text[p.start : p.end]})
    if as_json:
        print_json({"query": query, "results": rows})
        return
    if not rows:
        out.print("No match.")
    for r in rows:
        out.print(f"[bold]{r['rank']}. {r['title']}[/bold]  [dim]{r['article_id']} · {r['outlet'] or 'outlet unknown'}"
                  f" · {format_date(r['date'])} · score {r['score']}[/dim]")
        text = r["text"]
        out.print(f"   {text[:300]}{'…' if len(text) > 300 else ''}\n")


def verify(as_json: JsonOption = False, store: StoreOption = None, env_file: EnvFileOption = Path(".env")) -> None:
    """Check that the catalog, the keyword index and Chroma agree (exit 1 if not)."""
    with app_for(store, env_file) as app:
        result = app.store.verify()
    if as_json:
        print_json(result)
    else:
        for key, value in result.items():
            out.print(f"{key}: {value}")
    if not result["ok"]:
        raise typer.Exit(1)

"""`kiosque ingest | status | search | verify`: the corpus side."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from bot.cli.common import EnvFileOption, JsonOption, StoreOption, app_for, err, out, print_json
from bot.cli.progress import ingest_progress
from index.dates import format_date
from index.retrieval import Filters


def ingest(
    paths: Annotated[Optional[list[Path]], typer.Argument(
        help="Files or directories (.txt .md .html .jsonl .jsonl.gz). Default: the corpus directory.",
        show_default=False)] = None,
    sync: Annotated[Optional[bool], typer.Option(
        "--sync/--no-sync",
        help="Treat PATHS as the whole corpus and remove indexed articles missing from them. "
             "Default: on without PATHS (the corpus directory), off with PATHS.",
        show_default=False)] = None,
    as_json: JsonOption = False,
    store: StoreOption = None,
    env_file: EnvFileOption = Path(".env"),
) -> None:
    """Add new articles, update changed ones, skip unchanged ones (0 embeddings)."""
    with app_for(store, env_file) as app, ingest_progress() as progress:
        report = app.ingest(paths or None, sync=sync, progress=progress)
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
        out.print("The keyword index was rebuilt: its article-level list was missing (a store indexed by an "
                  "older Kiosque) or built with other settings.")
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
        info["embedder"] = app.embedder_plan()
        info["answer_mode"] = app.settings.answer.mode
    if as_json:
        print_json(info)
        return
    table = Table(show_header=False, box=None)
    last = info["last_ingest"]
    rows = [
        ("Store", info["store"]), ("Chroma", f"{info['chroma']} (collection {info['collection']})"),
        ("Articles", f"{info['articles']:,}"), ("Chunks", f"{info['chunks']:,}"),
        ("Embedding model", str(info["embed_model"] or info["embedder"]["model"])),
        ("Embedding backend", f"{info['embedder']['backend']}, {info['embedder']['precision']} on "
                              f"{info['embedder']['device']} (CPU bf16: {info['embedder']['cpu_bf16']})"),
        ("Embedding cache", info["embedder"]["cache"]),
        ("Answer mode", info["answer_mode"]),
    ]
    if last:
        import time

        r = last["report"] or {}
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(last["finished_at"]))
        rows.append(("Last ingest", f"{when}: {r.get('articles_added', 0)} added, {r.get('articles_updated', 0)} "
                                    f"updated, {r.get('articles_removed', 0)} removed, "
                                    f"{r.get('chunks_embedded', 0)} chunks embedded"))
    else:
        rows.append(("Last ingest", "never: run `kiosque ingest`"))
    if info["interrupted_ingest_leftovers"]:
        rows.append(("Note", f"{info['interrupted_ingest_leftovers']} chunks from an interrupted ingest "
                             "(invisible; the next ingest reuses or removes them)"))
    for k, v in rows:
        table.add_row(f"[bold]{k}[/bold]", v)
    out.print(table)


def search(
    query: Annotated[str, typer.Argument(help="What to look for (French or English).")],
    k: Annotated[int, typer.Option("-k", help="Number of chunks.")] = 5,
    date_from: Annotated[Optional[str], typer.Option("--from", help="Only articles on or after YYYY-MM-DD.")] = None,
    date_to: Annotated[Optional[str], typer.Option("--to", help="Only articles on or before YYYY-MM-DD.")] = None,
    outlet: Annotated[Optional[list[str]], typer.Option("--outlet", help="Only articles from this outlet.")] = None,
    as_json: JsonOption = False,
    store: StoreOption = None,
    env_file: EnvFileOption = Path(".env"),
) -> None:
    """The top chunks for a query (hybrid keyword + dense retrieval)."""
    with app_for(store, env_file) as app:
        if not app.store.catalog.counts()["articles"]:
            err.print("[yellow]the index is empty:[/yellow] run `kiosque ingest` first")
            raise typer.Exit(1)
        filters = Filters(date_from, date_to, tuple(outlet or ()))
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

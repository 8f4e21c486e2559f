"""Benchmark 1 — retrieval quality on PIAF: the 1,518 paragraphs indexed as articles by Kiosque's
own ingest, the 4,040 dev questions asked through its own retriever. Keyword-only, dense-only and
hybrid rankings come from the same store; the figures are article-level hit@1/5/10 and MRR@10.

    .venv/bin/python benchmarks/piaf.py ../shared/data/piaf

Honest tuning: the questions come grouped by paragraph, so the first half ("tune") and the second
half ("held-out") ask about different paragraphs. Retrieval defaults were chosen on "tune" only;
the table reports both halves and all questions.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from common import distinct_articles, hit_metrics, load_piaf, median, ranks_of_gold, record, table

DEPTH = 10  # every metric looks at the top 10 articles


def parse_overrides(items: list[str]) -> dict:
    """``section__field=value`` pairs; values are JSON when they parse (numbers, booleans), else text."""
    out = {}
    for item in items:
        key, _, value = item.partition("=")
        try:
            out[key] = json.loads(value)
        except ValueError:
            out[key] = value
    return out


def write_articles(paragraphs: list[dict], path: Path) -> Path:
    """PIAF paragraphs as a Kiosque .jsonl corpus (one article per paragraph)."""
    with open(path, "w", encoding="utf-8") as f:
        for c in paragraphs:
            f.write(json.dumps({"id": c["context_id"], "title": c["title"], "text": c["text"]}, ensure_ascii=False))
            f.write("\n")
    return path


def build(store_dir: Path, paragraphs: list[dict], overrides: dict):
    """A Kiosque app on ``store_dir`` with the paragraphs ingested (a no-op when already there)."""
    from bot.settings import load_settings
    from bot.wiring import Kiosque

    settings = load_settings(None, store__dir=store_dir, **overrides)
    app = Kiosque(settings)
    corpus = write_articles(paragraphs, store_dir.parent / f"{store_dir.name}-articles.jsonl")
    t0 = time.perf_counter()
    report = app.ingest([corpus], sync=True)
    return app, report, time.perf_counter() - t0


def stores_without(store_dir: Path, paragraphs: list[dict], asked: list[dict], groups: int, prefix: str
                   ) -> tuple[dict[str, int], dict[int, Path]]:
    """Stores where the asked questions are unanswerable: the asked questions' paragraphs in ``groups``
    groups (in file order), one store per group without that group's paragraphs — a real removal,
    re-ingested, not a filter on the results: a filter leaves the ranks and the scores of what remains
    as if the paragraph were still there (the best remaining passage ranked second, its scaled score
    below 1), which no real store shows. (group of each asked paragraph, {group: store directory})."""
    asked_paragraphs = list(dict.fromkeys(q["context_id"] for q in asked))
    group_of = {cid: i % groups for i, cid in enumerate(asked_paragraphs)}
    stores = {}
    for g in range(groups):
        kept = [p for p in paragraphs if group_of.get(p["context_id"]) != g]
        stores[g] = store_dir.with_name(f"{store_dir.name}{prefix}-without-{g}")
        build(stores[g], kept, {})[0].close()
    return group_of, stores


def rankings(app, questions: list[dict], candidates: int) -> tuple[dict[str, list[list[str]]], dict]:
    """keyword (chunks), keyword (the article-level list), dense and hybrid article rankings for every
    question, plus per-query timings."""
    store, retriever = app.store, app.retriever
    article_of = {r.id: r.article_id for r in store.catalog.chunk_rows()}
    keyword, articles = store.keyword_index(), store.article_keyword_index()
    texts = [q["question"] for q in questions]
    qvecs = app.embedder.embed_queries(texts)
    out = {"keyword": [], "keyword, articles": [], "dense": [], "hybrid": []}
    times = []
    for text, qvec in zip(texts, qvecs):
        hits = keyword.search(text, candidates)
        out["keyword"].append(distinct_articles([c for c, _ in hits], article_of, DEPTH))
        out["keyword, articles"].append([a for a, _ in articles.search(text, DEPTH)] if articles is not None else [])
        dense = store.vectors.query(qvec, candidates)
        out["dense"].append(distinct_articles([c for c, _ in dense], article_of, DEPTH))
        t0 = time.perf_counter()
        result = retriever.search(text, k=DEPTH)
        times.append((time.perf_counter() - t0) * 1e3)
        out["hybrid"].append(result.article_ids)
    return out, {"search_ms_p50": median(times), "search_ms_p95": float(np.percentile(times, 95))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("piaf_dir", type=Path, help="folder with contexts.jsonl and questions.dev.jsonl")
    ap.add_argument("--store", type=Path, default=None,
                    help="store directory to (re)use; default: a temporary one, deleted afterwards")
    ap.add_argument("--questions", type=int, default=0, help="use only the first N questions (0 = all)")
    ap.add_argument("--set", action="append", default=[], metavar="SECTION__FIELD=VALUE",
                    help="override a setting, e.g. --set retrieval__fusion=rrf (repeatable)")
    ap.add_argument("--out", type=Path, default=None, help="JSON file (default: runs/benchmarks/...)")
    args = ap.parse_args()

    paragraphs, questions = load_piaf(args.piaf_dir)
    if args.questions:
        questions = questions[: args.questions]
    overrides = parse_overrides(args.set)
    half = len(questions) // 2
    splits = {"all": slice(0, len(questions)), "tune (first half)": slice(0, half),
              "held-out (second half)": slice(half, len(questions))}

    with tempfile.TemporaryDirectory(prefix="kiosque-piaf-") as tmp:
        store_dir = args.store or Path(tmp) / "store"
        store_dir.parent.mkdir(parents=True, exist_ok=True)
        app, report, ingest_s = build(store_dir, paragraphs, overrides)
        print(f"ingest: {report.articles_added} added, {report.articles_unchanged} unchanged, "
              f"{report.chunks_embedded} chunks embedded ({report.embeddings_computed} computed) in {ingest_s:.1f} s; "
              f"{app.store.catalog.counts()['chunks']} chunks", flush=True)
        r = app.settings.retrieval
        ranked, timing = rankings(app, questions, r.candidates)
        settings_used = {"retrieval": r.model_dump(), "embed": app.embedder.describe(),
                         "chunk": app.settings.chunk.model_dump()}
        app.close()

    gold = [q["context_id"] for q in questions]
    results, rows = {}, []
    for split, sl in splits.items():
        for mode in ranked:
            m = hit_metrics(ranks_of_gold(ranked[mode][sl], gold[sl]))
            results.setdefault(split, {})[mode] = m
            rows.append({"questions": split, "retriever": mode, "n": m["n"], "hit@1": m["hit@1"],
                         "hit@5": m["hit@5"], "hit@10": m["hit@10"], "MRR@10": m["mrr@10"]})
    print()
    print(table(rows, ["questions", "retriever", "n", "hit@1", "hit@5", "hit@10", "MRR@10"],
                f"PIAF: {len(paragraphs)} paragraphs as articles, {len(questions)} dev questions (article-level)"))
    print(f"\nhybrid search (warm, in process): p50 {timing['search_ms_p50']:.1f} ms, p95 {timing['search_ms_p95']:.1f} ms")
    path = record("piaf", {
        "paragraphs": len(paragraphs), "questions": len(questions), "settings": settings_used,
        "overrides": overrides, "ingest": {"seconds": ingest_s, **report.to_dict()}, "results": results,
        "timing": timing, "table": rows,
    }, args.out)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()

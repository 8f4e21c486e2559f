"""Benchmarks 2, 4 and 5 — Kiosque at newsroom scale on OrangeSum (33,958 French news articles,
1,500 abstract queries whose gold is their source article):

2. article-level hit@1 / hit@10 (keyword-only over chunks and over whole articles, dense-only, hybrid),
   over all queries and over each half (settings are chosen on the first half only);
4. a no-op re-ingest of the same corpus: chunks embedded (must be 0) and seconds;
5. warm retrieval latency p50/p95 and the RSS of a fresh serving process (model, Chroma, BM25).

    .venv/bin/python benchmarks/orangesum.py ../shared/data/orangesum --store runs/bench-store/orangesum
    .venv/bin/python benchmarks/orangesum.py ../shared/data/orangesum --store runs/bench-store/os5k --limit 5000

Resumable: kill it at any point and run the same command again. The ingest reuses the vectors an
interrupted ingest already put in Chroma, and every embedding ever computed is in the embedding
cache (KIOSQUE_EMBED_CACHE_DIR): nothing is embedded twice.

With ``--limit N`` only the first N articles are indexed and only the queries whose gold article
is among them are asked.
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from common import (distinct_articles, first_lines, hit_metrics, median, ranks_of_gold, read_jsonl, record, rss_mb,
                    table, timed_searches)

ARTICLES = "articles.jsonl.gz"
QUERIES = "queries.valid.jsonl"


def corpus_file(data_dir: Path, store_dir: Path, limit: int) -> Path:
    """The whole corpus file, or a copy of its first ``limit`` articles next to the store."""
    source = Path(data_dir) / ARTICLES
    if not limit:
        return source
    return first_lines(source, limit, store_dir.parent / f"{store_dir.name}-first{limit}.jsonl.gz")


def article_ids(path: Path) -> set[str]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return {json.loads(line)["doc_id"] for line in f if line.strip()}


def app_for(store_dir: Path, overrides: dict | None = None):
    from bot.settings import load_settings
    from bot.wiring import Kiosque

    return Kiosque(load_settings(None, store__dir=store_dir, **(overrides or {})))


def ingest(store_dir: Path, corpus: Path, label: str) -> dict:
    """One `kiosque ingest`-equivalent run (sync: the file is the whole corpus), timed."""
    app = app_for(store_dir)
    last = [0.0]

    def progress(stage, done, total):
        now = time.perf_counter()
        if stage == "embed" and (now - last[0] > 60 or done == total):
            last[0] = now
            print(f"  [{label}] embedded {done:,}/{total:,} chunks", flush=True)

    t0 = time.perf_counter()
    report = app.ingest([corpus], sync=True, progress=progress)
    seconds = time.perf_counter() - t0
    counts = app.store.catalog.counts()
    describe = app.embedder.describe() if getattr(app.embedder, "loaded", True) else app.embedder_plan()
    app.close()
    out = {**report.to_dict(), "wall_seconds": seconds, "chunks_total": counts["chunks"],
           "articles_total": counts["articles"], "embedder": describe}
    out.pop("problems", None), out.pop("duplicates", None), out.pop("warnings", None)
    print(f"  [{label}] {report.articles_added:,} added, {report.articles_unchanged:,} unchanged; "
          f"{report.chunks_embedded:,} chunks embedded ({report.embeddings_computed:,} computed, "
          f"{report.chunks_reused:,} reused) in {seconds:.1f} s; {counts['chunks']:,} chunks in the store", flush=True)
    return out


def serve(store_dir: Path, queries: list[dict], warmup: int) -> dict:
    """What a serving process sees: open the store, load the model, answer the queries warm."""

    t0 = time.perf_counter()
    app = app_for(store_dir)
    retriever, store = app.retriever, app.store
    texts = [q["question"] for q in queries]
    for text in texts[:warmup]:  # model load, BM25 generation, chunk map, Chroma's index in memory
        retriever.search(text, k=10)
    ready_s = time.perf_counter() - t0
    latencies, hybrid, parts = timed_searches(retriever, texts)
    rss_now, rss_peak = rss_mb()

    # single-retriever rankings from the same store (after the timed loop: they do not affect it)
    spans = {r.id: r.article_id for r in store.catalog.chunk_rows()}
    keyword, articles = store.keyword_index(), store.article_keyword_index()
    qvecs = app.embedder.embed_queries(texts)
    keyword_only, dense_only, article_list = [], [], []
    candidates = app.settings.retrieval.candidates
    for text, qvec in zip(texts, qvecs):
        keyword_only.append(distinct_articles([c for c, _ in keyword.search(text, candidates)], spans))
        dense_only.append(distinct_articles([c for c, _ in store.vectors.query(qvec, candidates)], spans))
        article_list.append([a for a, _ in articles.search(text, 10)] if articles is not None else [])
    describe = app.embedder.describe()
    counts = app.store.catalog.counts()
    app.close()
    return {
        "articles": counts["articles"], "chunks": counts["chunks"],
        "rankings": {"keyword": keyword_only, "keyword, articles": article_list, "dense": dense_only,
                     "hybrid": hybrid},
        "latency_ms": {"p50": median(latencies), "p95": float(np.percentile(latencies, 95)),
                       "mean": float(np.mean(latencies)),
                       **parts},
        "rss_mb": {"after_queries": rss_now, "peak": rss_peak}, "ready_seconds": ready_s, "embedder": describe,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data_dir", type=Path, help=f"folder with {ARTICLES} and {QUERIES}")
    ap.add_argument("--store", type=Path, required=True, help="store directory (kept: the run resumes there)")
    ap.add_argument("--limit", type=int, default=0, help="index only the first N articles (0 = all 33,958)")
    ap.add_argument("--queries", type=int, default=0, help="ask at most N queries (0 = all that apply)")
    ap.add_argument("--warmup", type=int, default=20, help="queries asked before timing")
    ap.add_argument("--skip-ingest", action="store_true", help="measure an existing store as it is")
    ap.add_argument("--serve-only", action="store_true", help=argparse.SUPPRESS)  # the serving subprocess
    ap.add_argument("--out", type=Path, default=None, help="JSON file (default: runs/benchmarks/...)")
    args = ap.parse_args()
    store_dir = args.store.resolve()
    store_dir.parent.mkdir(parents=True, exist_ok=True)
    corpus = corpus_file(args.data_dir, store_dir, args.limit)
    ids = article_ids(corpus) if args.limit else None
    queries = [q for q in read_jsonl(Path(args.data_dir) / QUERIES) if ids is None or q["gold_doc_id"] in ids]
    if args.queries:
        queries = queries[: args.queries]

    if args.serve_only:  # child: print one JSON object
        print(json.dumps(serve(store_dir, queries, args.warmup)))
        return

    runs = {}
    if not args.skip_ingest:
        print(f"ingest of {corpus} into {store_dir}", flush=True)
        runs["ingest"] = ingest(store_dir, corpus, "ingest")
        print("no-op re-ingest", flush=True)
        runs["noop_reingest"] = ingest(store_dir, corpus, "re-ingest")

    print(f"serving process: {len(queries)} queries", flush=True)
    cmd = [sys.executable, __file__, str(args.data_dir), "--store", str(store_dir), "--limit", str(args.limit),
           "--queries", str(args.queries), "--warmup", str(args.warmup), "--serve-only"]
    child = subprocess.run(cmd, capture_output=True, text=True)
    if child.returncode != 0:
        sys.stderr.write(child.stderr)
        raise SystemExit(f"serving process failed ({child.returncode})")
    served = json.loads(child.stdout.strip().splitlines()[-1])

    gold = [q["gold_doc_id"] for q in queries]
    half = len(queries) // 2  # retrieval settings are chosen on the first half ("tune") only
    splits = {"all": slice(0, len(queries)), "tune (first half)": slice(0, half),
              "held-out (second half)": slice(half, len(queries))}
    results = {split: {mode: hit_metrics(ranks_of_gold(r[sl], gold[sl])) for mode, r in served["rankings"].items()}
               for split, sl in splits.items()}
    rows = [{"queries": split, "retriever": m, "n": r["n"], "hit@1": r["hit@1"], "hit@10": r["hit@10"],
             "MRR@10": r["mrr@10"]} for split, by_mode in results.items() for m, r in by_mode.items()]
    n_articles = served["articles"]
    print()
    print(table(rows, ["queries", "retriever", "n", "hit@1", "hit@10", "MRR@10"],
                f"OrangeSum: {n_articles:,} articles, {len(queries):,} abstract queries (article-level)"))
    lat, rss = served["latency_ms"], served["rss_mb"]
    print(f"\nretrieval, warm, serving process: p50 {lat['p50']:.1f} ms, p95 {lat['p95']:.1f} ms "
          f"(query embedding p50 {lat['embed_query_ms_p50']:.1f} ms, BM25 {lat['keyword_ms_p50']:.1f} ms over chunks "
          f"+ {lat['article_keyword_ms_p50']:.1f} ms over articles, "
          f"Chroma {lat['dense_ms_p50']:.1f} ms); RSS {rss['after_queries']:.0f} MB (peak {rss['peak']:.0f} MB)")
    if "noop_reingest" in runs:
        n = runs["noop_reingest"]
        print(f"no-op re-ingest: {n['chunks_embedded']} chunks embedded, {n['wall_seconds']:.1f} s")
    if "ingest" in runs and runs["ingest"]["embed_seconds"]:
        i = runs["ingest"]
        print(f"ingest: {i['embeddings_computed']:,} embeddings computed; embed stage "
              f"{i['chunks_embedded'] / i['embed_seconds']:.1f} chunks/s")
    served.pop("rankings")
    path = record("orangesum", {
        "limit": args.limit, "articles": n_articles, "queries": len(queries), **runs, "serving": served,
        "results": results, "table": rows,
    }, args.out)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()

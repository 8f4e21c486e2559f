"""Benchmark — Kiosque at growing sizes: retrieval p50/p95, extractive answer p50, serving-process
RSS and on-disk size at 25k, 50k, 100k, 200k and 400k chunks, then a projection to 3.2 million
chunks (a million articles) and a plot.

    .venv/bin/python benchmarks/scale_curve.py ../shared/data --store runs/bench-store/scale

One store grows step by step through Kiosque's own ingest (each step adds articles, as a newsroom's
daily ingest would): the five seed articles first (answers are timed on their 89 questions,
evals/seeds.jsonl), then OrangeSum in file order (108,890 chunks), then synthetic variations of
OrangeSum (benchmarks/synthetic_corpus.py: new vocabulary, same lengths, vectors from the embedding
cache plus noise, no model). Each ingest step runs in a process of its own (its peak RSS is the
ingest's); after it a fresh serving process opens the store, loads each part in turn (RSS after
each), times ``search`` on OrangeSum queries and ``answer`` on the seed questions, warm.

OrangeSum's chunk vectors must be in the embedding cache (a full OrangeSum ingest puts them there;
any that are not are computed, slowly). Resumable: a step already in the state file is not redone.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from common import (ROOT, hit_metrics, median, ranks_of_gold, read_jsonl, record, rss_mb, table,
                    timed_searches)

SIZES = [25_000, 50_000, 100_000, 200_000, 400_000]
PROJECT_TO = 3_200_000
ARTICLES = Path("orangesum") / "articles.jsonl.gz"
QUERIES = Path("orangesum") / "queries.valid.jsonl"
SEED_QUESTIONS = ROOT / "evals" / "seeds.jsonl"
#: the targets of docs/benchmarks.md (benchmark 5)
TARGETS = {"retrieval_p50_ms": 30.0, "retrieval_p95_ms": 80.0, "answer_p50_ms": 150.0, "rss_mb": 1500.0}


def app_for(store_dir: Path):
    from bot.settings import load_settings
    from bot.wiring import Kiosque

    return Kiosque(load_settings(None, store__dir=store_dir))


# -- the corpus, in the order it is ingested -------------------------------------------------------
def chunk_texts(records: list[dict], target: int, ceiling: int) -> list[list[str]]:
    """The chunk texts Kiosque's ingest makes of raw JSONL records (same cleaning, same chunking)."""
    from index.chunking import chunk_article
    from index.cleaning import clean_article

    out = []
    for rec in records:
        cleaned = clean_article(rec["text"], title=rec.get("title") or None)
        out.append([c.text for c in chunk_article("x", cleaned.text, target, ceiling)])
    return out


def step_slices(counts: list[int], sizes: list[int], already: int) -> list[tuple[int, int, int]]:
    """(target, start, end) positions in the endless sequence original, variant 1, variant 2... of
    the records, so that the store reaches each target number of chunks (``already`` = the seeds)."""
    n = len(counts)
    out, position, total = [], 0, already
    for target in sizes:
        start = position
        while total < target:
            total += counts[position % n]
            position += 1
        out.append((target, start, position))
    return out


def write_step(records, counts_texts, start: int, end: int, path: Path, stopwords) -> dict[bytes, str]:
    """Write records ``start:end`` of the sequence to ``path`` (JSONL); return the variant chunk ->
    source chunk texts the embedder needs for them."""
    from synthetic_corpus import text_key, variant_records

    n = len(records)
    sources: dict[bytes, str] = {}
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        for pos in range(start, end):
            variant, i = divmod(pos, n)
            rec = records[i]
            if variant:
                rec = next(variant_records([rec], variant, stopwords))
                texts = chunk_texts([rec], *counts_texts["sizes"])[0]
                for text, source in zip(texts, counts_texts["texts"][i]):
                    sources[text_key(text)] = source
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    tmp.rename(path)
    return sources


# -- one ingest step (a process of its own) --------------------------------------------------------
def ingest_step(store_dir: Path, corpus: Path, sources_file: Path | None) -> dict:
    from bot.wiring import build_embedder
    from index.ingest import Ingester
    from synthetic_corpus import VariantEmbedder

    app = app_for(store_dir)
    sources = {}
    if sources_file and sources_file.exists():
        sources = {bytes.fromhex(k): v for k, v in json.loads(sources_file.read_text()).items()}
    embedder = VariantEmbedder(build_embedder(app.settings), sources)
    marks: dict[str, float] = {}

    def progress(stage, done, total):
        if stage == "index":
            marks["index_start" if done == 0 else "index_end"] = time.perf_counter()

    t0 = time.perf_counter()
    report = Ingester(app.store, embedder).run([corpus], corpus_root=corpus.parent, sync=False, progress=progress)
    seconds = time.perf_counter() - t0
    counts = app.store.catalog.counts()
    app.close()
    return {
        "articles_added": report.articles_added, "duplicates": len(report.duplicates), "problems": len(report.problems),
        "wire_copies_in_store": report.wire_copies, "chunks_embedded": report.chunks_embedded,
        "embeddings_computed": report.embeddings_computed, "synthetic_vectors": embedder.synthetic,
        "seconds": seconds, "embed_seconds": report.embed_seconds,
        "keyword_build_seconds": marks.get("index_end", 0) - marks.get("index_start", 0),
        "peak_rss_mb": rss_mb()[1], "articles": counts["articles"], "chunks": counts["chunks"],
    }


# -- the serving process ----------------------------------------------------------------------------
def serve(store_dir: Path, queries: list[str], questions: list[str], warmup: int) -> dict:
    """Open the store as the bot does, load each part in turn, then time searches and answers."""
    rss, load = {"start": rss_mb()[0]}, {}
    app = app_for(store_dir)
    t = time.perf_counter()
    qvec = app.embedder.embed_queries([queries[0]])[0]
    load["model_s"], rss["model"] = time.perf_counter() - t, rss_mb()[0]
    t = time.perf_counter()
    app.retriever._chunk_map()  # the committed view: chunk spans, article dates and outlets, copies
    load["chunk_map_s"], rss["chunk_map"] = time.perf_counter() - t, rss_mb()[0]
    t = time.perf_counter()
    app.store.keyword_index(), app.store.article_keyword_index()
    load["keyword_s"], rss["keyword"] = time.perf_counter() - t, rss_mb()[0]
    t = time.perf_counter()
    app.store.vectors.query(qvec, 10)
    load["dense_s"], rss["dense"] = time.perf_counter() - t, rss_mb()[0]

    retriever = app.retriever
    for text in queries[:warmup]:
        retriever.search(text, k=10)
    latencies, rankings, parts = timed_searches(retriever, queries)
    rss["after_searches"] = rss_mb()[0]

    answerer = app.answerer
    for question in questions[:warmup]:
        answerer.answer(question)
    answers = []
    for question in questions:
        t = time.perf_counter()
        answerer.answer(question)
        answers.append((time.perf_counter() - t) * 1e3)
    rss["after_answers"], rss["peak"] = rss_mb()
    counts = app.store.catalog.counts()
    app.close()
    return {
        "load_average": os.getloadavg(),
        "articles": counts["articles"], "chunks": counts["chunks"], "rankings": rankings, "load_seconds": load,
        "rss_mb": rss, "retrieval_ms": {"p50": median(latencies), "p95": float(np.percentile(latencies, 95)),
                                        **parts},
        "answer_ms": {"p50": median(answers), "p95": float(np.percentile(answers, 95))},
    }


def disk_mb(store_dir: Path) -> dict[str, float]:
    def size(paths):
        return sum(f.stat().st_size for p in paths for f in ([p] if p.is_file() else p.rglob("*")) if f.is_file()) / 1e6

    parts = {"catalog": size(store_dir.glob("catalog.sqlite*")), "chroma": size([store_dir / "chroma"]),
             "keyword": size([store_dir / "keyword"])}
    parts["total"] = sum(parts.values())
    return parts


# -- projection -------------------------------------------------------------------------------------
def fit(xs, ys, kind: str) -> tuple[float, float]:
    """Least squares y = a + b*x ("linear") or y = a + b*log(x) ("log"). A series that did not grow
    (noise on a busy machine can tilt it down) is projected flat at its last value."""
    x = np.log(np.asarray(xs, float)) if kind == "log" else np.asarray(xs, float)
    b, a = np.polyfit(x, np.asarray(ys, float), 1)
    if b < 0:
        return float(ys[-1]), 0.0
    return float(a), float(b)


def project(a: float, b: float, kind: str, n: float) -> float:
    return a + b * (math.log(n) if kind == "log" else n)


#: what each measured series is, how it is fitted, and where it comes from in a step's record
SERIES = {
    "retrieval p50 (ms)": ("linear", lambda s: s["serve"]["retrieval_ms"]["p50"]),
    "retrieval p95 (ms)": ("linear", lambda s: s["serve"]["retrieval_ms"]["p95"]),
    "  of which BM25, chunks (ms)": ("linear", lambda s: s["serve"]["retrieval_ms"]["keyword_ms_p50"]),
    "  of which BM25, articles (ms)": ("linear", lambda s: s["serve"]["retrieval_ms"]["article_keyword_ms_p50"]),
    "  of which Chroma HNSW (ms)": ("log", lambda s: s["serve"]["retrieval_ms"]["dense_ms_p50"]),
    "  of which query embedding (ms)": ("log", lambda s: s["serve"]["retrieval_ms"]["embed_query_ms_p50"]),
    "answer p50 (ms)": ("linear", lambda s: s["serve"]["answer_ms"]["p50"]),
    "serving RSS after answers (MB)": ("linear", lambda s: s["serve"]["rss_mb"]["after_answers"]),
    "  Python, libraries, model (MB)": ("linear", lambda s: s["serve"]["rss_mb"]["model"]),
    "  chunk map, Python (MB)": ("linear", lambda s: s["serve"]["rss_mb"]["chunk_map"] - s["serve"]["rss_mb"]["model"]),
    "  BM25, both lists (MB)": ("linear", lambda s: s["serve"]["rss_mb"]["keyword"] - s["serve"]["rss_mb"]["chunk_map"]),
    "  Chroma / HNSW loaded (MB)": ("linear", lambda s: s["serve"]["rss_mb"]["dense"] - s["serve"]["rss_mb"]["keyword"]),
    "serving process start: chunk map (s)": ("linear", lambda s: s["serve"]["load_seconds"]["chunk_map_s"]),
    "serving process start: BM25 load (s)": ("linear", lambda s: s["serve"]["load_seconds"]["keyword_s"]),
    "serving process start: Chroma load (s)": ("linear", lambda s: s["serve"]["load_seconds"]["dense_s"]),
    "ingest step: BM25 rebuild (s)": ("linear", lambda s: s["ingest"]["keyword_build_seconds"]),
    "ingest step: peak RSS (MB)": ("linear", lambda s: s["ingest"]["peak_rss_mb"]),
    "disk: catalog (MB)": ("linear", lambda s: s["disk_mb"]["catalog"]),
    "disk: Chroma (MB)": ("linear", lambda s: s["disk_mb"]["chroma"]),
    "disk: keyword index (MB)": ("linear", lambda s: s["disk_mb"]["keyword"]),
    "disk: total (MB)": ("linear", lambda s: s["disk_mb"]["total"]),
}


def curve_table(steps: list[dict]) -> tuple[list[dict], list[str], dict]:
    """One row per series: the measured value at each size, the fit and its value at 3.2M chunks
    (fitted on the sizes from 100k up, where the fixed costs no longer dominate)."""
    chunks = [s["serve"]["chunks"] for s in steps]
    columns = ["series"] + [f"{c:,}" for c in chunks] + ["fit", f"{PROJECT_TO:,} (projected)"]
    rows, projected = [], {}
    big = [i for i, c in enumerate(chunks) if c >= 90_000] or list(range(len(chunks)))
    for name, (kind, get) in SERIES.items():
        values = [get(s) for s in steps]
        a, b = fit([chunks[i] for i in big], [values[i] for i in big], kind) if len(big) >= 2 else (values[-1], 0.0)
        projected[name] = project(a, b, kind, PROJECT_TO)
        shape = "a + b·n" if kind == "linear" else "a + b·ln n"
        row = {"series": name, "fit": shape if b > 0 or len(big) < 2 else "flat (did not grow: noise)",
               f"{PROJECT_TO:,} (projected)": projected[name]}
        row.update({f"{c:,}": v for c, v in zip(chunks, values)})
        rows.append(row)
    return rows, columns, projected


def plot(steps: list[dict], projected: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    chunks = np.array([s["serve"]["chunks"] for s in steps], float)
    ends = np.array([chunks[-1], PROJECT_TO], float)
    fig, axes = plt.subplots(2, 2, figsize=(12, 8.5))
    panels = [
        (axes[0][0], "latency, warm (ms)", ["retrieval p50 (ms)", "retrieval p95 (ms)", "answer p50 (ms)",
                                             "  of which BM25, chunks (ms)", "  of which Chroma HNSW (ms)"],
         [("retrieval p50 target", TARGETS["retrieval_p50_ms"]), ("answer p50 target", TARGETS["answer_p50_ms"])]),
        (axes[0][1], "serving process memory (MB)", ["serving RSS after answers (MB)", "  Python, libraries, model (MB)",
                                                      "  chunk map, Python (MB)",
                                                      "  BM25, both lists (MB)", "  Chroma / HNSW loaded (MB)"],
         [("RSS target", TARGETS["rss_mb"])]),
        (axes[1][0], "on disk (MB)", ["disk: total (MB)", "disk: Chroma (MB)", "disk: catalog (MB)",
                                      "disk: keyword index (MB)"], []),
        (axes[1][1], "time (s)", ["ingest step: BM25 rebuild (s)", "serving process start: chunk map (s)",
                                  "serving process start: BM25 load (s)", "serving process start: Chroma load (s)"], []),
    ]
    for ax, title, names, limits in panels:
        for name in names:
            kind, get = SERIES[name]
            values = [get(s) for s in steps]
            line, = ax.plot(chunks, values, marker="o", label=name.strip())
            ax.plot(ends, [values[-1], projected[name]], linestyle="--", color=line.get_color())
        for label, value in limits:
            ax.axhline(value, color="grey", linestyle=":", linewidth=1)
            ax.text(chunks[0], value, label, fontsize=7, va="bottom", color="grey")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(title)
        ax.set_xlabel("chunks in the store (dashed: projection to 3.2 M)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle("Kiosque at growing sizes (OrangeSum, then synthetic variations beyond 109k chunks)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


# -- driver ------------------------------------------------------------------------------------------
def run_child(args: list[str]) -> dict:
    child = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True)
    if child.returncode != 0:
        sys.stderr.write(child.stderr[-4000:])
        raise SystemExit(f"child process failed ({child.returncode}): {' '.join(args[:3])}")
    return json.loads(child.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data_dir", type=Path, help="the shared data folder (orangesum/ inside)")
    ap.add_argument("--store", type=Path, required=True, help="the growing store (kept; the run resumes there)")
    ap.add_argument("--sizes", default=",".join(map(str, SIZES)), help="chunk counts to measure at")
    ap.add_argument("--queries", type=int, default=300, help="OrangeSum queries timed at each size")
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--plot", type=Path, default=None, help="PNG (default: next to the JSON record)")
    ap.add_argument("--out", type=Path, default=None, help="JSON file (default: runs/benchmarks/...)")
    ap.add_argument("--ingest-step", nargs=2, type=Path, help=argparse.SUPPRESS)  # child: CORPUS SOURCES
    ap.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)  # child
    args = ap.parse_args()
    store_dir = args.store.resolve()
    all_queries = read_jsonl(Path(args.data_dir) / QUERIES)[: args.queries]
    questions = [q["question"] for q in read_jsonl(SEED_QUESTIONS)]

    if args.ingest_step:
        print(json.dumps(ingest_step(store_dir, *args.ingest_step)))
        return
    if args.serve:
        print(json.dumps(serve(store_dir, [q["question"] for q in all_queries], questions, args.warmup)))
        return

    from index.keyword import Analyzer
    from index.store import StoreConfig

    state_file = store_dir.parent / f"{store_dir.name}-scale-state.json"
    state = json.loads(state_file.read_text()) if state_file.exists() else {"steps": []}
    done = {s["target"] for s in state["steps"]}
    sizes = [int(s) for s in args.sizes.split(",")]
    config = StoreConfig(dir=store_dir)
    records = read_jsonl(Path(args.data_dir) / ARTICLES)
    t0 = time.perf_counter()
    texts = chunk_texts(records, config.chunk_target_chars, config.chunk_max_chars)
    plan = {"texts": texts, "sizes": (config.chunk_target_chars, config.chunk_max_chars)}
    print(f"{len(records):,} OrangeSum records, {sum(map(len, texts)):,} chunks ({time.perf_counter() - t0:.0f} s)",
          flush=True)
    stopwords = Analyzer(config.language).stopwords
    if not state["steps"]:  # the seeds first: their questions time the answers
        store_dir.parent.mkdir(parents=True, exist_ok=True)
        seeds = store_dir.parent / f"{store_dir.name}-seeds"
        shutil.copytree(ROOT / "seeds", seeds, dirs_exist_ok=True)
        state["seeds"] = run_child(["--store", str(store_dir), str(args.data_dir), "--ingest-step", str(seeds), "-"])
    seeds_chunks = state["seeds"]["chunks"]

    for target, start, end in step_slices([len(t) for t in texts], sizes, seeds_chunks):
        if target in done:
            continue
        corpus = store_dir.parent / f"{store_dir.name}-step-{target}.jsonl"
        sources = write_step(records, plan, start, end, corpus, stopwords)
        sources_file = store_dir.parent / f"{store_dir.name}-step-{target}-sources.json"
        sources_file.write_text(json.dumps({k.hex(): v for k, v in sources.items()}))
        print(f"step {target:,}: ingesting records {start:,}..{end:,} ({len(sources):,} synthetic chunks)", flush=True)
        ingested = run_child([str(args.data_dir), "--store", str(store_dir), "--ingest-step", str(corpus),
                              str(sources_file)])
        corpus.unlink()
        sources_file.unlink()
        print(f"  ingest: {ingested['articles_added']:,} articles in {ingested['seconds']:.0f} s "
              f"(BM25 rebuild {ingested['keyword_build_seconds']:.1f} s, peak RSS {ingested['peak_rss_mb']:.0f} MB); "
              f"{ingested['chunks']:,} chunks in the store", flush=True)
        served = run_child([str(args.data_dir), "--store", str(store_dir), "--queries", str(args.queries),
                            "--warmup", str(args.warmup), "--serve"])
        indexed = {str(r.get("doc_id", r.get("id"))) for r in records[:end]}
        golds = [q["gold_doc_id"] for q in all_queries]
        in_store = [i for i, g in enumerate(golds) if g in indexed]
        served["quality"] = hit_metrics(ranks_of_gold([served["rankings"][i] for i in in_store],
                                                      [golds[i] for i in in_store])) if in_store else None
        served["quality_note"] = ("the synthetic variants of each gold article compete with it" if end > len(records)
                                  else "queries whose gold article is in the store")
        served.pop("rankings")
        step = {"target": target, "ingest": ingested, "serve": served, "disk_mb": disk_mb(store_dir)}
        print(f"  serving: retrieval p50 {served['retrieval_ms']['p50']:.1f} ms, p95 {served['retrieval_ms']['p95']:.1f}"
              f" ms; answer p50 {served['answer_ms']['p50']:.1f} ms; RSS {served['rss_mb']['after_answers']:.0f} MB; "
              f"disk {step['disk_mb']['total']:.0f} MB", flush=True)
        state["steps"].append(step)
        state_file.write_text(json.dumps(state, indent=1))

    steps = sorted(state["steps"], key=lambda s: s["target"])
    rows, columns, projected = curve_table(steps)
    print()
    print(table(rows, columns, "Kiosque at growing sizes (warm; the serving process is a fresh one at each size)"))
    path = record("scale_curve", {"seeds": state["seeds"], "steps": steps, "projected": projected,
                                  "project_to": PROJECT_TO, "targets": TARGETS, "table": rows}, args.out)
    png = args.plot or path.with_suffix(".png")
    plot(steps, projected, png)
    print(f"wrote {path} and {png}")


if __name__ == "__main__":
    main()

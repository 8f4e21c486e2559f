"""Warm latency of the extractive answer() and of retrieval, over an existing store.

    .venv/bin/python benchmarks/answer_latency.py --store data/store [--questions evals/seeds.jsonl]
        [--rounds 3] [--out runs/answer_latency.json]

Each question is asked once to warm up, then `--rounds` times; p50/p95 over all timed calls.
Process RSS is reported at the end (the serving process: model, Chroma, BM25, caches).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from bot.settings import load_settings  # noqa: E402
from bot.wiring import Kiosque  # noqa: E402
from common import rss_mb  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--questions", type=Path, default=ROOT / "evals" / "seeds.jsonl")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("runs/answer_latency.json"))
    args = parser.parse_args()

    questions = [json.loads(line)["question"] for line in args.questions.read_text(encoding="utf-8").splitlines()
                 if line.strip()]
    kiosque = Kiosque(load_settings(None, store__dir=args.store))
    answerer = kiosque.answerer
    status = kiosque.store.status()
    for q in questions:  # warm-up: model, caches
        answerer.answer(q)
    total, retrieval, embed = [], [], []
    for _ in range(args.rounds):
        for q in questions:
            t0 = time.perf_counter()
            a = answerer.answer(q)
            total.append((time.perf_counter() - t0) * 1e3)
            retrieval.append(a.timings_ms.get("retrieval_ms", 0.0))
            embed.append(a.timings_ms.get("embed_query_ms", 0.0))
    result = {
        "store": str(args.store), "articles": status.articles, "chunks": status.chunks,
        "questions": len(questions), "timed_calls": len(total),
        "answer_ms": {"p50": round(statistics.median(total), 1), "p95": round(percentile(total, 0.95), 1)},
        "retrieval_ms": {"p50": round(statistics.median(retrieval), 1), "p95": round(percentile(retrieval, 0.95), 1)},
        "query_embedding_ms": {"p50": round(statistics.median(embed), 1), "p95": round(percentile(embed, 0.95), 1)},
        "rss_mb": round(rss_mb()[0], 1), "embedder": kiosque.embedder.describe(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(f"store {args.store}: {status['articles']:,} articles, {status['chunks']:,} chunks; "
          f"{len(questions)} questions x {args.rounds} rounds (warm)")
    print(f"{'':22s} {'p50 ms':>9s} {'p95 ms':>9s}")
    for name in ("answer_ms", "retrieval_ms", "query_embedding_ms"):
        print(f"{name:22s} {result[name]['p50']:>9.1f} {result[name]['p95']:>9.1f}")
    print(f"RSS {result['rss_mb']:.0f} MB; JSON: {args.out}")


if __name__ == "__main__":
    main()

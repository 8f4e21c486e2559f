"""Warm latency of the extractive answer() and of its stages, over an existing store.

    .venv/bin/python benchmarks/answer_latency.py --store runs/orangesum-store [--questions evals/seeds.jsonl]
        [--rounds 2] [--set embed__precision=fp32] [--int8-kernel int_mm] [--compare-in-turn]
        [--out runs/benchmarks/answer_latency.json]

"First ask": the process is warm (model, spaCy, indexes loaded, a few other questions asked first)
but each question is new to it — nothing of its sentences is cached yet, and the embedding cache is
off (an earlier run's vectors would be free); this is what a user sees.
"Asked again": the same questions once more (the reader's parse cache and the embedding cache help).
Stages: retrieval (query embedding, BM25, Chroma), the reader's features (embedding the shortlisted
sentences), its decision (spaCy on the best sentence, the answer span, answerability). ``cpu_ms``: the
process's CPU time for the answer, all threads together: on a shared host it moves less than the
wall clock when another process takes a core (the same code measured 161–212 ms p50 within minutes). Process RSS at
the end, and a cold `kiosque ask` (a new process: imports, models, first answer) timed as a command.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from bot.settings import load_settings  # noqa: E402
from bot.wiring import Kiosque  # noqa: E402
from common import machine, record, rss_mb, table  # noqa: E402

STAGES = ("retrieval_ms", "reader_features_ms", "reader_decision_ms")
WARMUP = ("Qui est le président de la République ?", "Combien de personnes ont été blessées ?",
          "Où se trouve le siège de l'entreprise ?")


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def summary(calls: list[dict]) -> dict:
    out = {}
    for key in ("total_ms", "cpu_ms", *STAGES):
        values = [c.get(key, 0.0) for c in calls]
        out[key] = {"p50": round(statistics.median(values), 1), "p95": round(percentile(values, 0.95), 1)}
    return out


def compare_in_turn(ask, questions: list[str]) -> dict[str, list[dict]]:
    """Each question asked once with the reader's token-states and reading-model passes side by side
    and once in turn (each on all of torch's threads, as before stop 36), in alternating order: a
    comparison the host's drift between two runs cannot blur. Both asks come after the first round
    (the spaCy parses are cached for both); the features stage is where they differ."""
    from bot.answer.reader import pipeline

    side_by_side = pipeline.side_by_side

    def in_turn(first, second):
        return first(), second()

    calls: dict[str, list[dict]] = {"paired, side by side": [], "paired, in turn": []}
    for i, q in enumerate(questions):
        order = (("paired, side by side", side_by_side), ("paired, in turn", in_turn))
        for name, run in order if i % 2 == 0 else order[::-1]:
            pipeline.side_by_side = run
            try:
                calls[name].append(ask(q))
            finally:
                pipeline.side_by_side = side_by_side
    return calls


def cold_ask(store: Path, question: str, overrides: dict) -> float:
    env = {**os.environ, "KIOSQUE_STORE_DIR": str(store)}
    env.update({f"KIOSQUE_{k.replace('__', '_').upper()}": str(v) for k, v in overrides.items()})
    t0 = time.perf_counter()
    subprocess.run([str(Path(sys.executable).with_name("kiosque")), "ask", question], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--questions", type=Path, default=ROOT / "evals" / "seeds.jsonl")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of asking the same questions again")
    parser.add_argument("--set", action="append", default=[], metavar="SECTION__FIELD=VALUE")
    parser.add_argument("--int8-kernel", choices=("fbgemm", "int_mm"), default=None,
                        help="with precision int8, the product to run through (default: Kiosque's choice, fbgemm "
                             "where it is exact), to compare the two in one session; the cold `kiosque ask` keeps "
                             "the default")
    parser.add_argument("--compare-in-turn", action="store_true",
                        help="then ask each question twice more, once with the reader's two encoder passes side by "
                             "side (the default since stop 36) and once in turn, alternating which goes first: "
                             "the two compared in one process, question by question")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    if args.int8_kernel:
        from index.embedders import packed

        packed.int8_kernel = lambda: args.int8_kernel  # read when the encoder's layers are built, below

    # nothing embedded at question time comes from the embedding cache (an earlier run's sentences would
    # be free): "first ask" computes every vector it uses, as a new question on a new day does
    overrides = {"embed__cache": "false", **dict(item.split("=", 1) for item in args.set)}
    questions = [json.loads(line)["question"] for line in args.questions.read_text(encoding="utf-8").splitlines()
                 if line.strip()]
    kiosque = Kiosque(load_settings(None, store__dir=args.store, **overrides))
    answerer = kiosque.answerer
    status = kiosque.store.status()
    for q in WARMUP:  # model, spaCy, indexes; not the questions timed below
        answerer.answer(q)
    kiosque.nlp.warm_up()

    def ask(q: str) -> dict:
        t0, c0 = time.perf_counter(), time.process_time()
        a = answerer.answer(q)
        return {**a.timings_ms, "total_ms": (time.perf_counter() - t0) * 1e3, "cpu_ms": (time.process_time() - c0) * 1e3}

    first = [ask(q) for q in questions]
    again = [ask(q) for _ in range(args.rounds) for q in questions]
    paired = compare_in_turn(ask, questions) if args.compare_in_turn else {}
    rss = rss_mb()[0]
    kiosque.close()
    cold = cold_ask(args.store, questions[0], overrides)
    result = {
        "store": str(args.store), "articles": status.articles, "chunks": status.chunks, "questions": len(questions),
        "embedder": kiosque.embedder.describe(), "overrides": overrides,
        "first_ask": summary(first), "asked_again": summary(again), "rss_mb": round(rss, 1),
        "cold_kiosque_ask_s": round(cold, 1),
        **({"paired": {name: summary(calls) for name, calls in paired.items()}} if paired else {}),
    }
    rows = [{"calls": name, "n": len(calls), **{f"{k} p50": v["p50"] for k, v in summary(calls).items()},
             "total_ms p95": summary(calls)["total_ms"]["p95"]}
            for name, calls in (("first ask", first), ("asked again", again), *paired.items())]
    print(table(rows, ["calls", "n", "total_ms p50", "total_ms p95", "cpu_ms p50", *[f"{s} p50" for s in STAGES]],
                f"answer() at {status.chunks:,} chunks ({result['embedder']['precision']}, {machine()['cpu']})"))
    print(f"RSS {rss:.0f} MB; a cold `kiosque ask` (new process): {cold:.1f} s")
    path = record("answer_latency", result, args.out)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()

"""The seed question set answered twice: over the five seeds alone, and over the seeds mixed into
thousands of OrangeSum news articles (distractors). Shows that answers, citations and refusals hold
at realistic scale. Prints a table and writes JSON.

    .venv/bin/python benchmarks/answers_mixed.py ../shared/data [--distractors 3000]
        [--work runs/answers-mixed] [--questions evals/seeds.jsonl]

Stores are kept in --work and reused: embeddings are cached, a second run embeds nothing.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from common import first_lines

ROOT = Path(__file__).resolve().parent.parent
KIOSQUE = Path(sys.executable).parent / "kiosque"
METRICS = ["pass_rate", "hit_at_1", "hit_at_5", "mrr_at_10", "cited_article_accuracy", "fact_recall",
           "citation_validity", "citation_precision", "refusal_accuracy", "false_refusal_rate", "latency_p50_ms",
           "latency_p95_ms"]


def run(*args: str) -> str:
    proc = subprocess.run([str(KIOSQUE), *args], cwd=ROOT, capture_output=True, text=True)
    if proc.returncode not in (0, 1):  # 1 = some questions failed: still a measurement
        sys.exit(f"kiosque {' '.join(args)} failed:\n{proc.stderr[-2000:]}")
    return proc.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="the shared data directory (contains orangesum/)")
    parser.add_argument("--distractors", type=int, default=3000)
    parser.add_argument("--work", type=Path, default=ROOT / "runs" / "answers-mixed")
    parser.add_argument("--questions", type=Path, default=ROOT / "evals" / "seeds.jsonl")
    args = parser.parse_args()
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    feed = first_lines(args.data / "orangesum" / "articles.jsonl.gz", args.distractors,
                       work / f"orangesum-{args.distractors}.jsonl")
    results = {}
    for name, paths in (("seeds", [ROOT / "seeds"]), (f"seeds+{args.distractors}", [ROOT / "seeds", feed])):
        store = work / f"store-{name}"
        print(f"indexing {name} into {store} …", flush=True)
        run("ingest", *map(str, paths), "--sync", "--store", str(store), "--json")
        status = json.loads(run("status", "--store", str(store), "--json"))
        summary = json.loads(run("eval", str(args.questions), "--store", str(store), "--out", str(work / f"eval-{name}"),
                                 "--json"))
        results[name] = {"articles": status["articles"], "chunks": status["chunks"], **summary["metrics"]}
    (work / "summary.json").write_text(json.dumps(results, indent=2))
    names = list(results)
    print(f"\n{'':26s}" + "".join(f"{n:>18s}" for n in names))
    for key in ["articles", "chunks"] + METRICS:
        cells = []
        for n in names:
            v = results[n].get(key)
            cells.append(f"{v:>18,}" if isinstance(v, int) else f"{v:>18.3f}" if isinstance(v, float) else f"{'-':>18s}")
        print(f"{key:26s}" + "".join(cells))
    print(f"JSON: {work / 'summary.json'}")


if __name__ == "__main__":
    main()

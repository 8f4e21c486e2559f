"""Tune retrieval settings honestly: every combination of a grid of query-time settings is run
through Kiosque's own retriever (built by bot.wiring, as the bot builds it) over a store that is
already indexed, and scored on the first half of the questions ("tune") and the second half
("held-out") separately. Choose on "tune"; read "held-out" to see whether the choice generalises.

    .venv/bin/python benchmarks/retrieval_sweep.py orangesum ../shared/data/orangesum --store S \\
        --grid retrieval__article_weight=0,1,1.5 --grid retrieval__rrf_k=5,10
    .venv/bin/python benchmarks/retrieval_sweep.py piaf ../shared/data/piaf --store S --grid ...

Query vectors are computed once and the dense side's answers remembered per query, so a grid
point costs the keyword side and the fusion only (the figures are the retriever's own; its speed
is not measured here). Settings that change the index (chunking, BM25 parameters, the article
list's title weight) need a store indexed with them: ingest a copy with the setting, then sweep it.
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from pathlib import Path

import numpy as np

from common import hit_metrics, load_piaf, ranks_of_gold, read_jsonl, record, table

DEPTH = 10


def questions_of(dataset: str, data_dir: Path) -> tuple[list[str], list[str]]:
    """(question texts, gold article ids) of a data set, in the file's order."""
    if dataset == "piaf":
        _, questions = load_piaf(data_dir)
        return [q["question"] for q in questions], [q["context_id"] for q in questions]
    queries = read_jsonl(Path(data_dir) / "queries.valid.jsonl")
    return [q["question"] for q in queries], [q["gold_doc_id"] for q in queries]


class RememberedQueries:
    """The embedder's query side from vectors computed once (passages are never embedded here)."""

    def __init__(self, embedder, texts: list[str]):
        self.inner = embedder
        self.vectors = dict(zip(texts, embedder.embed_queries(texts)))

    def embed_queries(self, texts):
        return np.stack([self.vectors[t] for t in texts])

    def embed_query_with_tokens(self, text, *, layer=None):
        return None  # a sweep reads no answers: the remembered vector, without token states

    def __getattr__(self, name):
        return getattr(self.inner, name)


def remember_dense(vectors) -> None:
    """Chroma answers each (query, depth, filter) once for the whole sweep."""
    ask, answers = vectors.query, {}

    def query(vector, k, where=None):
        key = (np.asarray(vector, dtype=np.float32).tobytes(), k, json.dumps(where, sort_keys=True))
        if key not in answers:
            answers[key] = ask(vector, k, where)
        return answers[key]

    vectors.query = query


def grid_points(items: list[str]) -> list[dict]:
    axes = []
    for item in items:
        key, _, values = item.partition("=")
        axes.append([(key, json.loads(v) if v.strip() not in ("rrf", "convex") else v.strip())
                     for v in values.split(",")])
    return [dict(point) for point in itertools.product(*axes)] if axes else [{}]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dataset", choices=["orangesum", "piaf"])
    ap.add_argument("data_dir", type=Path)
    ap.add_argument("--store", type=Path, required=True, help="an indexed store (read only)")
    ap.add_argument("--grid", action="append", default=[], metavar="SECTION__FIELD=V1,V2,...",
                    help="values to try for one query-time setting (repeatable: the grid is their product)")
    ap.add_argument("--questions", type=int, default=0, help="only the first N questions (0 = all)")
    ap.add_argument("--out", type=Path, default=None, help="JSON file (default: runs/benchmarks/...)")
    args = ap.parse_args()

    from bot.settings import load_settings
    from bot.wiring import Kiosque

    texts, gold = questions_of(args.dataset, args.data_dir)
    if args.questions:
        texts, gold = texts[: args.questions], gold[: args.questions]
    half = len(texts) // 2
    splits = {"all": slice(0, len(texts)), "tune": slice(0, half), "held-out": slice(half, len(texts))}

    base = Kiosque(load_settings(None, store__dir=args.store))
    store = base.store
    t0 = time.perf_counter()
    queries = RememberedQueries(base.embedder, texts)
    remember_dense(store.vectors)
    print(f"{len(texts)} questions embedded in {time.perf_counter() - t0:.0f} s; store {store.catalog.counts()}",
          flush=True)

    rows, results = [], []
    for point in grid_points(args.grid):
        app = Kiosque(load_settings(None, store__dir=args.store, **point))
        app.__dict__.update(store=store, embedder=queries)  # the shared store, the remembered queries
        t = time.perf_counter()
        ranked = [app.retriever.search(text, k=DEPTH).article_ids for text in texts]
        seconds = time.perf_counter() - t
        metrics = {name: hit_metrics(ranks_of_gold(ranked[sl], gold[sl])) for name, sl in splits.items()}
        results.append({"settings": point, "metrics": metrics, "seconds": seconds})
        label = ", ".join(f"{k.split('__')[-1]}={v}" for k, v in point.items()) or "defaults"
        row = {"settings": label}
        for name in splits:
            row.update({f"{name} hit@1": metrics[name]["hit@1"], f"{name} hit@5": metrics[name]["hit@5"],
                        f"{name} hit@10": metrics[name]["hit@10"]})
        rows.append(row)
        print(f"  {label}: tune hit@5 {metrics['tune']['hit@5']:.1f} hit@10 {metrics['tune']['hit@10']:.1f} | "
              f"held-out hit@5 {metrics['held-out']['hit@5']:.1f} hit@10 {metrics['held-out']['hit@10']:.1f}",
              flush=True)
    columns = ["settings"] + [f"{n} {m}" for n in splits for m in ("hit@1", "hit@5", "hit@10")]
    print()
    print(table(rows, columns, f"{args.dataset}: {len(texts)} questions, tune = first {half}, held-out = the rest"))
    path = record(f"sweep-{args.dataset}", {
        "store": str(args.store), "counts": store.catalog.counts(),
        "article_list": store.article_keyword_index() is not None, "results": results, "table": rows,
    }, args.out)
    base.close()
    print(f"wrote {path}")


if __name__ == "__main__":
    main()

"""What the article-level keyword list costs an ingest: every ingest that changes something builds
the next keyword generation from the catalog; this times that build with and without the article
list, alternating, over an existing store (read only; generations are written to a temporary folder).

    .venv/bin/python benchmarks/keyword_build.py --store runs/bench-store/orangesum/store --rounds 3
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from common import median, record, rss_mb, table


def documents(store):
    """Chunk term arrays and article documents exactly as the ingest assembles them."""
    from index.keyword import ArticleDocuments

    catalog, config = store.catalog, store.config
    chunk_ids, arrays, of_article = [], [], {aid: [] for aid in sorted(catalog.article_hashes())}
    for cid, aid, terms in catalog.chunk_terms():
        chunk_ids.append(cid)
        arrays.append(terms)
        of_article[aid].append(terms)
    titles, empty = catalog.title_terms(), np.zeros(0, dtype=np.uint32)
    articles = ArticleDocuments(
        list(of_article),
        [np.concatenate([np.tile(titles.get(aid, empty), config.article_title_weight), *parts])
         for aid, parts in of_article.items()],
        k1=config.article_bm25_k1, b=config.article_bm25_b, title_weight=config.article_title_weight)
    return chunk_ids, arrays, articles


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", type=Path, required=True)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()

    from index.keyword import build_generation
    from index.store import Store, StoreConfig

    store = Store(StoreConfig(dir=args.store), create=False)
    t0 = time.perf_counter()
    chunk_ids, arrays, articles = documents(store)
    read_s = time.perf_counter() - t0
    vocab = store.catalog.vocabulary()
    times = {"chunks only": [], "chunks + article list": []}
    with tempfile.TemporaryDirectory(prefix="kiosque-kwbuild-") as tmp:
        for r in range(args.rounds):
            for name in times:
                t = time.perf_counter()
                build_generation(Path(tmp) / f"gen-{r}-{len(times[name])}", chunk_ids, arrays, vocab,
                                 k1=store.config.bm25_k1, b=store.config.bm25_b,
                                 articles=articles if name != "chunks only" else None)
                times[name].append(time.perf_counter() - t)
    counts = store.catalog.counts()
    store.close()
    base = times["chunks only"]
    rows = [{"build": name, "median s": median(v), "rounds": ", ".join(f"{x:.1f}" for x in v),
             "vs chunks only (median of per-round ratios)": median([x / b for x, b in zip(v, base)])}
            for name, v in times.items()]
    print(table(rows, ["build", "median s", "rounds", "vs chunks only (median of per-round ratios)"],
                f"keyword generation build: {counts['chunks']:,} chunks, {counts['articles']:,} articles "
                f"(reading them from the catalog: {read_s:.1f} s)"))
    path = record("keyword_build", {"store": str(args.store), "counts": counts, "read_seconds": read_s,
                                    "seconds": times, "peak_rss_mb": rss_mb()[1], "table": rows}, args.out)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()

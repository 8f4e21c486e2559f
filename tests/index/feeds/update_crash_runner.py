"""Run a feed update in this process and SIGKILL it at a chosen point (for the crash tests).

    python -m tests.index.feeds.update_crash_runner STORE CACHE MODELS POINT FEED_URL...

Points: embedding (inside the first batch's ingest, after a chunk reached Chroma, before the commit),
journal (after the first batch's commit, before the journal marks its items done).
"""

from __future__ import annotations

import sys
from pathlib import Path

from tests.index.crash_runner import die, die_at_second_embedding


def main() -> None:
    store_dir, cache, models, point, *feeds = sys.argv[1:]
    import index.embedding_pipeline as pipeline_mod
    from index.embedders import make_embedder
    from index.feeds.journal import FeedJournal
    from index.feeds.update import Subscription
    from index.store import Store, StoreConfig
    from tests.index.feeds.conftest import make_updater

    pipeline_mod.EMBED_BATCH = 1
    embedder = make_embedder(cache_dir=Path(cache), models_dir=Path(models))
    store = Store(StoreConfig(dir=Path(store_dir)))
    if point == "embedding":
        die_at_second_embedding(embedder)
    elif point == "journal":
        FeedJournal.mark_done = lambda self, done: die()
    else:
        raise SystemExit(f"unknown point {point}")
    report = make_updater(store, embedder, batch_size=2).update([Subscription(u) for u in feeds])
    print("FINISHED", report.summary())


if __name__ == "__main__":
    main()

"""The feed journal: subscriptions, what each feed last said, every item seen and where it stands.

It is a small SQLite file of its own in the store directory (``feeds.sqlite``), so subscriptions travel
with the store and survive restarts, and the catalog's schema stays untouched. An item is ``pending``
from the moment a feed lists it (or lists it changed) until its article is committed to the index;
``failed`` items are tried again on the next run, up to `RETRY_LIMIT` runs, then ``gave_up`` until the
feed changes them. The journal only ever moves forward after the index did, so a crash anywhere
leaves items pending, and the next run finishes them.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from index.records import JournalCounts
from index.sqlite import PerThreadConnection, transaction

#: runs a failing item is tried before it is left alone (until the feed lists it changed)
RETRY_LIMIT = 5

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feeds (
    url TEXT PRIMARY KEY, outlet TEXT, title TEXT, added_at REAL NOT NULL, subscribed INTEGER NOT NULL,
    etag TEXT, last_modified TEXT, polled_at REAL, status TEXT, error TEXT, failures INTEGER NOT NULL DEFAULT 0,
    items INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS items (
    article_id TEXT PRIMARY KEY, feed_url TEXT, url TEXT, guid TEXT, title TEXT, date TEXT, outlet TEXT,
    fingerprint TEXT, state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, error TEXT,
    page_etag TEXT, page_last_modified TEXT, outcome TEXT, first_seen REAL NOT NULL, last_seen REAL NOT NULL,
    done_at REAL
);
CREATE INDEX IF NOT EXISTS items_state ON items(state);
CREATE INDEX IF NOT EXISTS items_done ON items(done_at);
CREATE INDEX IF NOT EXISTS items_guid ON items(guid);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT, trigger TEXT, started_at REAL NOT NULL, finished_at REAL, report TEXT
);
CREATE TABLE IF NOT EXISTS robots (host TEXT PRIMARY KEY, status INTEGER NOT NULL, text TEXT NOT NULL,
                                   fetched_at REAL NOT NULL);
"""


@dataclass(frozen=True)
class FeedRow:
    url: str
    outlet: str | None
    title: str | None
    added_at: float
    #: 1 = added with `kiosque feeds add`; 0 = only named in the settings
    subscribed: int
    etag: str | None
    last_modified: str | None
    polled_at: float | None
    status: str | None
    error: str | None
    failures: int
    items: int

    def to_dict(self) -> dict:
        return self.__dict__.copy()


@dataclass(frozen=True)
class PollCounts(JournalCounts):
    """What the journal keeps of an update (`UpdateReport.summary`): counts only."""

    feeds: int = 0
    feeds_not_modified: int = 0
    feeds_failed: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    chunks_embedded: int = 0
    requests: int = 0
    seconds: float = 0.0


@dataclass(frozen=True)
class LastPoll:
    """The last update that finished, whoever ran it: ``trigger`` "bot" (its poll) or "cli" (`kiosque update`)."""

    id: int
    trigger: str
    started_at: float
    finished_at: float
    report: PollCounts


@dataclass(frozen=True)
class ItemRow:
    """An article a feed listed: what the feed said about it, and where it stands."""

    article_id: str
    feed_url: str | None
    url: str | None
    guid: str | None
    title: str | None
    date: str | None
    outlet: str | None
    fingerprint: str | None
    state: str
    attempts: int
    error: str | None
    page_etag: str | None
    page_last_modified: str | None
    outcome: str | None


@dataclass(frozen=True)
class Listed:
    """An item as a feed lists it now (see parse.FeedItem), with its id and outlet decided."""

    article_id: str
    url: str | None
    guid: str | None
    title: str | None
    date: str | None
    outlet: str | None
    fingerprint: str


_ITEM_COLUMNS = ("article_id, feed_url, url, guid, title, date, outlet, fingerprint, state, attempts, error, "
                 "page_etag, page_last_modified, outcome")
_FEED_COLUMNS = ("url, outlet, title, added_at, subscribed, etag, last_modified, polled_at, status, error, failures, "
                 "items")


class FeedJournal:
    """``feeds.sqlite``; a connection per thread (the bot polls from a worker thread)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._connection = PerThreadConnection(self.path)
        self.db.executescript(_SCHEMA)

    @property
    def db(self) -> sqlite3.Connection:
        return self._connection.get()

    def _tx(self):
        return transaction(self.db)

    def close(self) -> None:
        self._connection.close()

    # -- subscriptions --------------------------------------------------------------------------------
    def add_feed(self, url: str, outlet: str | None = None) -> bool:
        """Subscribe (True), or change the outlet of a subscription that exists (False)."""
        with self._tx() as db:
            row = db.execute("SELECT subscribed FROM feeds WHERE url = ?", (url,)).fetchone()
            if row is None:
                db.execute("INSERT INTO feeds (url, outlet, added_at, subscribed) VALUES (?, ?, ?, 1)",
                           (url, outlet, time.time()))
            else:
                db.execute("UPDATE feeds SET subscribed = 1, outlet = coalesce(?, outlet) WHERE url = ?", (outlet, url))
        return row is None or not row[0]

    def find_feeds(self, url_or_name: str) -> list[FeedRow]:
        """Feeds known by this URL, outlet or feed title (case-insensitive)."""
        key = url_or_name.strip()
        return [FeedRow(*r) for r in self.db.execute(
            f"SELECT {_FEED_COLUMNS} FROM feeds WHERE url = ? OR lower(outlet) = lower(?) OR lower(title) = lower(?)",
            (key, key, key))]

    def remove_feed(self, url_or_name: str) -> list[str]:
        """Unsubscribe the feeds `find_feeds` names that `add_feed` subscribed; the URLs removed.
        Their articles stay indexed: leaving a feed deletes nothing."""
        rows = [f.url for f in self.find_feeds(url_or_name) if f.subscribed]
        with self._tx() as db:
            db.executemany("DELETE FROM feeds WHERE url = ?", [(u,) for u in rows])
        return rows

    def feeds(self) -> list[FeedRow]:
        return [FeedRow(*r) for r in self.db.execute(f"SELECT {_FEED_COLUMNS} FROM feeds ORDER BY added_at, url")]

    def feed(self, url: str) -> FeedRow | None:
        row = self.db.execute(f"SELECT {_FEED_COLUMNS} FROM feeds WHERE url = ?", (url,)).fetchone()
        return FeedRow(*row) if row else None

    def ensure_feed(self, url: str, outlet: str | None) -> None:
        """A feed from the settings gets a row (for its ETag and status) without being a subscription
        `feeds remove` could drop; its outlet follows the settings."""
        with self._tx() as db:
            db.execute("INSERT OR IGNORE INTO feeds (url, outlet, added_at, subscribed) VALUES (?, ?, ?, 0)",
                       (url, outlet, time.time()))
            if outlet:
                db.execute("UPDATE feeds SET outlet = ? WHERE url = ?", (outlet, url))

    # -- polls ---------------------------------------------------------------------------------------
    def record_listing(self, feed_url: str, *, title: str | None, etag: str | None, last_modified: str | None,
                       items: Iterable[Listed], status: str) -> dict[str, int]:
        """A feed answered with its items: new or changed ones become pending, in the same transaction as
        its new ETag, so a crash right after can never make the next run's 304 hide them."""
        now = time.time()
        counts = {"listed": 0, "queued": 0}
        with self._tx() as db:
            for item in items:
                counts["listed"] += 1
                row = db.execute("SELECT fingerprint, state FROM items WHERE article_id = ?",
                                 (item.article_id,)).fetchone()
                if row is None:
                    db.execute(
                        "INSERT INTO items (article_id, feed_url, url, guid, title, date, outlet, fingerprint, state, "
                        "first_seen, last_seen) VALUES (?,?,?,?,?,?,?,?, 'pending', ?, ?)",
                        (item.article_id, feed_url, item.url, item.guid, item.title, item.date, item.outlet,
                         item.fingerprint, now, now))
                    counts["queued"] += 1
                elif row[0] != item.fingerprint:
                    db.execute(
                        "UPDATE items SET feed_url = ?, url = ?, guid = ?, title = ?, date = ?, outlet = ?, "
                        "fingerprint = ?, state = 'pending', attempts = 0, error = NULL, last_seen = ? "
                        "WHERE article_id = ?",
                        (feed_url, item.url, item.guid, item.title, item.date, item.outlet, item.fingerprint, now,
                         item.article_id))
                    counts["queued"] += 1
                else:
                    db.execute("UPDATE items SET last_seen = ? WHERE article_id = ?", (now, item.article_id))
            db.execute(
                "UPDATE feeds SET title = coalesce(?, title), etag = ?, last_modified = ?, polled_at = ?, status = ?, "
                "error = NULL, failures = 0, items = ? WHERE url = ?",
                (title, etag, last_modified, now, status, counts["listed"], feed_url))
        return counts

    def record_not_modified(self, feed_url: str) -> None:
        with self._tx() as db:
            db.execute("UPDATE feeds SET polled_at = ?, status = 'not modified', error = NULL, failures = 0 "
                       "WHERE url = ?", (time.time(), feed_url))

    def record_feed_failure(self, feed_url: str, reason: str) -> None:
        with self._tx() as db:
            db.execute("UPDATE feeds SET polled_at = ?, status = 'failed', error = ?, failures = failures + 1 "
                       "WHERE url = ?", (time.time(), reason, feed_url))

    # -- items ---------------------------------------------------------------------------------------
    def due_items(self) -> list[ItemRow]:
        """Items to fetch this run: pending ones, and failed ones not yet given up on."""
        return [ItemRow(*r) for r in self.db.execute(
            f"SELECT {_ITEM_COLUMNS} FROM items WHERE state IN ('pending', 'failed') ORDER BY first_seen, article_id")]

    def id_for_guid(self, guid: str) -> str | None:
        """The article a GUID was first seen with: a story whose link changed stays the same article."""
        row = self.db.execute("SELECT article_id FROM items WHERE guid = ? ORDER BY first_seen LIMIT 1",
                              (guid,)).fetchone()
        return row[0] if row else None

    def item(self, article_id: str) -> ItemRow | None:
        row = self.db.execute(f"SELECT {_ITEM_COLUMNS} FROM items WHERE article_id = ?", (article_id,)).fetchone()
        return ItemRow(*row) if row else None

    def mark_done(self, done: Iterable[tuple[str, str, str | None, str | None]]) -> None:
        """(article id, outcome, page ETag, page Last-Modified) of items now in the index."""
        now = time.time()
        with self._tx() as db:
            db.executemany(
                "UPDATE items SET state = 'done', outcome = ?, page_etag = ?, page_last_modified = ?, error = NULL, "
                "attempts = 0, done_at = ? WHERE article_id = ?",
                [(outcome, etag, lm, now, aid) for aid, outcome, etag, lm in done])

    def mark_failed(self, failed: Iterable[tuple[str, str]]) -> dict[str, bool]:
        """(article id, reason) of items that failed this run; says which ones were given up on."""
        gave_up: dict[str, bool] = {}
        with self._tx() as db:
            for aid, reason in failed:
                row = db.execute("SELECT attempts FROM items WHERE article_id = ?", (aid,)).fetchone()
                attempts = (row[0] if row else 0) + 1
                state = "gave_up" if attempts >= RETRY_LIMIT else "failed"
                db.execute("UPDATE items SET state = ?, attempts = ?, error = ? WHERE article_id = ?",
                           (state, attempts, reason, aid))
                gave_up[aid] = state == "gave_up"
        return gave_up

    def new_articles_since(self, since: float) -> list[dict]:
        """Articles a feed brought that were new to the index, committed after ``since`` (oldest first)."""
        rows = self.db.execute(
            "SELECT article_id, title, outlet, date, url, done_at FROM items "
            "WHERE outcome = 'new' AND done_at > ? ORDER BY done_at, article_id", (since,))
        return [dict(zip(("article_id", "title", "outlet", "date", "url", "done_at"), r)) for r in rows]

    def counts(self) -> dict[str, int]:
        return dict(self.db.execute("SELECT state, count(*) FROM items GROUP BY state"))

    # -- runs ----------------------------------------------------------------------------------------
    def start_run(self, trigger: str) -> int:
        with self._tx() as db:
            cur = db.execute("INSERT INTO runs (trigger, started_at) VALUES (?, ?)", (trigger, time.time()))
        return int(cur.lastrowid)

    def finish_run(self, run_id: int, report: PollCounts) -> None:
        with self._tx() as db:
            db.execute("UPDATE runs SET finished_at = ?, report = ? WHERE id = ?",
                       (time.time(), json.dumps(asdict(report), ensure_ascii=False), run_id))

    def last_run(self) -> LastPoll | None:
        row = self.db.execute("SELECT id, trigger, started_at, finished_at, report FROM runs "
                              "WHERE finished_at IS NOT NULL ORDER BY id DESC LIMIT 1").fetchone()
        if row is None:
            return None
        return LastPoll(id=row[0], trigger=row[1], started_at=row[2], finished_at=row[3],
                        report=PollCounts.from_json(json.loads(row[4]) if row[4] else {}))

    # -- robots.txt (the fetcher's RobotsCache) ---------------------------------------------------------
    def get_robots(self, host: str) -> tuple[int, str, float] | None:
        row = self.db.execute("SELECT status, text, fetched_at FROM robots WHERE host = ?", (host,)).fetchone()
        return (row[0], row[1], row[2]) if row else None

    def put_robots(self, host: str, status: int, text: str) -> None:
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO robots VALUES (?, ?, ?, ?)", (host, status, text, time.time()))

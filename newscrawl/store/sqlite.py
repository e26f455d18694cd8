"""The embedded store: one SQLite file from the standard library, for machines without MongoDB.

Same documents and answers as the MongoDB store (see :mod:`.base`): ``articles`` keyed by record key,
``gallery_entries`` keyed by slide key with the list of articles that showed the slide. Documents are
stored as JSON text; the columns beside them are what lookups need.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from .base import HISTORY_LENGTH, EntrySighting, Record, Store, StoredState, StoreUnavailable, merge_entries

SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    key TEXT PRIMARY KEY,
    content_hash TEXT NOT NULL,
    revision INTEGER NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    history TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS gallery_entries (
    key TEXT PRIMARY KEY,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    articles TEXT NOT NULL,
    doc TEXT NOT NULL
);
"""


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


class SQLiteStore(Store):
    name = "sqlite"

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.conn: sqlite3.Connection | None = None

    def describe(self) -> str:
        return f"embedded store {self.path}"

    def open(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # One worker thread uses the connection, but it is not the thread that created the object.
            self.conn = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.executescript(SCHEMA)
        except (sqlite3.Error, OSError) as exc:
            raise StoreUnavailable(f"cannot open the embedded store {self.path}: {exc}") from exc

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def lookup(self, key: str) -> StoredState | None:
        row = self.conn.execute("SELECT content_hash, revision FROM articles WHERE key = ?", (key,)).fetchone()
        return StoredState(row[0], row[1]) if row else None

    def get(self, key: str) -> dict | None:
        """The stored document with its bookkeeping fields, shaped like the MongoDB document."""
        row = self.conn.execute(
            "SELECT doc, content_hash, revision, first_seen, last_seen, history FROM articles WHERE key = ?", (key,)
        ).fetchone()
        if not row:
            return None
        doc = json.loads(row[0])
        doc.update(content_hash=row[1], revision=row[2], first_seen=row[3], last_seen=row[4], history=json.loads(row[5]))
        return doc

    def gallery_entry(self, key: str) -> dict | None:
        row = self.conn.execute("SELECT doc, articles, first_seen, last_seen FROM gallery_entries WHERE key = ?",
                                (key,)).fetchone()
        if not row:
            return None
        return {**json.loads(row[0]), "key": key, "articles": json.loads(row[1]), "first_seen": row[2],
                "last_seen": row[3]}

    def count(self) -> int:
        return self.conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]

    def write(self, records: list[Record], touches: list[tuple[str, str]]) -> int:
        with self.conn:  # one transaction per batch
            for rec in records:
                self._upsert_article(rec)
            for ekey, seen in merge_entries(records).items():
                self._upsert_entry(ekey, seen)
            self.conn.executemany("UPDATE articles SET last_seen = ? WHERE key = ? AND last_seen < ?",
                                  [(when, key, when) for key, when in touches])
        return len(records)

    def _upsert_article(self, rec: Record) -> None:
        row = self.conn.execute("SELECT history FROM articles WHERE key = ?", (rec.key,)).fetchone()
        history = json.loads(row[0]) if row else []
        history = (history + [{"content_hash": rec.content_hash, "revision": rec.revision, "seen_at": rec.seen_at}])
        history = history[-HISTORY_LENGTH:]
        self.conn.execute(
            """INSERT INTO articles (key, content_hash, revision, first_seen, last_seen, history, doc)
               VALUES (?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT(key) DO UPDATE SET content_hash = excluded.content_hash, revision = excluded.revision,
                   last_seen = max(last_seen, excluded.last_seen), history = excluded.history, doc = excluded.doc""",
            (rec.key, rec.content_hash, rec.revision, rec.seen_at, rec.seen_at, _json(history), _json(rec.doc)),
        )

    def _upsert_entry(self, ekey: str, seen: EntrySighting) -> None:
        row = self.conn.execute("SELECT articles FROM gallery_entries WHERE key = ?", (ekey,)).fetchone()
        articles = json.loads(row[0]) if row else []
        articles += [a for a in seen.articles if a not in articles]
        self.conn.execute(
            """INSERT INTO gallery_entries (key, first_seen, last_seen, articles, doc) VALUES (?, ?, ?, ?, ?)
               ON CONFLICT(key) DO UPDATE SET last_seen = max(last_seen, excluded.last_seen),
                   articles = excluded.articles, doc = excluded.doc""",
            (ekey, seen.first_seen, seen.last_seen, _json(articles), _json(seen.entry)),
        )

"""The embedded store: one SQLite file from the standard library, for machines without MongoDB.

Same documents and answers as the MongoDB store (see :mod:`.base`): ``articles`` keyed by record key,
``gallery_entries`` keyed by slide key, and ``gallery_entry_articles`` listing, in order, the articles that
showed each slide (one row per pair: heute's news slides appear in hundreds of articles, and rewriting a
growing list on every write made each flush slower than the last). Documents are stored as JSON text;
the columns beside them are what lookups need. Files written before that table existed, whose slides keep
the list in ``gallery_entries.articles``, are moved to it when opened.

Versions (:mod:`.versions`) are rows of ``article_versions``, unique on (key, revision), written in the
transaction that writes their article; the table is created when a file is opened (files from before it get
it then; their articles have no versions until their next revision).
"""

from __future__ import annotations

import json
import sqlite3

import orjson
from pathlib import Path

from .base import (HISTORY_LENGTH, EntrySighting, Record, Store, StoredState, StoreUnavailable, StoreWriteError,
                   merge_entries)
from .base import chunked
from .versions import CHANGE_FIELDS, VERSION_FIELDS, VersionPolicy, since_stamp, version_doc

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
    articles TEXT NOT NULL,  -- '[]'; files from before gallery_entry_articles kept the list here
    doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS gallery_entry_articles (
    entry TEXT NOT NULL,
    article TEXT NOT NULL,
    UNIQUE (entry, article)
);
CREATE TABLE IF NOT EXISTS article_versions (
    key TEXT NOT NULL,
    revision INTEGER NOT NULL,
    seen_at TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    fields TEXT NOT NULL,
    changes TEXT,  -- JSON, NULL for none
    PRIMARY KEY (key, revision)
);
CREATE INDEX IF NOT EXISTS article_versions_seen_at ON article_versions (seen_at);
"""
# The article lists of older files, moved into gallery_entry_articles (in their order) at open.
MIGRATE_ENTRY_ARTICLES = """
INSERT OR IGNORE INTO gallery_entry_articles (entry, article)
    SELECT gallery_entries.key, list.value FROM gallery_entries, json_each(gallery_entries.articles) AS list
    WHERE gallery_entries.articles != '[]' ORDER BY gallery_entries.rowid, list.key;
UPDATE gallery_entries SET articles = '[]' WHERE articles != '[]';
"""


def _json(value) -> str:
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME).decode()  # ~10x json
    except TypeError:  # what orjson refuses or would write otherwise (huge ints, lone surrogates, datetimes)
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


class SQLiteStore(Store):
    name = "sqlite"

    def __init__(self, path: str | Path, versions: VersionPolicy | None = None):
        self.path = Path(path)
        self.versions_policy = versions or VersionPolicy()
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
            if self.conn.execute("SELECT 1 FROM gallery_entries WHERE articles != '[]' LIMIT 1").fetchone():
                self.conn.executescript("BEGIN;" + MIGRATE_ENTRY_ARTICLES + "COMMIT;")
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
        row = self.conn.execute("SELECT doc, first_seen, last_seen FROM gallery_entries WHERE key = ?",
                                (key,)).fetchone()
        if not row:
            return None
        articles = [a for (a,) in self.conn.execute(
            "SELECT article FROM gallery_entry_articles WHERE entry = ? ORDER BY rowid", (key,))]
        return {**json.loads(row[0]), "key": key, "articles": articles, "first_seen": row[1], "last_seen": row[2]}

    def count(self) -> int:
        return self.conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]

    # Versions (see .versions).
    def versions(self, key: str) -> list[dict]:
        rows = self.conn.execute(
            f"SELECT {', '.join(VERSION_FIELDS)} FROM article_versions WHERE key = ? ORDER BY revision", (key,))
        return [{**dict(zip(VERSION_FIELDS, row)), "fields": json.loads(row[4]),
                 "changes": None if row[5] is None else json.loads(row[5])} for row in rows]

    def changed_since(self, since: str) -> list[dict]:
        rows = self.conn.execute(
            """SELECT v.key, json_extract(a.doc, '$.url'), v.revision, v.seen_at, v.changes
               FROM article_versions AS v LEFT JOIN articles AS a ON a.key = v.key
               WHERE v.revision > 1 AND v.seen_at >= ? ORDER BY v.seen_at, v.key, v.revision""",
            (since_stamp(since),))
        return [{**dict(zip(CHANGE_FIELDS, row)), "changes": None if row[4] is None else json.loads(row[4])}
                for row in rows]

    def _key_with_url(self, urls: list[str]) -> str | None:
        marks = ",".join("?" * len(urls))
        row = self.conn.execute(
            f"SELECT key FROM articles WHERE json_extract(doc, '$.url') IN ({marks})"
            f" OR json_extract(doc, '$.canonical_url') IN ({marks}) ORDER BY key LIMIT 1", [*urls, *urls]).fetchone()
        return row[0] if row else None

    def _article_urls(self):
        rows = self.conn.execute("SELECT key, json_extract(doc, '$.url'), json_extract(doc, '$.canonical_url')"
                                 " FROM articles ORDER BY key")
        for key, url, canonical in rows:
            yield key, (url, canonical)

    def write(self, records: list[Record], touches: list[tuple[str, str]]) -> int:
        """One transaction per batch. When SQLite refuses part of it (a constraint or trigger, a value it
        cannot hold), the batch is written again record by record and :class:`StoreWriteError` names the
        refused ones with the reason; a failing store (locked, disk full, I/O) fails the whole batch."""
        try:
            with self.conn:
                for rec in records:
                    self._upsert_article(rec)
                for ekey, seen in merge_entries(records).items():
                    self._upsert_entry(ekey, seen)
                self._touch(touches)
                self._expire_versions(records)
            return len(records)
        except sqlite3.OperationalError:
            raise
        except sqlite3.DatabaseError:  # IntegrityError, DataError, ...: find out which operations
            return self._write_each(records, touches)

    def _touch(self, touches: list[tuple[str, str]]) -> None:
        self.conn.executemany("UPDATE articles SET last_seen = ? WHERE key = ? AND last_seen < ?",
                              [(when, key, when) for key, when in touches])

    def _write_each(self, records: list[Record], touches: list[tuple[str, str]]) -> int:
        refused: dict[int, str] = {}
        failed_touches: list[tuple[str, str]] = []
        with self.conn:
            self.conn.execute("BEGIN")
            for rec in records:
                self.conn.execute("SAVEPOINT one")
                try:
                    self._upsert_article(rec)
                    for ekey, seen in merge_entries([rec]).items():
                        self._upsert_entry(ekey, seen)
                except sqlite3.OperationalError:
                    raise
                except sqlite3.DatabaseError as exc:
                    self.conn.execute("ROLLBACK TO one")
                    refused[id(rec)] = f"the embedded store refused it: {type(exc).__name__}: {str(exc)[:300]}"
                self.conn.execute("RELEASE one")
            self.conn.execute("SAVEPOINT one")
            try:
                self._touch(touches)
            except sqlite3.OperationalError:
                raise
            except sqlite3.DatabaseError:
                self.conn.execute("ROLLBACK TO one")
                failed_touches = list(touches)
            self.conn.execute("RELEASE one")
            self._expire_versions([rec for rec in records if id(rec) not in refused])
        if refused or failed_touches:
            rejected = [rec for rec in records if id(rec) in refused]
            message = (f"the embedded store refused {len(rejected)} records and {len(failed_touches)} sightings: "
                       f"{next(iter(refused.values()), '')}")
            raise StoreWriteError(message, len(rejected) + len(failed_touches), rejected, failed_touches, refused)
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
        if self.versions_policy.enabled:
            self._put_version(rec)

    def _put_version(self, rec: Record) -> None:
        version = version_doc(rec)
        changes = version["changes"]
        self.conn.execute(
            """INSERT INTO article_versions (key, revision, seen_at, content_hash, fields, changes)
               VALUES (?, ?, ?, ?, ?, ?)
               ON CONFLICT(key, revision) DO UPDATE SET seen_at = excluded.seen_at,
                   content_hash = excluded.content_hash, fields = excluded.fields, changes = excluded.changes""",
            (rec.key, rec.revision, version["seen_at"], rec.content_hash, _json(version["fields"]),
             None if changes is None else _json(changes)),
        )

    def _expire_versions(self, records: list[Record]) -> None:
        """Retention (NEWSCRAWL_VERSIONS_KEEP) for the keys just written, in the same transaction."""
        policy = self.versions_policy
        if not policy.enabled or policy.keeps_all or not records:
            return
        latest: dict[str, int] = {}
        for rec in records:
            latest[rec.key] = max(latest.get(rec.key, rec.revision), rec.revision)
        if policy.keep_last is not None:
            self.conn.executemany("DELETE FROM article_versions WHERE key = ? AND revision <= ?",
                                  [(key, revision - policy.keep_last) for key, revision in latest.items()])
        else:
            cutoff = policy.cutoff()
            self.conn.executemany(
                """DELETE FROM article_versions WHERE key = ? AND seen_at < ? AND revision <
                   (SELECT MAX(revision) FROM article_versions WHERE key = ?)""",
                [(key, cutoff, key) for key in latest])

    def _upsert_entry(self, ekey: str, seen: EntrySighting) -> None:
        self.conn.execute(
            """INSERT INTO gallery_entries (key, first_seen, last_seen, articles, doc) VALUES (?, ?, ?, '[]', ?)
               ON CONFLICT(key) DO UPDATE SET last_seen = max(last_seen, excluded.last_seen), doc = excluded.doc""",
            (ekey, seen.first_seen, seen.last_seen, _json(seen.entry)),
        )
        self.conn.executemany("INSERT OR IGNORE INTO gallery_entry_articles (entry, article) VALUES (?, ?)",
                              [(ekey, article) for article in seen.articles])

    # Incremental crawling (newscrawl.incremental): reads of the articles' bookkeeping, and the
    # ``sitemap_state`` table kept beside them (created on first use; the article write path never uses it).
    def article_summaries(self, keys: list[str]) -> dict[str, dict]:
        found: dict[str, dict] = {}
        for chunk in chunked(list(keys)):
            rows = self.conn.execute(
                "SELECT key, content_hash, json_extract(doc, '$.published'), json_extract(doc, '$.modified'),"
                f" last_seen FROM articles WHERE key IN ({','.join('?' * len(chunk))})", chunk)
            for key, digest, published, modified, last_seen in rows:
                found[key] = {"content_hash": digest, "published": published, "modified": modified,
                              "last_seen": last_seen}
        return found

    def _sitemap_state_table(self) -> None:
        if not getattr(self, "_sitemap_state_ready", False):
            with self.conn:
                self.conn.execute(SITEMAP_STATE_SCHEMA)
            self._sitemap_state_ready = True

    def sitemap_states(self, keys: list[str]) -> dict[str, dict]:
        self._sitemap_state_table()
        found: dict[str, dict] = {}
        for chunk in chunked(list(keys)):
            rows = self.conn.execute(
                f"SELECT key, {', '.join(SITEMAP_STATE_FIELDS)} FROM sitemap_state"
                f" WHERE key IN ({','.join('?' * len(chunk))})", chunk)
            for row in rows:
                found[row[0]] = dict(zip(SITEMAP_STATE_FIELDS, row[1:]))
        return found

    def save_sitemap_states(self, rows: list[dict]) -> int:
        self._sitemap_state_table()
        columns = ", ".join(SITEMAP_STATE_FIELDS)
        marks = ", ".join("?" * (1 + len(SITEMAP_STATE_FIELDS)))
        updates = ", ".join(f"{f} = excluded.{f}" for f in SITEMAP_STATE_FIELDS)
        with self.conn:
            self.conn.executemany(
                f"INSERT INTO sitemap_state (key, {columns}) VALUES ({marks}) ON CONFLICT(key) DO UPDATE SET {updates}",
                [(row["key"], *(row.get(f) for f in SITEMAP_STATE_FIELDS)) for row in rows])
        return len(rows)


# What incremental crawling recorded when it last fetched a sitemap entry (see newscrawl.incremental).
SITEMAP_STATE_FIELDS = ("lastmod", "fetched_at", "status", "record_key", "content_hash")
SITEMAP_STATE_SCHEMA = """
CREATE TABLE IF NOT EXISTS sitemap_state (
    key TEXT PRIMARY KEY,
    lastmod TEXT,
    fetched_at TEXT NOT NULL,
    status INTEGER,
    record_key TEXT,
    content_hash TEXT
)
"""

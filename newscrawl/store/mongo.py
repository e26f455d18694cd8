"""The MongoDB store (pymongo): buffered ``bulk_write`` of upserts, retried on transient errors.

MongoDB features relied on: unique indexes, ``bulk_write`` with ``UpdateOne(upsert=True)`` and
``ordered=False``, the update operators ``$set``, ``$setOnInsert``, ``$max``, ``$push`` with
``$each``/``$slice`` and ``$addToSet``, the query operator ``$lt``, and the ``ping`` command. Any MongoDB
4.4+ (or a compatible server such as SecantusDB, which the tests use) provides them.

Several workers may write the same article at once (distributed crawling): an article write applies only
over an older revision, and one that lost a race is settled against the stored document — the same
content is not recorded twice, and of two different contents the later fetch wins (:meth:`MongoStore._settle`).

Each new or changed revision's version goes to ``article_versions`` before its article (:mod:`.mongo_versions`):
a batch cut short leaves at most versions whose articles are missing, which writing the batch again completes.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timezone
from urllib.parse import parse_qsl, urlsplit

from pymongo import ASCENDING, MongoClient, UpdateOne
from pymongo.errors import AutoReconnect, BulkWriteError, ConnectionFailure, DuplicateKeyError, PyMongoError

from ..credentials import check_uri, mask_uri, redact
from .base import HISTORY_LENGTH, Record, Store, StoredState, StoreUnavailable, StoreWriteError, merge_entries
from .base import chunked
from .mongo_versions import VersionLog, article_urls
from .versions import VersionPolicy

logger = logging.getLogger(__name__)
DUPLICATE_KEY = 11000
TRANSIENT = (AutoReconnect, ConnectionFailure)
# Write errors that say nothing about the document (shutdown, failover, timeouts, conflicts): tried again by a
# later replay. Any other write error (a value or key the server refuses, a document too large) will recur.
PASSING_CODES = frozenset({6, 7, 24, 50, 63, 89, 91, 112, 134, 150, 189, 251, 262, 9001, 10107, 11600, 11602,
                           13435, 13436})


def _durability(uri: str) -> dict:
    """Writes are acknowledged only once in the server's journal (``j: true``): with the default write
    concern a server killed right after acknowledging (SecantusDB writes its log some 50-100 ms later) loses
    items the crawl counted as written and did not spool, which neither replay nor the exit code would know
    of. A URI that sets ``journal`` or ``w`` itself keeps its own choice."""
    options = {name.lower() for name, _ in parse_qsl(urlsplit(uri).query)}
    return {} if options & {"journal", "w"} else {"journal": True}


def _instant(when: str) -> datetime:
    """An ISO 8601 time for comparing; unparsable or naive ones sort first."""
    try:
        parsed = datetime.fromisoformat(when)
    except (TypeError, ValueError):
        return datetime.min.replace(tzinfo=timezone.utc)
    return parsed if parsed.tzinfo else datetime.min.replace(tzinfo=timezone.utc)


class MongoStore(Store):
    name = "mongodb"

    def __init__(self, uri: str, database: str = "newscrawl", collection: str = "articles",
                 connect_timeout_ms: int = 5000, retries: int = 4, retry_backoff: float = 0.5,
                 versions: VersionPolicy | None = None):
        self.uri = uri
        self.versions_policy = versions or VersionPolicy()
        self.database_name = database
        self.collection_name = collection
        self.connect_timeout_ms = connect_timeout_ms
        self.retries = retries
        self.retry_backoff = retry_backoff
        self.client: MongoClient | None = None

    def describe(self) -> str:
        return f"MongoDB {mask_uri(self.uri)} db={self.database_name} collection={self.collection_name}"

    def open(self) -> None:
        # The credentials never reach an output (newscrawl.credentials): a URI that cannot be split safely is
        # refused before pymongo's parser quotes pieces of it in its errors; pymongo's messages are redacted.
        try:
            check_uri("MONGO_URI", self.uri)
        except ValueError as exc:
            raise StoreUnavailable(str(exc)) from None
        try:
            self.client = MongoClient(self.uri, serverSelectionTimeoutMS=self.connect_timeout_ms,
                                      connectTimeoutMS=self.connect_timeout_ms, appname="newscrawl",
                                      **_durability(self.uri))
            self.client.admin.command("ping")
            db = self.client[self.database_name]
            self.articles = db[self.collection_name]
            self.entries = db["gallery_entries"]
            self.articles.create_index([("key", ASCENDING)], unique=True, name="key_unique")
            self.articles.create_index([("published", ASCENDING)], name="published")
            self.articles.create_index([("site", ASCENDING), ("section", ASCENDING)], name="site_section")
            self.articles.create_index([("galleries.entries.entry", ASCENDING)], name="gallery_entry_refs")
            self.entries.create_index([("key", ASCENDING)], unique=True, name="key_unique")
            self.entries.create_index([("linked_article_id", ASCENDING)], name="linked_article_id")
            self.version_log = VersionLog(db, self.versions_policy)
            self.version_log.create_indexes()
        except (PyMongoError, ValueError) as exc:  # ValueError: malformed URI options
            if self.client is not None:
                self.client.close()
                self.client = None
            first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise StoreUnavailable(
                f"MongoDB unreachable at {mask_uri(self.uri)}: {redact(first_line, self.uri)[:300]}") from None

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None

    def lookup(self, key: str) -> StoredState | None:
        doc = self._retry(lambda: self.articles.find_one({"key": key}, {"content_hash": 1, "revision": 1}))
        return StoredState(doc["content_hash"], doc["revision"]) if doc else None

    def write(self, records: list[Record], touches: list[tuple[str, str]]) -> int:
        """Gallery slides first, then the articles: an article is written only after all its slides were,
        so a batch cut short (server gone) leaves no article pointing at missing slides, and writing the
        batch again is harmless. Raises :class:`StoreWriteError` naming the records and touches that were
        not written when the server rejects some operations."""
        merged = merge_entries(records)
        entry_keys = list(merged)
        entry_ops = [
            UpdateOne({"key": ekey},
                      {"$set": {**seen.entry, "key": ekey}, "$max": {"last_seen": seen.last_seen},
                       "$setOnInsert": {"first_seen": seen.first_seen},
                       "$addToSet": {"articles": {"$each": seen.articles}}},
                      upsert=True)
            for ekey, seen in merged.items()
        ]
        entry_refusals: dict[int, str] = {}
        failed_entries = {entry_keys[i] for i in self._bulk(self.entries, entry_ops, refusals=entry_refusals)}
        refused_entries = {entry_keys[i]: why for i, why in entry_refusals.items()}
        blocked = [rec for rec in records if any(ekey in failed_entries for ekey, _ in rec.gallery_entries)]
        reasons = {id(rec): f"its gallery slide {ekey} was refused: {refused_entries[ekey]}"
                   for rec in blocked for ekey, _ in reversed(rec.gallery_entries) if ekey in refused_entries}
        blocked_ids = {id(rec) for rec in blocked}
        to_write = [rec for rec in records if id(rec) not in blocked_ids]
        taken: list[Record] = []  # records whose revision another content's version holds: settled below
        failed_versions: list[Record] = []
        if self.version_log.enabled and to_write:
            version_refusals: dict[int, str] = {}
            failed_v, conflicts = self._bulk(self.version_log.collection, [self.version_log.op(r) for r in to_write],
                                             settle=True, refusals=version_refusals)
            failed_versions = [to_write[i] for i in failed_v]
            reasons.update({id(to_write[i]): f"its version was refused: {why}" for i, why in version_refusals.items()})
            taken = self._retry(lambda: self.version_log.taken([to_write[i] for i in conflicts])) if conflicts else []
            skip = {id(r) for r in failed_versions + taken}
            to_write = [rec for rec in to_write if id(rec) not in skip]
        article_ops = [self._article_op(rec) for rec in to_write]
        article_ops += [UpdateOne({"key": key}, {"$max": {"last_seen": when}}) for key, when in touches]
        refusals: dict[int, str] = {}
        failed_ops, lost_races = self._bulk(self.articles, article_ops, settle=True, refusals=refusals)
        reasons.update({id(to_write[i]): why for i, why in refusals.items() if i < len(to_write)})
        not_written = set(failed_ops) | set(lost_races)
        written = {rec.key: rec.revision for i, rec in enumerate(to_write) if i not in not_written}
        unsettled: list[Record] = []
        for rec in [to_write[i] for i in lost_races] + taken:
            outcome, revision = self._settle(rec)
            if outcome == "failed":
                unsettled.append(rec)
            elif outcome != "same":
                logger.info("Concurrent write of %s (revision %d, seen %s): %s", rec.key, rec.revision, rec.seen_at,
                            outcome)
            if revision is not None:
                written[rec.key] = max(written.get(rec.key, revision), revision)
        self._expire_versions(written)
        failed_records = (blocked + failed_versions + [to_write[i] for i in failed_ops if i < len(to_write)]
                          + unsettled)
        failed_touches = [touches[i - len(to_write)] for i in failed_ops if i >= len(to_write)]
        failed = len(failed_entries) + len(failed_versions) + len(failed_ops) + len(unsettled)
        if failed:
            raise StoreWriteError(f"{failed} MongoDB write operations failed", failed, failed_records, failed_touches,
                                  reasons)
        return len(records)

    @staticmethod
    def _article_update(rec: Record, revision: int) -> dict:
        return {
            "$set": {**rec.doc, "content_hash": rec.content_hash, "revision": revision},
            "$max": {"last_seen": rec.seen_at},
            "$setOnInsert": {"first_seen": rec.seen_at},
            "$push": {"history": {"$each": [{"content_hash": rec.content_hash, "revision": revision,
                                              "seen_at": rec.seen_at}], "$slice": -HISTORY_LENGTH}},
        }

    @classmethod
    def _article_op(cls, rec: Record) -> UpdateOne:
        # Applies only as a new document or over an older revision. A write decided on a stale lookup (another
        # worker stored this revision or a later one since) matches nothing, and its upsert then hits the
        # unique key: _settle() decides it against what is stored.
        return UpdateOne({"key": rec.key, "revision": {"$lt": rec.revision}}, cls._article_update(rec, rec.revision),
                         upsert=True)

    def _put_version(self, rec: Record, revision: int, stored_revision: int | None) -> bool:
        """``rec``'s version as ``revision``, before its article is written as that revision (see
        :meth:`VersionLog.put`); False when another writer's content holds that revision for now."""
        if not self.version_log.enabled:
            return True
        if self._retry(lambda: self.version_log.put(rec, revision, stored_revision)):
            return True
        time.sleep(self.retry_backoff)  # its article is perhaps on its way: look again after a pause
        return False

    def _drop_stray_version(self, rec: Record, current: dict) -> None:
        """Our version written as ``rec.revision`` before the article write lost, where the stored article
        holds another content as that revision (written by a worker that keeps no versions): removed."""
        held = {h.get("revision"): h.get("content_hash") for h in current.get("history") or []}
        if self.version_log.enabled and held.get(rec.revision) not in (None, rec.content_hash):
            self._retry(lambda: self.version_log.collection.delete_one(
                {"key": rec.key, "revision": rec.revision, "content_hash": rec.content_hash}))

    def _expire_versions(self, written: dict[str, int]) -> None:
        """Retention (NEWSCRAWL_VERSIONS_KEEP) for the keys just written; one that fails is done at the key's
        next write (the articles are written: this batch does not fail for it)."""
        ops = self.version_log.expire_ops(written)
        if not ops:
            return
        try:
            self._retry(lambda: self.version_log.collection.bulk_write(ops, ordered=False))
        except PyMongoError as exc:
            logger.warning("Removing old article versions failed (left for the next write of those articles): %s",
                           redact(str(exc), self.uri)[:200])

    def _settle(self, rec: Record) -> tuple[str, int | None]:
        """A write that lost a race to another worker's (its article, or its revision's version). Same content
        stored: only ``last_seen`` moves (no second history entry). Other content stored: the later fetch wins
        — ours becomes the next revision if it was fetched after the stored content, else it is dropped as
        superseded. Its version is written as the revision it gets before the article is. Compare-and-set on
        the revision, so a third writer in between makes it look again (bounded by the retries). Returns the
        outcome and the revision written (None when nothing was)."""
        for _ in range(self.retries + 1):
            current = self._retry(lambda: self.articles.find_one(
                {"key": rec.key}, {"content_hash": 1, "revision": 1, "history": 1}))
            if current is None:  # removed meanwhile, or never written: write it as new
                if not self._put_version(rec, rec.revision, None):
                    continue
                op = self._article_update(rec, rec.revision)
                try:
                    self._retry(lambda: self.articles.update_one({"key": rec.key}, op, upsert=True))
                    return "written", rec.revision
                except DuplicateKeyError:  # and written again by another worker: look again
                    continue
            self._drop_stray_version(rec, current)
            if current.get("content_hash") == rec.content_hash:
                self._retry(lambda: self.articles.update_one({"key": rec.key}, {"$max": {"last_seen": rec.seen_at}}))
                return "same", None
            stored_at = max((h.get("seen_at") or "" for h in current.get("history") or []), key=_instant,
                            default="")
            if _instant(rec.seen_at) <= _instant(stored_at):
                return "superseded", None
            stored = current.get("revision") or 0
            revision = stored + 1
            if not self._put_version(rec, revision, stored):
                continue
            op = self._article_update(rec, revision)
            result = self._retry(lambda: self.articles.update_one({"key": rec.key, "revision": current.get("revision")},
                                                                  op))
            if result is not None and result.matched_count:
                return "rewritten", revision
        return "failed", None

    def _bulk(self, collection, ops: list[UpdateOne], settle: bool = False, refusals: dict[int, str] | None = None):
        """Run ``ops`` unordered; retry transient failures; return the indices of the ops that failed for
        good. Duplicate-key errors (two writers upserting one key at once) are retried, or with ``settle``
        returned as a second list for the caller to decide. Transient errors beyond the retries raise.
        ``refusals`` receives, by index, why the server refused an op that will be refused again."""
        index = list(range(len(ops)))  # position in the caller's list of each op still to run
        failed: list[int] = []
        attempt = 0
        while ops:
            try:
                collection.bulk_write(ops, ordered=False)
                return (failed, []) if settle else failed
            except BulkWriteError as exc:
                errors = exc.details.get("writeErrors", [])
                retry = [e["index"] for e in errors if e.get("code") == DUPLICATE_KEY]
                permanent = [e for e in errors if e.get("code") != DUPLICATE_KEY]
                for e in permanent[:5]:
                    logger.error("MongoDB rejected a write (code %s): %s", e.get("code"), str(e.get("errmsg"))[:200])
                failed += [index[e["index"]] for e in permanent]
                if refusals is not None:
                    refusals.update({index[e["index"]]: f"MongoDB refused it (code {e.get('code')}): "
                                     f"{str(e.get('errmsg'))[:300]}"
                                     for e in permanent if e.get("code") not in PASSING_CODES})
                if settle:
                    return failed, [index[i] for i in retry]
                if not retry:
                    return failed
                if attempt >= self.retries:
                    return failed + [index[i] for i in retry]
                # two writers upserted the same new key at once: the retry updates
                ops, index = [ops[i] for i in retry], [index[i] for i in retry]
            except TRANSIENT as exc:
                if attempt >= self.retries:
                    logger.error("MongoDB write failed after %d retries: %s", attempt, redact(str(exc), self.uri)[:300])
                    raise
                logger.warning("MongoDB transient error, retrying: %s", redact(str(exc), self.uri)[:200])
            attempt += 1
            time.sleep(self.retry_backoff * 2 ** (attempt - 1))
        return (failed, []) if settle else failed

    def _retry(self, fn):
        for attempt in range(self.retries + 1):
            try:
                return fn()
            except TRANSIENT:
                if attempt >= self.retries:
                    raise
                time.sleep(self.retry_backoff * 2 ** attempt)
        return None

    # Read helpers for tests and tools.
    def get(self, key: str) -> dict | None:
        return self.articles.find_one({"key": key}, {"_id": 0})

    def gallery_entry(self, key: str) -> dict | None:
        return self.entries.find_one({"key": key}, {"_id": 0})

    def count(self) -> int:
        return self.articles.count_documents({})

    # Versions (see .versions and .mongo_versions).
    def versions(self, key: str) -> list[dict]:
        return self.version_log.versions(key)

    def changed_since(self, since: str) -> list[dict]:
        return self.version_log.changed_since(since, self.articles)

    def _key_with_url(self, urls: list[str]) -> str | None:
        doc = self.articles.find_one({"$or": [{"url": {"$in": urls}}, {"canonical_url": {"$in": urls}}]},
                                     {"_id": 0, "key": 1}, sort=[("key", ASCENDING)])
        return doc["key"] if doc else None

    def _article_urls(self):
        return article_urls(self.articles)

    # Incremental crawling (newscrawl.incremental): reads of the articles' bookkeeping, and the
    # ``sitemap_state`` collection kept beside them (unique ``key``; the article write path never uses it).
    def article_summaries(self, keys: list[str]) -> dict[str, dict]:
        fields = ("content_hash", "published", "modified", "last_seen")
        found: dict[str, dict] = {}
        for chunk in chunked(list(keys)):
            for doc in self.articles.find({"key": {"$in": chunk}}, {"_id": 0, "key": 1, **dict.fromkeys(fields, 1)}):
                found[doc["key"]] = {f: doc.get(f) for f in fields}
        return found

    def _sitemap_state_collection(self):
        collection = self.client[self.database_name]["sitemap_state"]
        if not getattr(self, "_sitemap_state_ready", False):
            collection.create_index([("key", ASCENDING)], unique=True, name="key_unique")
            self._sitemap_state_ready = True
        return collection

    def sitemap_states(self, keys: list[str]) -> dict[str, dict]:
        fields = ("lastmod", "fetched_at", "status", "record_key", "content_hash")
        collection = self._sitemap_state_collection()
        found: dict[str, dict] = {}
        for chunk in chunked(list(keys)):
            for doc in collection.find({"key": {"$in": chunk}}, {"_id": 0}):
                found[doc["key"]] = {f: doc.get(f) for f in fields}
        return found

    def save_sitemap_states(self, rows: list[dict]) -> int:
        ops = [UpdateOne({"key": row["key"]}, {"$set": dict(row)}, upsert=True) for row in rows]
        if ops:
            self._sitemap_state_collection().bulk_write(ops, ordered=False)
        return len(ops)

"""The MongoDB store's versions (:mod:`.versions`): the ``article_versions`` collection, unique on
``(key, revision)``, written before the article and read back.

A batch's versions are inserted (several times faster than upserts on SecantusDB); one that hits the unique
index is looked at: the same content (a batch retried, a spooled item replayed after the server died between
the version and the article) is already there, and nothing changes; another content for a revision already
taken is never written over the version of what another worker stored. (The settling path upserts on
``(key, revision, content_hash)``, with the same effect.) That revision then goes through
:meth:`~newscrawl.store.mongo.MongoStore._settle` like a lost article race. A version whose article never
came (its writer died in between) is taken over once it is older than :attr:`VersionLog.orphan_age`
seconds; a younger one may still be followed by its article, so the write is tried again later (spooled).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Iterable

from pymongo import ASCENDING, DeleteMany, InsertOne
from pymongo.errors import DuplicateKeyError

from .base import Record, chunked
from .versions import CHANGE_FIELDS, VERSION_FIELDS, VersionPolicy, since_stamp, stamp, version_doc

COLLECTION = "article_versions"
ORPHAN_AGE = 300.0  # seconds: a version without its article older than this is a dead writer's


class VersionLog:
    """``article_versions`` of one database, with the policy that says what is written and kept."""

    def __init__(self, db, policy: VersionPolicy, orphan_age: float = ORPHAN_AGE):
        self.collection = db[COLLECTION]
        self.policy = policy
        self.orphan_age = orphan_age

    @property
    def enabled(self) -> bool:
        return self.policy.enabled

    def create_indexes(self) -> None:
        self.collection.create_index([("key", ASCENDING), ("revision", ASCENDING)], unique=True,
                                     name="key_revision_unique")
        self.collection.create_index([("seen_at", ASCENDING)], name="seen_at")

    @staticmethod
    def _doc(rec: Record, revision: int) -> dict:
        return {**version_doc(rec, revision), "written_at": stamp(datetime.now(timezone.utc))}

    @staticmethod
    def _filter(rec: Record, revision: int) -> dict:
        return {"key": rec.key, "revision": revision, "content_hash": rec.content_hash}

    def op(self, rec: Record) -> InsertOne:
        """The insert of ``rec``'s version (a duplicate-key error when its revision has a version: see
        :meth:`taken`)."""
        return InsertOne(self._doc(rec, rec.revision))

    def taken(self, records: list[Record]) -> list[Record]:
        """Of ``records`` whose version insert hit the unique index, those whose revision holds another content
        or none any more (settled like a lost race); the others' version is there already, the same."""
        held: dict[tuple[str, int], str] = {}
        pairs = [{"key": rec.key, "revision": rec.revision} for rec in records]
        for chunk in chunked(pairs):
            for doc in self.collection.find({"$or": chunk}, {"_id": 0, "key": 1, "revision": 1, "content_hash": 1}):
                held[doc["key"], doc["revision"]] = doc.get("content_hash")
        return [rec for rec in records if held.get((rec.key, rec.revision)) != rec.content_hash]

    def put(self, rec: Record, revision: int, stored_revision: int | None) -> bool:
        """Write ``rec``'s version as ``revision`` before its article is (``stored_revision``: the article's
        revision now, None when absent). False when another content holds that revision and may still get
        its article (the caller looks again later)."""
        try:
            self.collection.update_one(self._filter(rec, revision), {"$set": self._doc(rec, revision)}, upsert=True)
            return True
        except DuplicateKeyError:
            pass
        if stored_revision is not None and stored_revision >= revision:
            return False  # the revision is stored: its version is the other content's
        other = self.collection.find_one({"key": rec.key, "revision": revision}, {"written_at": 1})
        written = datetime.fromisoformat(other["written_at"]) if other and other.get("written_at") else None
        if other and written and datetime.now(timezone.utc) - written < timedelta(seconds=self.orphan_age):
            return False  # another writer's, its article perhaps still coming
        self.collection.replace_one({"key": rec.key, "revision": revision}, self._doc(rec, revision), upsert=True)
        return True

    def expire_ops(self, written: dict[str, int]) -> list[DeleteMany]:
        """The deletions NEWSCRAWL_VERSIONS_KEEP asks for, of the keys just written (key -> revision)."""
        policy = self.policy
        if not policy.enabled or policy.keeps_all:
            return []
        if policy.keep_last is not None:
            return [DeleteMany({"key": key, "revision": {"$lte": revision - policy.keep_last}})
                    for key, revision in written.items()]
        cutoff = policy.cutoff()
        return [DeleteMany({"key": key, "seen_at": {"$lt": cutoff}, "revision": {"$lt": revision}})
                for key, revision in written.items()]

    # Reads.
    def versions(self, key: str) -> list[dict]:
        projection = {"_id": 0, **dict.fromkeys(VERSION_FIELDS, 1)}
        return [{f: doc.get(f) for f in VERSION_FIELDS}
                for doc in self.collection.find({"key": key}, projection).sort("revision", ASCENDING)]

    def changed_since(self, since: str, articles) -> list[dict]:
        docs = list(self.collection.find({"revision": {"$gt": 1}, "seen_at": {"$gte": since_stamp(since)}},
                                         {"_id": 0, "key": 1, "revision": 1, "seen_at": 1, "changes": 1})
                    .sort([("seen_at", ASCENDING), ("key", ASCENDING), ("revision", ASCENDING)]))
        urls: dict[str, str | None] = {}
        for chunk in chunked(sorted({doc["key"] for doc in docs})):
            for article in articles.find({"key": {"$in": chunk}}, {"_id": 0, "key": 1, "url": 1}):
                urls[article["key"]] = article.get("url")
        return [{f: urls.get(doc["key"]) if f == "url" else doc.get(f) for f in CHANGE_FIELDS} for doc in docs]


def article_urls(articles) -> Iterable[tuple[str, tuple]]:
    for doc in articles.find({}, {"_id": 0, "key": 1, "url": 1, "canonical_url": 1}).sort("key", ASCENDING):
        yield doc["key"], (doc.get("url"), doc.get("canonical_url"))

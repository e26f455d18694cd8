"""The article store contract shared by the embedded (SQLite) and MongoDB stores.

Both keep one document per article key with ``content_hash``, ``revision``, ``first_seen``,
``last_seen`` and a short ``history`` of the content hashes written, and one document per gallery slide
(``gallery_entries``) listing the articles it appeared in. Both are used from Scrapy pipelines through
:class:`StoreClient`, which runs every call on one worker thread so that blocking I/O never runs on the
reactor thread and calls reach the store in the order they were made.
"""

from __future__ import annotations

import asyncio
import hashlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable

from ..records import record_key

HISTORY_LENGTH = 10


class StoreUnavailable(RuntimeError):
    """The store cannot be reached or opened; the message is one line and safe to log."""


@dataclass(frozen=True)
class StoredState:
    content_hash: str
    revision: int


@dataclass
class Record:
    """One article write: the stored document plus its gallery slides, keyed and hashed."""

    key: str
    content_hash: str
    revision: int
    seen_at: str
    doc: dict[str, Any]
    gallery_entries: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


def gallery_entry_key(site: str | None, entry: dict[str, Any]) -> str:
    """A slide is the same slide wherever it appears: keyed by the article it links to, else image+caption."""
    if linked := entry.get("linked_article_id"):
        return f"{site or 'web'}:{linked}"
    digest = hashlib.sha1(f"{entry.get('image_url')}\n{entry.get('caption')}".encode("utf-8")).hexdigest()[:20]
    return f"img:{digest}"


def build_record(item: dict[str, Any], seen_at: str) -> Record:
    """Split an item dict into the article document (slides replaced by references) and its slides."""
    key = record_key(item)
    if key is None:
        raise ValueError("item has neither site+article_id nor canonical_url")
    doc = {k: v for k, v in item.items() if k not in ("revision", "content_hash")}
    entries: list[tuple[str, dict[str, Any]]] = []
    galleries = []
    for gallery in item.get("galleries") or []:
        refs = []
        for entry in gallery.get("entries") or []:
            ekey = gallery_entry_key(item.get("site"), entry)
            refs.append({"entry": ekey, "position": entry.get("position")})
            entries.append((ekey, {k: v for k, v in entry.items() if k != "position"}))
        galleries.append({"title": gallery.get("title"), "size": gallery.get("size"), "entries": refs})
    doc["galleries"] = galleries
    doc["key"] = key
    return Record(key=key, content_hash=item["content_hash"], revision=item["revision"], seen_at=seen_at,
                  doc=doc, gallery_entries=entries)


@dataclass
class EntrySighting:
    """All sightings of one gallery slide within a write batch, merged into one upsert."""

    entry: dict[str, Any]
    articles: list[str]
    first_seen: str
    last_seen: str


def merge_entries(records: list[Record]) -> dict[str, EntrySighting]:
    """Group a batch's slides by key: heute shows the same news slides in most articles of a batch."""
    merged: dict[str, EntrySighting] = {}
    for rec in records:
        for ekey, entry in rec.gallery_entries:
            seen = merged.get(ekey)
            if seen is None:
                merged[ekey] = EntrySighting(entry, [rec.key], rec.seen_at, rec.seen_at)
                continue
            seen.entry = entry
            if rec.key not in seen.articles:
                seen.articles.append(rec.key)
            seen.first_seen, seen.last_seen = min(seen.first_seen, rec.seen_at), max(seen.last_seen, rec.seen_at)
    return merged


class Store:
    """Synchronous store API; implementations are only ever called from :class:`StoreClient`'s thread."""

    name = "store"

    def open(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def lookup(self, key: str) -> StoredState | None:
        raise NotImplementedError

    def write(self, records: list[Record], touches: list[tuple[str, str]]) -> int:
        """Upsert ``records`` and set ``last_seen`` for ``touches`` (key, time); returns records written."""
        raise NotImplementedError

    def describe(self) -> str:
        return self.name


class StoreClient:
    """Buffers writes and runs every store call on one worker thread, off the reactor."""

    def __init__(self, store: Store, buffer_size: int = 500):
        self.store = store
        self.buffer_size = buffer_size
        self.records: list[Record] = []
        self.touches: list[tuple[str, str]] = []
        self._executor: ThreadPoolExecutor | None = None
        self._users = 0

    async def _run(self, fn: Callable, *args):
        return await asyncio.wrap_future(self._executor.submit(fn, *args))

    async def acquire(self) -> None:
        """Open the store for one more user (pipeline); the first caller opens it."""
        if self._users == 0:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"newscrawl-{self.store.name}")
            try:
                await self._run(self.store.open)
            except BaseException:
                self._executor.shutdown(wait=False)
                self._executor = None
                raise
        self._users += 1

    async def release(self) -> None:
        self._users -= 1
        if self._users == 0 and self._executor is not None:
            try:
                await self.flush()
            finally:
                await self._run(self.store.close)
                self._executor.shutdown(wait=True)
                self._executor = None

    async def lookup(self, key: str) -> StoredState | None:
        return await self._run(self.store.lookup, key)

    def pending(self) -> int:
        return len(self.records) + len(self.touches)

    async def add(self, record: Record) -> int:
        self.records.append(record)
        return await self.flush() if self.pending() >= self.buffer_size else 0

    async def touch(self, key: str, seen_at: str) -> int:
        self.touches.append((key, seen_at))
        return await self.flush() if self.pending() >= self.buffer_size else 0

    async def flush(self) -> int:
        if not self.pending():
            return 0
        records, touches, self.records, self.touches = self.records, self.touches, [], []
        return await self._run(self.store.write, records, touches)

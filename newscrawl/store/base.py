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
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable

from ..records import GENERIC, publisher, record_key
from ..urls import normalise_url

HISTORY_LENGTH = 10
logger = logging.getLogger(__name__)


class StoreUnavailable(RuntimeError):
    """The store cannot be reached or opened; the message is one line and safe to log."""


class StoreWriteError(RuntimeError):
    """Some operations of a batch failed for good; ``failed`` counts them, ``records`` and ``touches`` are
    what was not written (everything else of the batch was). ``reasons`` maps ``id(record)`` to why the
    store refused it, for the records it will refuse again (a constraint, a value it cannot hold): a
    replay sets those aside instead of trying them forever."""

    def __init__(self, message: str, failed: int, records: list | None = None,
                 touches: list[tuple[str, str]] | None = None, reasons: dict[int, str] | None = None):
        super().__init__(message)
        self.failed = failed
        self.records = records or []
        self.touches = touches or []
        self.reasons = reasons or {}


class ItemsLost(RuntimeError):
    """A flush whose leftovers neither the store nor the spool could take (a full or read-only disk):
    ``items`` articles and ``touches`` sightings are lost; ``result`` is what the flush did before."""

    def __init__(self, message: str, result: "FlushResult", items: int, touches: int):
        super().__init__(message)
        self.result = result
        self.items = items
        self.touches = touches


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
    item: dict[str, Any] | None = field(default=None, repr=False)  # the item it came from (for the spool)


def gallery_entry_key(site: str | None, entry: dict[str, Any]) -> str:
    """A slide is the same slide wherever it appears: keyed by the article it links to (a site module's id,
    else the linked URL: a generic page's number is no key, see record_key), else image+caption."""
    linked, link = entry.get("linked_article_id"), entry.get("link_url")
    if linked and site and site != GENERIC:
        return f"{site}:{linked}"
    if linked and isinstance(link, str) and publisher(link):
        return f"url:{normalise_url(link)}"
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
                  doc=doc, gallery_entries=entries, item=item)


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

    # Incremental crawling (newscrawl.incremental) reads what the store holds and keeps a small table of
    # its own, ``sitemap_state``; a store without these methods knows nothing (every entry is fetched).
    def article_summaries(self, keys: list[str]) -> dict[str, dict[str, Any]]:
        """For the stored ones of ``keys``: ``content_hash``, ``published``, ``modified``, ``last_seen``."""
        return {}

    def sitemap_states(self, keys: list[str]) -> dict[str, dict[str, Any]]:
        """For the known ones of ``keys``: ``lastmod``, ``fetched_at``, ``status``, ``record_key`` and
        ``content_hash`` as last saved by :meth:`save_sitemap_states`."""
        return {}

    def save_sitemap_states(self, rows: list[dict[str, Any]]) -> int:
        """Upsert sitemap-state rows (dicts with ``key`` and the fields above); returns the rows saved."""
        return 0


def chunked(keys: list[str], size: int = 500) -> list[list[str]]:
    """``keys`` in slices small enough for one ``IN (...)`` or ``$in`` query."""
    return [keys[i:i + size] for i in range(0, len(keys), size)]


class _Unknown:
    """What :meth:`StoreClient.lookup` answers when the store cannot be asked."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()


@dataclass
class FlushResult:
    written: int = 0
    spooled: int = 0  # items
    spooled_touches: int = 0
    failed: bool = False  # a write failed (its records were spooled)


class StoreClient:
    """Buffers writes and runs every store call on one worker thread, off the reactor.

    With a :class:`~newscrawl.store.spool.Spool` the client never loses a write: a store that cannot be
    opened, a batch the store fails or rejects, and items whose dedup could not ask the store
    (:meth:`add_unknown`) go to the spool instead, one append and fsync per flush. While the store is
    failing, lookups answer :data:`UNKNOWN` at once instead of waiting for timeouts; after
    ``retry_interval`` seconds one lookup probes again, and every flush tries its batch again (with the
    store's own bounded retries) before spooling it.
    """

    def __init__(self, store: Store, buffer_size: int = 500, spool=None, retry_interval: float = 5.0):
        self.store = store
        self.buffer_size = buffer_size
        self.spool = spool
        self.retry_interval = retry_interval
        self.records: list[Record] = []
        self.touches: list[tuple[str, str]] = []
        self.unknown: list[Record] = []  # to the spool at the next flush
        self.opened = False
        self.unavailable: str | None = None  # why the store could not be opened
        self.last_error: str | None = None
        self._down_until = 0.0  # monotonic time before which the store is not asked
        self._executor: ThreadPoolExecutor | None = None
        self._users = 0
        self._lock: asyncio.Lock | None = None

    async def _run(self, fn: Callable, *args):
        return await asyncio.wrap_future(self._executor.submit(fn, *args))

    async def acquire(self) -> None:
        """Open the store for one more user (pipeline); the first caller opens it, the others wait for that.

        Without a spool an unreachable store raises :class:`StoreUnavailable`; with one the client stays
        usable, :attr:`unavailable` says why, and everything written goes to the spool.
        """
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._users == 0:
                self._executor = ThreadPoolExecutor(max_workers=1,
                                                    thread_name_prefix=f"newscrawl-{self.store.name}")
                try:
                    await self._run(self.store.open)
                except StoreUnavailable as exc:
                    if self.spool is None:
                        self._shutdown()
                        raise
                    self.unavailable = self.last_error = str(exc)
                except BaseException:
                    self._shutdown()
                    raise
                else:
                    self.opened = True
            self._users += 1

    def _shutdown(self) -> None:
        self._executor.shutdown(wait=False)
        self._executor = None

    async def release(self) -> FlushResult:
        self._users -= 1
        result = FlushResult()
        if self._users == 0 and self._executor is not None:
            try:
                result = await self.flush()
            finally:
                if self.opened:
                    await self._run(self.store.close)
                    self.opened = False
                self._executor.shutdown(wait=True)
                self._executor = None
        return result

    # Health, as seen from the worker thread.

    def _usable(self) -> bool:
        return self.opened and time.monotonic() >= self._down_until

    def _failed(self, exc: BaseException) -> None:
        self.last_error = f"{type(exc).__name__}: {str(exc).splitlines()[0][:300] if str(exc) else ''}"
        self._down_until = time.monotonic() + self.retry_interval

    @property
    def down(self) -> bool:
        return not self.opened or time.monotonic() < self._down_until

    def _lookup(self, key: str):
        if self.spool is None:
            return self.store.lookup(key)
        if not self._usable():
            return UNKNOWN
        try:
            return self.store.lookup(key)
        except Exception as exc:  # noqa: BLE001 — any store failure: the answer is unknown
            self._failed(exc)
            logger.error("Store lookup failed (%s): %s; dedup treats items as unknown for %.0f s",
                         self.store.describe(), self.last_error, self.retry_interval)
            return UNKNOWN

    async def lookup(self, key: str):
        """The stored state, None when the store has no such article, or :data:`UNKNOWN` (store failing)."""
        if self.spool is not None and not self.opened:
            return UNKNOWN
        return await self._run(self._lookup, key)

    async def call(self, fn: Callable, *args):
        """Run ``fn(*args)`` — a read, or a write of a table the pipelines do not use — on the worker thread,
        after every call made before it. Raises :class:`StoreUnavailable` when the store is not open."""
        if self._executor is None or not self.opened:
            raise StoreUnavailable(f"the {self.store.describe()} is not open")
        return await self._run(fn, *args)

    # Writes.

    def pending(self) -> int:
        return len(self.records) + len(self.touches) + len(self.unknown)

    async def _maybe_flush(self):
        return await self.flush() if self.pending() >= self.buffer_size else FlushResult()

    async def add(self, record: Record) -> FlushResult:
        self.records.append(record)
        return await self._maybe_flush()

    async def add_unknown(self, record: Record) -> FlushResult:
        """An item dedup could not classify: it goes to the spool; the replay's dedup decides later."""
        if self.spool is None:
            raise StoreUnavailable("the store cannot be asked and there is no spool")
        self.unknown.append(record)
        return await self._maybe_flush()

    async def touch(self, key: str, seen_at: str) -> FlushResult:
        self.touches.append((key, seen_at))
        return await self._maybe_flush()

    async def flush(self) -> FlushResult:
        """Write the buffer (spooling what the store cannot take). Raises :class:`ItemsLost` when items
        could be neither written nor spooled, and without a spool :class:`StoreWriteError`."""
        if not self.pending():
            return FlushResult()
        records, touches, unknown = self.records, self.touches, self.unknown
        self.records, self.touches, self.unknown = [], [], []
        if self.spool is not None:
            return await self._run(self._flush, records, touches, unknown)
        try:
            return FlushResult(written=await self._run(self.store.write, records, touches))
        except StoreWriteError:
            raise
        except Exception as exc:  # noqa: BLE001 — the store failed and there is no spool: count the loss
            raise ItemsLost(f"{type(exc).__name__}: {str(exc)[:300]}", FlushResult(failed=True), len(records),
                            len(touches)) from exc

    def _flush(self, records: list[Record], touches: list[tuple[str, str]], unknown: list[Record]) -> FlushResult:
        result = FlushResult()
        spool_records, spool_touches = list(unknown), []
        if records or touches:
            if not self.opened:
                spool_records += records
                spool_touches += touches
            else:
                try:
                    result.written = self.store.write(records, touches)
                except StoreWriteError as exc:  # the store answered but rejected some operations
                    result.failed = True
                    result.written = len(records) - len(exc.records)
                    spool_records += exc.records
                    spool_touches += exc.touches
                    self.last_error = str(exc)
                    logger.error("Store rejected %d records and %d sightings (%s): %s",
                                 len(exc.records), len(exc.touches), self.store.describe(), exc)
                except Exception as exc:  # noqa: BLE001 — the store failed: the whole batch is spooled
                    result.failed = True
                    self._failed(exc)
                    spool_records += records
                    spool_touches += touches
                    logger.error("Store write failed (%s): %s", self.store.describe(), self.last_error)
                else:
                    self._down_until = 0.0
        if spool_records or spool_touches:
            try:
                result.spooled, result.spooled_touches = self.spool.append(spool_records, spool_touches)
            except Exception as exc:  # noqa: BLE001 — a full or read-only disk: the append left nothing behind
                raise ItemsLost(f"cannot append to the spool {self.spool.path}: {type(exc).__name__}: "
                                f"{str(exc)[:300]}", result, len(spool_records), len(spool_touches)) from exc
            logger.error("Spooled %d items and %d sightings to %s (the store could not take them; "
                         "`scrapy replay` or the next run writes them)", result.spooled, result.spooled_touches,
                         self.spool.path)
        return result

"""The store client the pipelines and the incremental middleware share: the parts put together.

:class:`~newscrawl.store.thread.StoreThread` runs every store call in order off the reactor,
:class:`~newscrawl.store.buffer.WriteBuffer` holds writes until a flush is due, and
:class:`~newscrawl.store.writer.SpoolingWriter` writes a batch, spooling what the store cannot take. The client
adds the store's lifetime (opened by the first of its users, closed after the last one's final flush) and the
read path (lookups answer :data:`UNKNOWN` at once while the store is down).

It never loses a write silently: a store unreachable at open, a batch the store fails or rejects, and items
whose dedup could not ask the store go to the spool; what the spool cannot take either is raised as
:class:`ItemsLost` with its counts.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Callable

from .base import UNKNOWN, FlushResult, Record, Store, StoreUnavailable
from .buffer import WriteBuffer
from .spool import Spool
from .thread import StoreThread
from .writer import Breaker, SpoolingWriter

logger = logging.getLogger(__name__)


class StoreClient:
    """``store`` behind one thread, a write buffer of ``buffer_size`` entries and a writer that spools to
    ``spool``; while the store fails it is asked again at most every ``retry_interval`` seconds by lookups
    (every flush tries its batch again, with the store's own bounded retries, before spooling it)."""

    def __init__(self, store: Store, spool: Spool, buffer_size: int = 500, retry_interval: float = 5.0):
        self.store = store
        self.spool = spool
        self.buffer = WriteBuffer(buffer_size)
        self.breaker = Breaker(retry_interval)
        self.writer = SpoolingWriter(store, spool, self.breaker)
        self.thread = StoreThread(store.name)
        self.opened = False
        self.unavailable: str | None = None  # why the store could not be opened
        self._users = 0
        self._lock: asyncio.Lock | None = None

    @property
    def buffer_size(self) -> int:
        return self.buffer.size

    # Lifetime: the first user opens the store, the last one flushes and closes it.

    async def acquire(self) -> None:
        """Open the store for one more user; the first caller opens it, the others wait for that. A store
        that cannot be opened leaves the client usable: :attr:`unavailable` says why, and every write is
        spooled."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._users == 0:
                self.thread.start()
                try:
                    await self.thread.run(self.store.open)
                except StoreUnavailable as exc:
                    self.unavailable = self.breaker.last_error = str(exc)
                except BaseException:
                    self.thread.stop(wait=False)
                    raise
                else:
                    self.opened = True
            self._users += 1

    async def release(self) -> FlushResult:
        """One user less; the last one flushes the buffer and closes the store (its flush is returned)."""
        self._users -= 1
        result = FlushResult()
        if self._users == 0 and self.thread.running:
            try:
                result = await self.flush()
            finally:
                if self.opened:
                    await self.thread.run(self.store.close)
                    self.opened = False
                self.thread.stop(wait=True)
        return result

    # Reads.

    async def lookup(self, key: str):
        """The stored state, None when the store has no such article, or :data:`UNKNOWN` (store failing)."""
        if not self.opened:
            return UNKNOWN
        return await self.thread.run(self._read, self.store.lookup, key)

    def _read(self, fn: Callable, key: str):
        if not self.breaker.closed:
            return UNKNOWN
        try:
            return fn(key)
        except Exception as exc:  # noqa: BLE001 — any store failure: the answer is unknown
            self.breaker.failed(exc)
            logger.error("Store read failed (%s): %s; dedup treats items as unknown for %.0f s",
                         self.store.describe(), self.breaker.last_error, self.breaker.retry_interval)
            return UNKNOWN

    async def document(self, key: str):
        """The stored article document (:meth:`Store.get`), None when there is none, or :data:`UNKNOWN` when
        the store cannot be asked (not open, or failing: as :meth:`lookup`)."""
        if not self.opened:
            return UNKNOWN
        return await self.thread.run(self._read, self.store.get, key)

    async def call(self, fn: Callable, *args):
        """Run ``fn(*args)`` — a read, or a write of a table the pipelines do not use — on the store thread,
        after every call made before it. Raises :class:`StoreUnavailable` when the store is not open."""
        if not self.thread.running or not self.opened:
            raise StoreUnavailable(f"the {self.store.describe()} is not open")
        return await self.thread.run(fn, *args)

    # Writes.

    def pending(self) -> int:
        return self.buffer.pending()

    async def _maybe_flush(self) -> FlushResult:
        return await self.flush() if self.buffer.full else FlushResult()

    async def add(self, record: Record) -> FlushResult:
        self.buffer.add(record)
        return await self._maybe_flush()

    async def add_unknown(self, record: Record) -> FlushResult:
        """An item dedup could not classify: it goes to the spool; the replay's dedup decides later."""
        self.buffer.add_unknown(record)
        return await self._maybe_flush()

    async def touch(self, key: str, seen_at: str) -> FlushResult:
        self.buffer.touch(key, seen_at)
        return await self._maybe_flush()

    async def flush(self) -> FlushResult:
        """Write the buffer, spooling what the store cannot take. Raises :class:`ItemsLost` when items could
        be neither written nor spooled."""
        if not self.buffer.pending():
            return FlushResult()
        return await self.thread.run(self.writer.write, self.buffer.take(), self.opened)

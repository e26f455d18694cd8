"""The writer: a batch goes to the store, and what the store cannot take goes to the spool.

A store that is down (not opened, or failing a write after its own bounded retries) gets its whole batch
spooled; a store that answers but refuses some operations (:class:`StoreWriteError`) gets only those spooled;
items whose dedup could not ask the store always go to the spool. The spool takes them in one append and
fsync, all or nothing; when it cannot (a full or read-only disk) the flush raises :class:`ItemsLost` with the
counts, and nothing half-written is left behind.

The :class:`Breaker` remembers a failure for ``retry_interval`` seconds, so that lookups answer at once instead
of waiting for a timeout per item while the store is down; the next write always tries the store again.
"""

from __future__ import annotations

import logging
import time

from .base import FlushResult, ItemsLost, Record, Store, StoreWriteError
from .buffer import Batch
from .spool import Spool

logger = logging.getLogger(__name__)


class Breaker:
    """Whether the store may be asked now: not for ``retry_interval`` seconds after a failure."""

    def __init__(self, retry_interval: float):
        self.retry_interval = retry_interval
        self.last_error: str | None = None
        self._down_until = 0.0  # monotonic time before which the store is not asked

    @property
    def closed(self) -> bool:
        """True when the store may be asked (no failure within the last ``retry_interval`` seconds)."""
        return time.monotonic() >= self._down_until

    def failed(self, exc: BaseException) -> None:
        first = str(exc).splitlines()[0][:300] if str(exc) else ""
        self.last_error = f"{type(exc).__name__}: {first}"
        self._down_until = time.monotonic() + self.retry_interval

    def succeeded(self) -> None:
        self._down_until = 0.0


class SpoolingWriter:
    """Writes batches to ``store``, spooling what it cannot take; runs on the store thread only."""

    def __init__(self, store: Store, spool: Spool, breaker: Breaker):
        self.store = store
        self.spool = spool
        self.breaker = breaker

    def write(self, batch: Batch, store_open: bool) -> FlushResult:
        """Write ``batch``; raises :class:`ItemsLost` when what the store did not take cannot be spooled
        either (``ItemsLost.result`` is what the store wrote)."""
        result = FlushResult()
        spool_records: list[Record] = list(batch.unknown)
        spool_touches: list[tuple[str, str]] = []
        if batch.records or batch.touches:
            if not store_open:
                spool_records += batch.records
                spool_touches += batch.touches
            else:
                try:
                    result.written = self.store.write(batch.records, batch.touches)
                except StoreWriteError as exc:  # the store answered but rejected some operations
                    result.failed = True
                    result.written = len(batch.records) - len(exc.records)
                    spool_records += exc.records
                    spool_touches += exc.touches
                    self.breaker.last_error = str(exc)
                    logger.error("Store rejected %d records and %d sightings (%s): %s",
                                 len(exc.records), len(exc.touches), self.store.describe(), exc)
                except Exception as exc:  # noqa: BLE001 — the store failed: the whole batch is spooled
                    result.failed = True
                    self.breaker.failed(exc)
                    spool_records += batch.records
                    spool_touches += batch.touches
                    logger.error("Store write failed (%s): %s", self.store.describe(), self.breaker.last_error)
                else:
                    self.breaker.succeeded()
        if spool_records or spool_touches:
            self._spool(result, spool_records, spool_touches)
        return result

    def _spool(self, result: FlushResult, records: list[Record], touches: list[tuple[str, str]]) -> None:
        try:
            result.spooled, result.spooled_touches = self.spool.append(records, touches)
        except Exception as exc:  # noqa: BLE001 — a full or read-only disk: the append left nothing behind
            raise ItemsLost(f"cannot append to the spool {self.spool.path}: {type(exc).__name__}: "
                            f"{str(exc)[:300]}", result, len(records), len(touches)) from exc
        logger.error("Spooled %d items and %d sightings to %s (the store could not take them; "
                     "`scrapy replay` or the next run writes them)", result.spooled, result.spooled_touches,
                     self.spool.path)

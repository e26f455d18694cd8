"""Store: write new and changed articles to MongoDB (``MONGO_URI``) or the embedded SQLite store.

Writes are buffered (``NEWSCRAWL_STORE_BUFFER_SIZE`` items) and flushed when the buffer is full, every
``NEWSCRAWL_STORE_FLUSH_INTERVAL`` seconds and at close, on the store client's thread (:mod:`newscrawl.store.client`).

Nothing is lost when the store fails. A store unreachable at open is logged as one ERROR line (URI
credentials masked) and the crawl goes on; items that cannot be written — the store down at open, a batch
that fails mid-run after the store's bounded retries, items whose dedup could not ask the store — go to
the spool (:mod:`newscrawl.store.spool`), appended and fsynced once per flush. At open, when the store is
reachable, the spool left by earlier runs is drained first through the same dedup and store logic.

A flush is never cut short: closing waits for a periodic flush that is writing and counts it. When
neither the store nor the spool can take a flush (a full disk), its items are lost: counted as items in
``newscrawl/store/lost`` (sightings in ``lost_touches``), with one ERROR line.

With dedup switched off (``NEWSCRAWL_DEDUP_ENABLED = False``: every item exported, unchanged ones too), this
pipeline classifies each item by dedup's rule (:mod:`newscrawl.versions.classify`) and stores only new and
changed ones as revisions, numbered and with their ``changes`` as dedup gives them; an unchanged one is exported
with its stored revision and only its sighting is recorded; a second item of one key in a run is exported and
not stored again.

Stats, numbers only (``unavailable`` is 1; why is in the ERROR line and in ``StoreClient.unavailable``):
``newscrawl/store/{written,spooled,spooled_touches,write_errors,unavailable,lost,lost_touches}`` and,
for the drain at open, ``newscrawl/spool/{replayed,written,unchanged,touches,remaining,corrupt}``. Switched
off with ``NEWSCRAWL_STORE_ENABLED = False``.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone

from scrapy.exceptions import NotConfigured

from itemadapter import ItemAdapter

from ..exceptions import DUPLICATE_IN_RUN
from ..records import item_dict, record_key
from ..versions.classify import COSMETIC, UNCHANGED, apply_verdict, classify, count_verdict

from ..store import FlushResult, ItemsLost, build_record, replay, store_client

logger = logging.getLogger(__name__)


def count_flush(stats, outcome: FlushResult | None) -> None:
    """Count what one flush of the store client did."""
    if not isinstance(outcome, FlushResult):
        return
    if outcome.written:
        stats.inc_value("newscrawl/store/written", outcome.written)
    if outcome.failed:
        stats.inc_value("newscrawl/store/write_errors")
    if outcome.spooled:
        stats.inc_value("newscrawl/store/spooled", outcome.spooled)
    if outcome.spooled_touches:
        stats.inc_value("newscrawl/store/spooled_touches", outcome.spooled_touches)


class StorePipeline:
    def __init__(self, crawler, client, flush_interval: float):
        self.crawler = crawler
        self.client = client
        self.flush_interval = flush_interval
        # Dedup switched off: every item is exported, and this pipeline classifies them to store new and
        # changed ones only (revisions numbered as dedup numbers them).
        self.classifies = not crawler.settings.getbool("NEWSCRAWL_DEDUP_ENABLED")
        self.seen: set[str] = set()
        self._ticker: asyncio.Task | None = None
        self._periodic: asyncio.Future | None = None  # the periodic flush in progress

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("NEWSCRAWL_STORE_ENABLED"):
            raise NotConfigured("NEWSCRAWL_STORE_ENABLED is off")
        return cls(crawler, store_client(crawler), crawler.settings.getfloat("NEWSCRAWL_STORE_FLUSH_INTERVAL"))

    async def open_spider(self):
        await self.client.acquire()
        stats = self.crawler.stats
        if self.client.unavailable:
            stats.set_value("newscrawl/store/unavailable", 1)  # a number, as every stat; why: the store client's
            # ``unavailable``, in this ERROR line and the run summary (newscrawl.cron)
            logger.error("%s — the crawl goes on; items are spooled to %s (`scrapy replay` or the next run "
                         "writes them)", self.client.unavailable, self.client.spool.path)
        else:
            logger.info("Storing articles in the %s", self.client.store.describe())
            await self._drain()
        if self.flush_interval > 0:
            self._ticker = asyncio.ensure_future(self._tick())

    async def _drain(self) -> None:
        """Replay what earlier runs spooled before this run's items reach the store."""
        spool = self.client.spool
        if not spool.path.exists():
            return
        result = await self.client.call(replay, spool, self.client.store, self.client.buffer_size)
        if not result.replayed and not result.remaining and not result.corrupt:
            return
        stats = self.crawler.stats
        for name in ("replayed", "written", "unchanged", "touches", "remaining", "corrupt"):
            stats.set_value(f"newscrawl/spool/{name}", getattr(result, name))
        if result.corrupt:
            logger.error("%d spooled entries cannot be written and were set aside to %s with the reason",
                         result.corrupt, spool.corrupt_path)
        log = logger.error if result.remaining else logger.info
        log("Drained the spool %s first: %s", spool.path, result.summary())

    async def _tick(self):
        while True:
            await asyncio.sleep(self.flush_interval)
            # Shielded: cancelling the ticker at close must not abandon a write in progress uncounted.
            self._periodic = asyncio.ensure_future(self._guard(self.client.flush()))
            await asyncio.shield(self._periodic)

    async def _guard(self, write) -> None:
        try:
            outcome = await write
        except ItemsLost as exc:  # neither the store nor the spool took them (disk full?)
            stats = self.crawler.stats
            count_flush(stats, exc.result)
            stats.inc_value("newscrawl/store/lost", exc.items)
            if exc.touches:
                stats.inc_value("newscrawl/store/lost_touches", exc.touches)
            logger.error("Store write and spool failed, %d items lost (and %d sightings): %s", exc.items,
                         exc.touches, exc)
        except Exception:  # noqa: BLE001 — not a write failure (closing the store, say): counted, with its traceback
            self.crawler.stats.inc_value("newscrawl/store/write_errors")
            logger.exception("Store call failed")
        else:
            count_flush(self.crawler.stats, outcome)

    async def close_spider(self):
        if self._ticker is not None:
            self._ticker.cancel()
        if self._periodic is not None:
            await self._periodic  # a periodic flush still writing: wait for it (it counts itself)
        await self._guard(self.client.flush())
        await self._guard(self.client.release())
        spooled = self.crawler.stats.get_value("newscrawl/store/spooled", 0)
        if spooled or self.crawler.stats.get_value("newscrawl/store/spooled_touches", 0):
            logger.error("%d items could not be stored and wait in the spool %s: run `scrapy replay` when the "
                         "store is back (the next crawl also drains it first)", spooled, self.client.spool.path)

    async def process_item(self, item):
        if self.classifies and not await self._classify(item):
            return item  # exported as it is; the store holds this content already (or cannot key it)
        data = item_dict(item)
        seen_at = data.get("fetched_at") or datetime.now(timezone.utc).isoformat()
        if data.get("revision") is None and data.get("content_hash"):  # dedup could not ask the store
            record = build_record({**data, "revision": 0}, seen_at)
            record.item = data  # spooled as exported: revision null
            await self._guard(self.client.add_unknown(record))
        else:
            await self._guard(self.client.add(build_record(data, seen_at)))
        return item

    async def _classify(self, item) -> bool:
        """With dedup switched off, what it would decide (the same rule, :mod:`newscrawl.versions.classify`),
        without dropping anything: True when the item is to be written (new, changed, or unknown: spooled). An
        unchanged item's sighting is recorded; a second item of one key in this run is not stored again."""
        adapter = ItemAdapter(item)
        key = record_key(adapter)
        stats = self.crawler.stats
        if key is None:  # validate drops these first
            stats.inc_value("newscrawl/store/no_key")
            return False
        if key in self.seen:
            stats.inc_value(f"newscrawl/dedup/{DUPLICATE_IN_RUN}")
            return False
        self.seen.add(key)
        verdict = await classify(self.client, key, adapter)
        count_verdict(stats, verdict)
        apply_verdict(adapter, verdict)
        if verdict.kind in (UNCHANGED, COSMETIC):
            count_flush(stats, await self.client.touch(key, adapter.get("fetched_at")
                                                       or datetime.now(timezone.utc).isoformat()))
            return False
        return True

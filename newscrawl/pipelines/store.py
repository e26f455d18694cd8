"""Store: write new and changed articles to MongoDB (``MONGO_URI``) or the embedded SQLite store.

Writes are buffered (``MONGO_BUFFER_SIZE`` items) and flushed when the buffer is full, every
``MONGO_FLUSH_INTERVAL`` seconds and at close, on the store's worker thread. At open the store is
checked; an unreachable store fails the run with a one-line message (URI credentials masked). Stats:
``newscrawl/store/{written,write_errors}``. Switched off with ``NEWSCRAWL_STORE_ENABLED = False``.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone

from itemadapter import ItemAdapter
from scrapy.exceptions import NotConfigured

from ..store import StoreUnavailable, build_record, store_client
from ..store.mongo import StoreWriteError

logger = logging.getLogger(__name__)


class StorePipeline:
    def __init__(self, crawler, client, flush_interval: float):
        self.crawler = crawler
        self.client = client
        self.flush_interval = flush_interval
        self._ticker: asyncio.Task | None = None

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("NEWSCRAWL_STORE_ENABLED", True):
            raise NotConfigured("NEWSCRAWL_STORE_ENABLED is off")
        return cls(crawler, store_client(crawler), crawler.settings.getfloat("MONGO_FLUSH_INTERVAL", 5.0))

    async def open_spider(self):
        try:
            await self.client.acquire()
        except StoreUnavailable as exc:
            logger.error("%s", exc)
            self.crawler.stats.set_value("newscrawl/store/unavailable", str(exc))
            raise
        logger.info("Storing articles in the %s", self.client.store.describe())
        if self.flush_interval > 0:
            self._ticker = asyncio.ensure_future(self._tick())

    async def _tick(self):
        while True:
            await asyncio.sleep(self.flush_interval)
            await self._guard(self.client.flush())

    async def _guard(self, write) -> None:
        try:
            written = await write
        except StoreWriteError as exc:
            self.crawler.stats.inc_value("newscrawl/store/write_errors", exc.failed)
            logger.error("Store write failed: %s", exc)
        except Exception as exc:  # noqa: BLE001 — any store failure is counted and logged, the crawl goes on
            self.crawler.stats.inc_value("newscrawl/store/write_errors")
            logger.error("Store write failed: %s: %s", type(exc).__name__, str(exc)[:300])
        else:
            if written:
                self.crawler.stats.inc_value("newscrawl/store/written", written)

    async def close_spider(self):
        if self._ticker is not None:
            self._ticker.cancel()
        await self._guard(self.client.flush())
        await self.client.release()

    async def process_item(self, item):
        data = ItemAdapter(item).asdict()
        record = build_record(data, data.get("fetched_at") or datetime.now(timezone.utc).isoformat())
        await self._guard(self.client.add(record))
        return item

"""Dedup: classify each item as new, changed or unchanged against the store; drop repeats.

The key is ``<site>:<article_id>``, else the normalised canonical URL (:func:`newscrawl.records.record_key`).
A second item with a key already seen in this run is dropped (``duplicate_in_run``). Otherwise the
item's content hash is compared with the stored one: new items get revision 1, changed items the stored
revision + 1, and unchanged items are dropped (not exported) after their sighting is recorded. Stats:
``newscrawl/dedup/{new,changed,unchanged,duplicate_in_run}``.
"""

from __future__ import annotations

from datetime import datetime, timezone

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem, NotConfigured

from ..records import content_hash, record_key
from ..store import store_client


class DedupPipeline:
    def __init__(self, crawler, client):
        self.crawler = crawler
        self.client = client
        self.seen: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("NEWSCRAWL_DEDUP_ENABLED", True):
            raise NotConfigured("NEWSCRAWL_DEDUP_ENABLED is off")
        return cls(crawler, store_client(crawler))

    async def open_spider(self):
        await self.client.acquire()

    async def close_spider(self):
        await self.client.release()

    def _count(self, what: str) -> None:
        self.crawler.stats.inc_value(f"newscrawl/dedup/{what}")

    async def process_item(self, item):
        adapter = ItemAdapter(item)
        key = record_key(adapter)
        if key is None:  # validate drops these first; stay safe when it is switched off
            self.crawler.stats.inc_value("newscrawl/dropped/no_key")
            raise DropItem(f"no_key: {adapter.get('url')}")
        if key in self.seen:
            self._count("duplicate_in_run")
            raise DropItem(f"duplicate_in_run: {key} ({adapter.get('url')})", log_level="DEBUG")
        self.seen.add(key)
        digest = content_hash(adapter.asdict())
        stored = await self.client.lookup(key)
        if stored is not None and stored.content_hash == digest:
            self._count("unchanged")
            await self.client.touch(key, adapter.get("fetched_at") or datetime.now(timezone.utc).isoformat())
            raise DropItem(f"unchanged: {key}", log_level="DEBUG")
        adapter["content_hash"] = digest
        adapter["revision"] = 1 if stored is None else stored.revision + 1
        self._count("new" if stored is None else "changed")
        return item

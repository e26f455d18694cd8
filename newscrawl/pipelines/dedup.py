"""Dedup: classify each item as new, changed or unchanged against the store; drop repeats.

The key is ``<site>:<article_id>``, else the normalised canonical URL (:func:`newscrawl.records.record_key`).
A second item with a key already seen in this run is dropped (``duplicate_in_run``). Otherwise the
item's content hash is compared with the stored one: new items get revision 1, changed items the stored
revision + 1, and unchanged items are dropped (not exported) after their sighting is recorded.

When the store cannot be asked (unreachable at open, or failing mid-run) the answer is *unknown*: the item
passes on as if new, with its ``content_hash`` and a null ``revision``, so it is exported and nothing is
lost; the store pipeline sends it to the spool, and the replay's dedup (same rules, against the store)
decides later whether it is new, changed or unchanged. Stats:
``newscrawl/dedup/{new,changed,unchanged,unknown,duplicate_in_run}``.
"""

from __future__ import annotations

from datetime import datetime, timezone

from itemadapter import ItemAdapter
from scrapy.exceptions import NotConfigured

from ..exceptions import DUPLICATE_IN_RUN, UNCHANGED, Dropped
from ..records import content_hash, record_key
from ..store import UNKNOWN, store_client
from .store import count_flush


class DedupPipeline:
    def __init__(self, crawler, client):
        self.crawler = crawler
        self.client = client
        self.seen: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("NEWSCRAWL_DEDUP_ENABLED"):
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
            raise Dropped("no_key", str(adapter.get("url")))
        if key in self.seen:
            self._count(DUPLICATE_IN_RUN)
            raise Dropped(DUPLICATE_IN_RUN, f"{key} ({adapter.get('url')})", log_level="DEBUG")
        self.seen.add(key)
        digest = content_hash(adapter)
        stored = await self.client.lookup(key)
        if stored is UNKNOWN:
            adapter["content_hash"] = digest
            adapter["revision"] = None  # to be decided by the replay
            self._count("unknown")
            return item
        if stored is not None and stored.content_hash == digest:
            self._count(UNCHANGED)
            outcome = await self.client.touch(key, adapter.get("fetched_at") or datetime.now(timezone.utc).isoformat())
            count_flush(self.crawler.stats, outcome)
            raise Dropped(UNCHANGED, key, log_level="DEBUG")
        adapter["content_hash"] = digest
        adapter["revision"] = 1 if stored is None else stored.revision + 1
        self._count("new" if stored is None else "changed")
        return item

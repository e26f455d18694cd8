"""Dedup: classify each item as new, changed or unchanged against the store; drop repeats.

The key is ``<site>:<article_id>``, else the normalised canonical URL (:func:`newscrawl.records.record_key`).
A second item with a key already seen in this run is dropped (``duplicate_in_run``). Otherwise the item is
classified against the store (:func:`newscrawl.versions.classify.classify`): new items get revision 1;
changed items the stored revision + 1 and ``changes``, what changed field by field
(:func:`newscrawl.versions.diff`); unchanged items are dropped (not exported) after their sighting is
recorded. An item whose hash differs from the stored one only because that hash was made before cosmetic
differences were left out of it (see :mod:`newscrawl.records`) is unchanged too: counted in
``newscrawl/dedup/unchanged`` and ``newscrawl/dedup/cosmetic``, dropped with the reason ``cosmetic``, its
sighting recorded.

When the store cannot be asked (unreachable at open, or failing mid-run) the answer is *unknown*: the item
passes on as if new, with its ``content_hash`` and a null ``revision``, so it is exported and nothing is
lost; the store pipeline sends it to the spool, and the replay's dedup (same rules, against the store)
decides later whether it is new, changed or unchanged. Stats:
``newscrawl/dedup/{new,changed,unchanged,cosmetic,unknown,duplicate_in_run}``.

Switched off (``NEWSCRAWL_DEDUP_ENABLED = False``), nothing is dropped: every item is exported, and the
store pipeline classifies each one by the same rule to store only new and changed ones
(:mod:`newscrawl.pipelines.store`).
"""

from __future__ import annotations

from datetime import datetime, timezone

from itemadapter import ItemAdapter
from scrapy.exceptions import NotConfigured

from ..exceptions import DUPLICATE_IN_RUN, Dropped
from ..records import record_key
from ..store import store_client
from ..versions.classify import COSMETIC, UNCHANGED, apply_verdict, classify, count_verdict
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
        verdict = await classify(self.client, key, adapter)
        count_verdict(self.crawler.stats, verdict)
        if verdict.kind in (UNCHANGED, COSMETIC):
            outcome = await self.client.touch(key, adapter.get("fetched_at") or datetime.now(timezone.utc).isoformat())
            count_flush(self.crawler.stats, outcome)
            # A cosmetic one is dropped for a reason of its own: incremental crawling records the hash of an
            # unchanged item as the stored one, which the older stored hash of a cosmetic one is not.
            raise Dropped(verdict.kind, key, log_level="DEBUG")
        apply_verdict(adapter, verdict)
        return item


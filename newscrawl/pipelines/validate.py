"""Validate: drop items that cannot be stored or deduplicated, each with a reason counted in the stats.

Reasons (stats key ``newscrawl/dropped/<reason>``): ``no_url``, ``no_headline``, ``no_key`` (neither
site+article_id nor canonical_url). Switched off with ``NEWSCRAWL_VALIDATE_ENABLED = False``.
"""

from __future__ import annotations

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem, NotConfigured


def drop(crawler, reason: str, detail: str) -> DropItem:
    crawler.stats.inc_value(f"newscrawl/dropped/{reason}")
    return DropItem(f"{reason}: {detail}")


class ValidatePipeline:
    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("NEWSCRAWL_VALIDATE_ENABLED", True):
            raise NotConfigured("NEWSCRAWL_VALIDATE_ENABLED is off")
        return cls(crawler)

    def process_item(self, item):
        adapter = ItemAdapter(item)
        url = adapter.get("url")
        if not url:
            raise drop(self.crawler, "no_url", "item has no url")
        if not (adapter.get("headline") or "").strip():
            raise drop(self.crawler, "no_headline", f"no headline at {url}")
        if not (adapter.get("site") and adapter.get("article_id")) and not adapter.get("canonical_url"):
            raise drop(self.crawler, "no_key", f"neither article id nor canonical URL at {url}")
        self.crawler.stats.inc_value("newscrawl/validated")
        return item

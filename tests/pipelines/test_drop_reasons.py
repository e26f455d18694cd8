"""Drop reasons travel on the exception (newscrawl.exceptions.Dropped.reason), not in its message text: the
item_dropped handlers of the run summary (cron.RunCollector) and of incremental crawling read ``.reason``, so a
DropItem of another pipeline whose message happens to start with one of our reasons is not mistaken for it."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from scrapy import Request, Spider
from scrapy.exceptions import DropItem
from scrapy.http import HtmlResponse

from newscrawl.cron import RunCollector
from newscrawl.exceptions import DUPLICATE_IN_RUN, UNCHANGED, Dropped, drop_reason
from newscrawl.incremental import META, IncrementalMiddleware
from newscrawl.pipelines.dedup import DedupPipeline
from newscrawl.pipelines.validate import ValidatePipeline
from newscrawl.records import content_hash
from newscrawl.store import SQLiteStore, build_record
from tests.project_crawler import project_crawler

WHEN = "2025-01-02T03:04:05+00:00"


def item(n: int = 1, **extra) -> dict:
    return {"url": f"https://www.heute.at/s/m-{n}", "site": "heute", "article_id": str(n), "headline": f"H{n}",
            "body": ["text"], "galleries": [], "fetched_at": WHEN, **extra}


def crawler(tmp_path):
    return project_crawler(NEWSCRAWL_STORE_FLUSH_INTERVAL=0, NEWSCRAWL_STATE=str(tmp_path / "state.sqlite3"))


def test_a_dropped_item_carries_its_reason_and_keeps_the_message_scrapy_logs():
    exc = Dropped("no_headline", "no headline at https://x", log_level="DEBUG")
    assert isinstance(exc, DropItem) and exc.reason == "no_headline" and exc.log_level == "DEBUG"
    assert str(exc) == "no_headline: no headline at https://x"
    assert drop_reason(exc) == "no_headline" and drop_reason(DropItem("no_headline: x")) is None


@pytest.mark.parametrize("bad, reason", [
    ({"url": None}, "no_url"),
    ({"headline": "  "}, "no_headline"),
    ({"article_id": None, "canonical_url": None}, "no_key"),
])
def test_validate_raises_the_reason_it_counts(tmp_path, bad, reason):
    c = crawler(tmp_path)
    with pytest.raises(Dropped) as dropped:
        ValidatePipeline.from_crawler(c).process_item({**item(), **bad})
    assert dropped.value.reason == reason
    assert c.stats.get_value(f"newscrawl/dropped/{reason}") == 1


def test_dedup_raises_duplicate_in_run_and_unchanged_as_reasons(tmp_path):
    c = crawler(tmp_path)
    dedup = DedupPipeline.from_crawler(c)

    async def scenario():
        await dedup.open_spider()
        try:
            await dedup.process_item(item(1))
            with pytest.raises(Dropped) as dropped:
                await dedup.process_item(item(1))
        finally:
            await dedup.close_spider()
        return dropped.value.reason

    assert asyncio.run(scenario()) == DUPLICATE_IN_RUN

    # The same article in a later run, stored with the same content: dropped as unchanged.
    store = SQLiteStore(tmp_path / "state.sqlite3")
    store.open()
    it = item(2)
    store.write([build_record({**it, "content_hash": content_hash(it), "revision": 1}, WHEN)], [])
    store.close()
    later = DedupPipeline.from_crawler(crawler(tmp_path))

    async def again():
        await later.open_spider()
        try:
            with pytest.raises(Dropped) as dropped:
                await later.process_item(item(2))
        finally:
            await later.close_spider()
        return dropped.value.reason

    assert asyncio.run(again()) == UNCHANGED


def test_the_run_summary_reads_the_reason_not_the_message(tmp_path):
    """Before: any DropItem whose message began with "duplicate_in_run" was left out of the coverage counts."""
    collector = RunCollector(crawler(tmp_path))
    collector.item_dropped(item(1), None, Dropped(DUPLICATE_IN_RUN, "heute:1 (again)"), None)
    assert collector.items == 0  # the same article again: counted once, from its first copy
    collector.item_dropped(item(2), None, DropItem("duplicate_in_run: another pipeline's words"), None)
    collector.item_dropped(item(3), None, Dropped("no_headline", "x"), None)
    assert collector.items == 2


class IncrementalSpider(Spider):
    name = "incremental_probe"
    incremental_enabled = True


def sitemap_response(key: str) -> HtmlResponse:
    request = Request(f"https://www.heute.at/s/{key}", meta={META: {"key": key, "lastmod": WHEN}})
    return HtmlResponse(request.url, request=request, body=b"<html></html>")


def test_incremental_crawling_records_the_hash_only_for_items_dropped_as_unchanged(tmp_path):
    """Before: a DropItem of another pipeline saying "unchanged: ..." recorded the item's hash as if the store
    held it (and the entry was skipped next run), and one saying "duplicate_in_run" recorded nothing."""
    c = crawler(tmp_path)
    mw = IncrementalMiddleware.from_crawler(c)
    unchanged, foreign, duplicate, foreign_dup = item(1), item(2), item(3), item(4)

    async def scenario():
        await mw.spider_opened(IncrementalSpider())
        await mw.item_dropped(unchanged, sitemap_response("heute:1"), Dropped(UNCHANGED, "heute:1"), None)
        await mw.item_dropped(foreign, sitemap_response("heute:2"), DropItem("unchanged: said another pipeline"), None)
        await mw.item_dropped(duplicate, sitemap_response("heute:3"), Dropped(DUPLICATE_IN_RUN, "heute:3"), None)
        await mw.item_dropped(foreign_dup, sitemap_response("heute:4"), DropItem("duplicate_in_run: not ours"), None)
        await mw.spider_closed(IncrementalSpider())

    asyncio.run(scenario())
    with sqlite3.connect(tmp_path / "state.sqlite3") as conn:
        rows = dict(conn.execute("SELECT key, content_hash FROM sitemap_state"))
    assert rows == {"heute:1": content_hash(unchanged), "heute:2": None, "heute:4": None}

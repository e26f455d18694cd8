"""The store client comes from a component Scrapy manages: StoreExtension, found with crawler.get_extension. One
client per crawler, shared by the dedup and store pipelines and the incremental middleware (one store
connection, one write order, one spool), and a clear error when the extension is not enabled."""

from __future__ import annotations

import asyncio

import pytest
from scrapy import Spider

from newscrawl.incremental import IncrementalMiddleware
from newscrawl.pipelines.dedup import DedupPipeline
from newscrawl.pipelines.store import StorePipeline
from newscrawl.store import SQLiteStore, StoreClient, StoreExtension, StoreNotEnabled
from tests.project_crawler import project_crawler


def crawler_with_store(tmp_path, name: str = "a"):
    return project_crawler(NEWSCRAWL_STATE=str(tmp_path / name / "state.sqlite3"), NEWSCRAWL_STORE_FLUSH_INTERVAL=0)


class IncrementalSpider(Spider):
    name = "incremental_probe"
    incremental_enabled = True


def test_dedup_store_and_incremental_share_the_one_client_of_the_crawlers_store_extension(tmp_path):
    crawler = crawler_with_store(tmp_path)
    client = crawler.get_extension(StoreExtension).client
    assert isinstance(client, StoreClient) and isinstance(client.store, SQLiteStore)
    assert client.store.path == tmp_path / "a" / "state.sqlite3"
    assert client.spool.path == tmp_path / "a" / "spool.jsonl"
    dedup, store = DedupPipeline.from_crawler(crawler), StorePipeline.from_crawler(crawler)
    incremental = IncrementalMiddleware.from_crawler(crawler)

    async def scenario():
        await dedup.open_spider()
        await store.open_spider()
        await incremental.spider_opened(IncrementalSpider())
        shared = (dedup.client, store.client, incremental.client)
        opened = client.opened
        await incremental.spider_closed(IncrementalSpider())
        await dedup.close_spider()
        still_open = client.opened  # the store pipeline still uses it
        await store.close_spider()
        return shared, opened, still_open, client.opened

    shared, opened, still_open, closed_open = asyncio.run(scenario())
    assert all(c is client for c in shared)
    assert opened and still_open and not closed_open  # opened once, closed after its last user


def test_each_crawler_has_a_client_of_its_own(tmp_path):
    first, second = crawler_with_store(tmp_path, "a"), crawler_with_store(tmp_path, "b")
    one, other = DedupPipeline.from_crawler(first).client, DedupPipeline.from_crawler(second).client
    assert one is not other and one.store.path != other.store.path
    assert StorePipeline.from_crawler(first).client is one


def test_without_the_extension_the_pipelines_refuse_to_start_and_say_why(tmp_path):
    """Not a silent crawl that stores nothing: the pipelines cannot be built and the message names the fix."""
    crawler = project_crawler(NEWSCRAWL_STATE=str(tmp_path / "state.sqlite3"),
                              EXTENSIONS={"newscrawl.store.StoreExtension": None})
    assert crawler.get_extension(StoreExtension) is None
    for component in (DedupPipeline, StorePipeline):
        with pytest.raises(StoreNotEnabled, match=r"newscrawl.store.StoreExtension is not in EXTENSIONS"):
            component.from_crawler(crawler)
    assert not (tmp_path / "state.sqlite3").exists()


def test_the_crawler_no_longer_carries_a_store_attribute_of_its_own(tmp_path):
    crawler = crawler_with_store(tmp_path)
    DedupPipeline.from_crawler(crawler)
    assert not hasattr(crawler, "newscrawl_store")

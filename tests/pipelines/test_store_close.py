"""Closing the store pipeline while a periodic flush is writing (D8): close waits for that write and counts
it. In-process with the embedded store held by another connection (so the flush is in flight for sure),
and real `scrapy crawl` runs of 300 generated articles against a SecantusDB process of the test's own,
one of which SIGKILLs the server part-way."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
import time

from pymongo import MongoClient

from newscrawl.mirror import serve
from newscrawl.pipelines.store import StorePipeline
from newscrawl.testing.generate_mirror import generate
from tests.conftest import PROJECT, read_jsonl, run_scrapy
from tests.pipelines.test_dedup_store import stat
from tests.project_crawler import project_crawler

PAGES = 300
WHEN = "2025-01-02T03:04:05+00:00"


def item(n: int) -> dict:
    return {"url": f"https://www.heute.at/s/m-{n}", "site": "heute", "article_id": str(n), "headline": f"H{n}",
            "body": ["text"], "galleries": [], "fetched_at": WHEN, "content_hash": f"{n:064x}", "revision": 1}


def test_close_waits_for_the_periodic_flush_that_is_writing_and_counts_it(tmp_path):
    state = tmp_path / "state.sqlite3"
    crawler = project_crawler(NEWSCRAWL_STATE=str(state), NEWSCRAWL_SPOOL=str(tmp_path / "spool.jsonl"),
                              NEWSCRAWL_STORE_FLUSH_INTERVAL=0.05, NEWSCRAWL_STORE_BUFFER_SIZE=1000)
    pipeline = StorePipeline.from_crawler(crawler)

    async def scenario():
        await pipeline.open_spider()
        blocker = sqlite3.connect(state, timeout=0)
        blocker.execute("BEGIN EXCLUSIVE")  # the store's next write waits for this lock (busy timeout 30 s)
        try:
            for n in range(20):
                await pipeline.process_item(item(n))
            deadline = time.monotonic() + 10
            while pipeline.client.pending():  # the ticker has taken the buffer and its write is waiting
                assert time.monotonic() < deadline, "the periodic flush never started"
                await asyncio.sleep(0.01)
            closing = asyncio.ensure_future(pipeline.close_spider())
            await asyncio.sleep(0.3)
            assert not closing.done(), closing.done() and closing.exception()  # close waits for the write in flight
        finally:
            blocker.rollback()
            blocker.close()
        await asyncio.wait_for(closing, 30)

    asyncio.run(scenario())
    assert crawler.stats.get_value("newscrawl/store/written") == 20
    with sqlite3.connect(state) as conn:
        assert conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 20
    assert not (tmp_path / "spool.jsonl").exists()


def crawl_env(uri: str, tmp_path, **extra) -> dict:
    return {"MONGO_URI": uri, "MONGO_DATABASE": "close", "NEWSCRAWL_SPOOL": str(tmp_path / "spool.jsonl"),
            "MONGO_FLUSH_INTERVAL": "0.2", "NEWSCRAWL_OUTPUT_DIR": str(tmp_path / "out"), **extra}


def stored(uri: str) -> set[str]:
    with MongoClient(uri, serverSelectionTimeoutMS=5000) as client:
        return {d["article_id"] for d in client["close"]["articles"].find({}, {"article_id": 1})}


def test_written_equals_what_the_store_holds_after_a_crawl_of_300(dedicated_mongo, tmp_path):
    """Only the periodic flush writes (the buffer holds more than the crawl), every 0.2 s: the last one is
    running when the crawl closes."""
    ids = generate(tmp_path / "mirror", pages=PAGES)
    uri = dedicated_mongo.start()
    with serve(tmp_path / "mirror") as base:
        result = run_scrapy("crawl", "heute", "-a", f"base_url={base}", env=crawl_env(uri, tmp_path), timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    assert stat(result.stderr, "dedup/new") == PAGES
    assert stat(result.stderr, "store/written") == PAGES == len(stored(uri))
    assert stored(uri) == set(ids)


def test_a_server_killed_mid_crawl_leaves_every_item_written_or_spooled_and_counted(dedicated_mongo, tmp_path):
    ids = generate(tmp_path / "mirror", pages=PAGES)
    uri = dedicated_mongo.start()
    env = {k: v for k, v in os.environ.items() if k not in ("MONGO_URI", "NEWSCRAWL_STATE", "NEWSCRAWL_SPOOL")}
    env.update(crawl_env(uri, tmp_path, MONGO_CONNECT_TIMEOUT_MS="300", MONGO_RETRIES="1"))
    log = tmp_path / "crawl.log"
    with serve(tmp_path / "mirror") as base, open(log, "wb") as err:
        crawl = subprocess.Popen([sys.executable, "-m", "scrapy", "crawl", "heute", "-a", f"base_url={base}",
                                  "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "DOWNLOAD_DELAY=0", "-s", "LOG_LEVEL=INFO"],
                                 cwd=PROJECT, env=env, stdout=subprocess.DEVNULL, stderr=err)
        try:
            deadline = time.monotonic() + 120
            while len(stored(uri)) < PAGES // 2:
                assert crawl.poll() is None, "the crawl ended before half of it was stored"
                assert time.monotonic() < deadline, "half of the crawl was never stored"
                time.sleep(0.05)
            dedicated_mongo.proc.kill()  # SIGKILL, part-way
            dedicated_mongo.proc.wait(timeout=10)
            returncode = crawl.wait(timeout=240)
        finally:
            if crawl.poll() is None:
                crawl.kill()
                crawl.wait(timeout=10)
    stderr = log.read_text(errors="replace")
    assert returncode == 1, stderr[-3000:]
    written, spooled = stat(stderr, "store/written"), stat(stderr, "store/spooled")
    assert spooled > 0 and stat(stderr, "store/write_errors") >= 1, stderr[-3000:]
    assert written + spooled == PAGES and stat(stderr, "store/lost") == 0, (written, spooled)
    in_spool = [e["item"]["article_id"] for e in read_jsonl(tmp_path / "spool.jsonl")]
    assert len(in_spool) == spooled
    dedicated_mongo.proc = None
    dedicated_mongo.start()
    assert stored(uri) | set(in_spool) == set(ids)

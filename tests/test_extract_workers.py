"""Extraction in worker processes: same result as in-process, workers that die are replaced, bad settings refused.

The workers are real ``spawn`` processes. A worker crash is made by a site module (defined here, so that the
worker imports it by name) whose ``refine`` ends its process with ``os._exit`` — what a crash in a C library
or the OOM killer looks like to the pool.
"""

from __future__ import annotations

import asyncio
import os
from datetime import datetime, timezone
from pathlib import Path

import pytest

from newscrawl.extract import extract
from newscrawl.extract.sites import Site
from newscrawl.extract.sites.heute import Heute
from newscrawl.extract_workers import (MAX_ATTEMPTS, ExtractionCrashed, ExtractionTimedOut, ExtractionWorkers,
                                       parse_processes)
from tests.conftest import HEUTE_MIRROR, read_jsonl, run_scrapy

FETCHED = datetime(2025, 7, 3, 8, 0, tzinfo=timezone.utc)
PAGE_ID = "100283517"  # the Netflix article with its 50-slide gallery


def page() -> tuple[str, str]:
    return (HEUTE_MIRROR / "s" / f"{PAGE_ID}.html").read_text(encoding="utf-8"), f"https://www.heute.at/s/x-{PAGE_ID}"


class CrashingSite(Site, register=False):
    """Kills the worker process while extracting, as long as its marker file does not exist; with
    ``once``, it creates the marker first, so the next attempt succeeds."""

    NAME = "crashing"
    HOSTS = ("heute.at",)  # a spider uses its site only for the site's hosts (ArticleSpider.site_of)

    def __init__(self, marker: str, once: bool):
        self.marker, self.once = marker, once

    def refine(self, page, cands):
        if not os.path.exists(self.marker):
            if self.once:
                Path(self.marker).touch()
            os._exit(70)
        super().refine(page, cands)


class FailingSite(Site, register=False):
    NAME = "failing"
    HOSTS = ("failing.invalid",)

    def refine(self, page, cands):
        raise ValueError("a bug in a site module")


def run(coro):
    return asyncio.run(coro)


@pytest.mark.parametrize("value,expected", [("", None), ("auto", None), ("0", 0), ("3", 3), (" 2 ", 2)])
def test_the_process_count_setting(value, expected):
    from newscrawl.extract_workers import default_processes
    assert parse_processes(value) == (default_processes() if expected is None else expected)


@pytest.mark.parametrize("value", ["-1", "many", "1.5"])
def test_a_bad_process_count_is_refused_with_the_setting_named(value):
    with pytest.raises(ValueError, match="NEWSCRAWL_EXTRACT_PROCESSES must be 'auto' or a whole number"):
        parse_processes(value)


def test_a_worker_process_gives_the_same_article_as_in_process_extraction():
    html, url = page()
    workers = ExtractionWorkers(2)
    try:
        async def both():
            return await asyncio.gather(*(workers.extract(html, url, site=Heute(), fetched_at=FETCHED)
                                          for _ in range(3)))
        results = run(both())
    finally:
        workers.close()
    expected = extract(html, url, site=Heute(), fetched_at=FETCHED)
    assert len(expected.galleries[0].entries) == 50
    assert all(result == expected for result in results)


def test_the_second_opinion_setting_reaches_the_worker_processes():
    from newscrawl.extract.sites import Site
    from tests.extract.test_second_opinion import LISTICLE, URL

    for processes in (0, 1):
        results = {}
        for asked in (True, False):
            workers = ExtractionWorkers(processes, second_opinion=asked)
            try:
                results[asked] = run(workers.extract(LISTICLE, URL, site=Site(), fetched_at=FETCHED))
            finally:
                workers.close()
        assert results[True].extractor["second_opinion"] == "taken", processes
        assert "second_opinion" not in results[False].extractor and len(results[False].body) == 1, processes


def test_zero_processes_extracts_in_the_calling_thread():
    html, url = page()
    workers = ExtractionWorkers(0)
    assert run(workers.extract(html, url, site=Heute(), fetched_at=FETCHED)) == extract(
        html, url, site=Heute(), fetched_at=FETCHED)
    assert workers._pool is None


def test_without_an_asyncio_loop_the_page_is_extracted_in_process():
    """Under a Twisted reactor other than asyncio's there is no loop to await a worker in."""
    html, url = page()
    workers = ExtractionWorkers(1)
    coro = workers.extract(html, url, site=Heute(), fetched_at=FETCHED)
    with pytest.raises(StopIteration) as done:
        coro.send(None)  # driven by hand, as a Deferred-based caller would, with no asyncio loop running
    assert done.value.value == extract(html, url, site=Heute(), fetched_at=FETCHED)
    assert workers.processes == 0 and workers._pool is None


def test_an_error_in_extraction_reaches_the_caller_as_itself():
    html, url = page()
    workers = ExtractionWorkers(1)
    try:
        with pytest.raises(ValueError, match="a bug in a site module"):
            run(workers.extract(html, url, site=FailingSite(), fetched_at=FETCHED))
        # the pool is intact: the next page extracts
        assert run(workers.extract(html, url, site=Heute(), fetched_at=FETCHED)).article_id == PAGE_ID
        assert workers._generation == 0
    finally:
        workers.close()


def test_a_worker_that_dies_is_replaced_and_the_page_is_extracted_again(tmp_path):
    html, url = page()
    workers = ExtractionWorkers(1)
    try:
        article = run(workers.extract(html, url, site=CrashingSite(str(tmp_path / "marker"), once=True),
                                      fetched_at=FETCHED))
        assert article.headline and (tmp_path / "marker").exists()
        assert workers._generation == 1  # one restart
    finally:
        workers.close()


def test_a_page_that_kills_every_worker_is_given_up_after_the_attempts(tmp_path):
    html, url = page()
    workers = ExtractionWorkers(1)
    try:
        with pytest.raises(ExtractionCrashed, match=f"killed a worker process {MAX_ATTEMPTS} times"):
            run(workers.extract(html, url, site=CrashingSite(str(tmp_path / "never"), once=False),
                                fetched_at=FETCHED))
        assert workers._generation == MAX_ATTEMPTS
        # and the crawl goes on: a good page after it extracts in a fresh pool
        assert run(workers.extract(html, url, site=Heute(), fetched_at=FETCHED)).article_id == PAGE_ID
    finally:
        workers.close()


def test_the_crawl_exports_the_same_items_with_and_without_worker_processes(tmp_path, heute_mirror):
    runs = {}
    for processes in ("0", "2"):
        out = tmp_path / f"items-{processes}.jsonl"
        result = run_scrapy("crawl", "heute", "-a", f"base_url={heute_mirror}", "-O", str(out),
                            env={"NEWSCRAWL_EXTRACT_PROCESSES": processes})
        assert result.returncode == 0, result.stderr[-2000:]
        workers_stat = "'newscrawl/extract_workers/processes': 2" in result.stderr
        assert workers_stat == (processes == "2")
        runs[processes] = {item["article_id"]: {k: v for k, v in item.items() if k != "fetched_at"}
                           for item in read_jsonl(out)}
    assert len(runs["0"]) == 19
    assert runs["0"] == runs["2"]


def _children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:  # gone meanwhile
        return ""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process table from /proc")
def test_workers_end_when_the_crawl_process_is_killed(tmp_path, heute_mirror):
    import signal
    import subprocess
    import sys
    import time
    env = {**os.environ, "NEWSCRAWL_EXTRACT_PROCESSES": "1", "NEWSCRAWL_STATE": str(tmp_path / "state.sqlite3"),
           "NEWSCRAWL_OUTPUT_DIR": str(tmp_path / "out")}
    env.pop("MONGO_URI", None)
    crawl = subprocess.Popen([sys.executable, "-m", "scrapy", "crawl", "heute", "-a", f"base_url={heute_mirror}",
                              "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "DOWNLOAD_DELAY=1"],
                             cwd=Path(__file__).parent.parent, env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        workers: list[int] = []
        deadline = time.monotonic() + 60
        while not workers and time.monotonic() < deadline and crawl.poll() is None:
            # the extraction worker (the resource tracker, also a child, is not one)
            workers = [pid for pid in _children(crawl.pid) if "spawn_main" in _cmdline(pid)]
            time.sleep(0.2)
        assert workers, "the crawl started no extraction worker within 60 s"
    finally:
        crawl.send_signal(signal.SIGKILL)
        crawl.wait(timeout=30)
    deadline = time.monotonic() + 15
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [pid for pid in workers if _alive(pid)], "extraction workers outlived their killed crawl"


def test_the_spider_skips_a_page_that_kills_every_worker_with_a_recorded_reason(tmp_path):
    from scrapy.http import HtmlResponse
    from scrapy.utils.test import get_crawler

    from newscrawl.spiders.base import ArticleSpider

    class Spider(ArticleSpider):
        name = "crashing"
        site = CrashingSite(str(tmp_path / "never"), once=False)

    html, url = page()
    crawler = get_crawler(Spider, {"NEWSCRAWL_EXTRACT_PROCESSES": "1"})
    crawler._apply_settings()
    spider = Spider.from_crawler(crawler)
    crawler.spider = spider
    response = HtmlResponse(url, body=html.encode("utf-8"), encoding="utf-8")

    async def parse():
        return [out async for out in spider.parse_article(response)]

    try:
        assert run(parse()) == []
    finally:
        spider.extraction.close()
    assert crawler.stats.get_value("newscrawl/skipped/extract_crashed") == 1
    assert crawler.stats.get_value("newscrawl/extract_workers/restarts") == MAX_ATTEMPTS


# The extraction time budget (issue 11, D5): a page whose extraction runs away is interrupted, not waited for.

def test_a_page_over_the_time_budget_is_interrupted_in_a_worker_and_the_worker_goes_on():
    from tests.slow_extraction import SlowSite

    html, url = page()
    workers = ExtractionWorkers(1, time_budget=0.5)
    try:
        with pytest.raises(ExtractionTimedOut, match="budget of 0.5 s"):
            run(workers.extract(html, url, site=SlowSite(), fetched_at=FETCHED))
        # the same worker, not a restarted pool, extracts the next page
        assert run(workers.extract(html, url, site=Heute(), fetched_at=FETCHED)).article_id == PAGE_ID
        assert workers._generation == 0
    finally:
        workers.close()


def test_a_page_over_the_time_budget_is_interrupted_in_process_too():
    from tests.slow_extraction import SlowSite

    html, url = page()
    workers = ExtractionWorkers(0, time_budget=0.5)
    with pytest.raises(ExtractionTimedOut):
        run(workers.extract(html, url, site=SlowSite(), fetched_at=FETCHED))
    # the timer is off again: a page extracted afterwards is not interrupted later on
    assert run(workers.extract(html, url, site=Heute(), fetched_at=FETCHED)).article_id == PAGE_ID
    import signal

    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


@pytest.mark.parametrize("processes", ["0", "1"])
def test_a_crawl_skips_and_counts_a_page_over_the_time_budget(heute_mirror, processes, tmp_path):
    out = tmp_path / "items.jsonl"
    result = run_scrapy("runspider", "tests/slow_extraction_spider.py", "-a", f"page_url={heute_mirror}/s/x-{PAGE_ID}",
                        "-s", "NEWSCRAWL_EXTRACT_TIME_BUDGET=1", "-s", f"NEWSCRAWL_EXTRACT_PROCESSES={processes}",
                        "-O", str(out), timeout=90)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "'newscrawl/skipped/extract_timeout': 1" in result.stderr
    assert f"took longer than its budget of 1 s" in result.stderr
    assert read_jsonl(out) == []


def test_a_negative_time_budget_is_refused_with_the_setting_named(heute_mirror):
    result = run_scrapy("crawl", "heute", "-a", f"base_url={heute_mirror}", "-s",
                        "NEWSCRAWL_EXTRACT_TIME_BUDGET=-1", timeout=60)
    assert result.returncode != 0 and "NEWSCRAWL_EXTRACT_TIME_BUDGET must be seconds >= 0" in result.stderr

"""newscrawl.cron in-process: the run lock, coverage, the health checks with their exit codes, the summary."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import re
from datetime import datetime, timezone

import pytest
from scrapy.settings import Settings

from newscrawl.commands.checks import check_setting_types
from newscrawl.cron import (EXIT_COVERAGE, EXIT_ERRORS, EXIT_NOTHING_FETCHED, EXIT_OK, EXIT_STORE, EXIT_UNFINISHED,
                            LockHeld, RunLock, build_summary, coverage_flags, evaluate, exit_code, parse_floors,
                            summary_line)
from newscrawl.store.config import StoreConfigError, check_store_config
from newscrawl.items import Article, Image

HEALTHY = {"finish_reason": "finished", "newscrawl/articles_extracted": 19, "log_count/ERROR": 0,
           "newscrawl/sitemap/fetched": 3}
FULL = {"items": 20, "headline": 1.0, "published": 1.0, "authors_or_source": 0.8, "lead_image_credit": 0.8}
FLOORS = parse_floors("headline=0.99,published=0.95,authors_or_source=0.5,lead_image_credit=0.5")


def codes(stats, coverage=FULL, **kw) -> list[int]:
    return [p.code for p in evaluate(stats, coverage, floors=kw.pop("floors", FLOORS), **kw)]


def test_a_healthy_run_and_an_incremental_run_that_fetched_nothing_new_exit_0():
    assert codes(HEALTHY) == [] and exit_code(evaluate(HEALTHY, FULL, floors=FLOORS)) == EXIT_OK
    quiet = {"finish_reason": "finished", "newscrawl/incremental/skipped": 20, "newscrawl/sitemap/fetched": 3}
    nothing = {"items": 0, "headline": None, "published": None, "authors_or_source": None, "lead_image_credit": None}
    assert codes(quiet, nothing) == []


STORE_STATS = ["newscrawl/store/unavailable", "newscrawl/store/spooled", "newscrawl/store/spooled_touches",
               "newscrawl/store/write_errors", "newscrawl/spool/remaining", "newscrawl/spool/corrupt",
               "newscrawl/store/lost", "newscrawl/store/lost_touches"]


@pytest.mark.parametrize("stat", STORE_STATS)
def test_store_failures_exit_3(stat):
    problems = evaluate({**HEALTHY, stat: "MongoDB unreachable" if stat.endswith("unavailable") else 2}, FULL,
                        floors=FLOORS)
    assert [p.code for p in problems] == [EXIT_STORE] and stat.split("/", 1)[1] in problems[0].message


@pytest.mark.parametrize("stat", STORE_STATS)
def test_scrapy_crawl_fails_on_the_same_store_stats(stat):
    """`scrapy crawl` exits 1 on each stat that makes `cronrun` exit 3 (it missed spool/corrupt and
    store/lost_touches, so a crawl that set entries aside exited 0)."""
    from newscrawl.commands.crawl import store_failures

    assert store_failures({"finish_reason": "finished", stat: 2}) == [f"{stat}=2"]


def test_nothing_fetched_exits_4_and_says_why():
    stats = {"finish_reason": "finished", "log_count/ERROR": 0, "downloader/request_count": 3}
    (problem,) = evaluate(stats, {"items": 0}, floors=FLOORS)
    assert problem.code == EXIT_NOTHING_FETCHED and "no sitemap or section page could be fetched" in problem.message
    (problem,) = evaluate({**stats, "newscrawl/sitemap/fetched": 3}, {"items": 0}, floors=FLOORS)
    assert "every article request failed" in problem.message


def test_an_unfinished_crawl_exits_5():
    assert codes({**HEALTHY, "finish_reason": "shutdown"}) == [EXIT_UNFINISHED]
    assert codes({**HEALTHY, "finish_reason": "closespider_timeout"}) == []  # a limit the operator set
    assert codes({}, {"items": 0}, started=False) == [EXIT_UNFINISHED]


def test_errors_above_the_threshold_exit_6():
    assert codes({**HEALTHY, "log_count/ERROR": 1}) == [EXIT_ERRORS]
    assert codes({**HEALTHY, "log_count/ERROR": 3}, max_errors=3) == []


def test_coverage_below_a_floor_exits_7_only_from_enough_items():
    low = {**FULL, "authors_or_source": 0.79}
    (problem,) = evaluate(HEALTHY, low, floors=parse_floors("authors_or_source=1.0"))
    assert problem.code == EXIT_COVERAGE and "authors_or_source 0.79 < 1.00" in problem.message
    assert codes(HEALTHY, {**low, "items": 5}, floors=parse_floors("authors_or_source=1.0"), min_items=10) == []
    assert codes(HEALTHY, {**FULL, "headline": 0.5}, floors={}) == []  # no floors, no check


def test_the_most_severe_problem_gives_the_exit_code():
    stats = {"finish_reason": "shutdown", "log_count/ERROR": 4, "newscrawl/store/spooled": 3}
    problems = evaluate(stats, {**FULL, "headline": 0.1}, floors=FLOORS)
    assert [p.code for p in problems] == [EXIT_STORE, EXIT_NOTHING_FETCHED, EXIT_UNFINISHED, EXIT_ERRORS,
                                          EXIT_COVERAGE]
    assert exit_code(problems) == EXIT_STORE


def test_floors_are_parsed_and_checked():
    assert FLOORS == {"headline": 0.99, "published": 0.95, "authors_or_source": 0.5, "lead_image_credit": 0.5}
    assert parse_floors({"headline": "1"}) == {"headline": 1.0} and parse_floors("") == {}
    for bad, message in [("byline=0.5", "unknown coverage field"), ("headline=lots", "must be a number"),
                         ("headline=1.5", "from 0 to 1"), ("headline", "field=share pairs")]:
        with pytest.raises(ValueError, match=message):
            parse_floors(bad)


def test_coverage_flags():
    assert coverage_flags(Article(headline="H", published="2025-01-01T00:00:00+01:00", source="APA", lead="L",
                                  body=["x" * 500], lead_image=Image(url="u", credits=["APA"]))) == dict.fromkeys(
        ("headline", "published", "authors_or_source", "lead", "body_length", "lead_image_credit"), True)
    assert coverage_flags({"headline": " ", "authors": [], "source": None, "lead_image": {"url": "u", "credits": []}}) \
        == dict.fromkeys(("headline", "published", "authors_or_source", "lead", "body_length", "lead_image_credit"),
                         False)  # galleries only where the page shows a gallery counter (tests/commands/test_drift.py)
    assert coverage_flags({"authors": ["A"], "lead_image": {"credit_raw": "Foto: X"}})["lead_image_credit"]


def test_the_lock_is_exclusive_and_says_who_holds_it(tmp_path):
    path = tmp_path / "locks" / "heute.lock"
    with RunLock(path) as first:
        assert first.stale == ""
        assert path.read_text().startswith(f"pid {os.getpid()}\n")
        with pytest.raises(LockHeld, match=f"pid {os.getpid()}"):
            RunLock(path).acquire()  # a second open file description conflicts, even in this process
    assert path.read_text() == ""  # released cleanly
    with RunLock(path) as again:
        assert again.stale == ""


def test_the_lock_of_a_killed_process_is_free_and_reported_stale(tmp_path):
    path = tmp_path / "heute.lock"
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from newscrawl.cron import RunLock; RunLock(sys.argv[1]).acquire(); "
        "print('locked', flush=True); time.sleep(120)"), str(path)], stdout=subprocess.PIPE, text=True,
        cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(LockHeld, match=f"pid {holder.pid}"):
            RunLock(path).acquire()
    finally:
        holder.kill()
        holder.wait(timeout=10)
    deadline = time.monotonic() + 10
    while True:
        try:
            lock = RunLock(path).acquire()
            break
        except LockHeld:
            assert time.monotonic() < deadline, "the lock of a killed process stayed held"
            time.sleep(0.05)
    try:
        assert lock.stale.startswith(f"pid {holder.pid}")
    finally:
        lock.release()


# -- what `scrapy crawl` shares with cronrun (issue 13) ------------------------------------------------------

def test_crawl_makes_the_same_checks_without_the_error_count_and_coverage():
    stats = {**HEALTHY, "log_count/ERROR": 3}
    assert [p.code for p in evaluate(stats, {**FULL, "headline": 0.1}, max_errors=None, floors=None)] == []
    assert codes({"finish_reason": "finished"}, {"items": 0}, max_errors=None, floors=None) == [EXIT_NOTHING_FETCHED]


def test_a_site_that_did_not_answer_is_named_as_the_reason_nothing_was_fetched():
    stats = {"finish_reason": "finished", "newscrawl/origins_unreachable": 1, "downloader/request_count": 6}
    (problem,) = evaluate(stats, {"items": 0}, max_errors=None)
    assert problem.code == EXIT_NOTHING_FETCHED and problem.message == (
        "no article could be fetched (no sitemap or section page could be fetched: the site did not answer, "
        "connection refused or host not found; 0 responses to 6 requests)")
    (problem,) = evaluate({"finish_reason": "finished", "newscrawl/feed/fetched": 1}, {"items": 0}, max_errors=None)
    assert "the sitemaps or feeds listed no article" in problem.message  # a feed counts as read


class Collector:
    article_responses = 20
    reasons: dict = {}

    def coverage(self):
        return {"items": 0, "headline": None}


def crawl_line(stats: dict, outputs: list[str]) -> str:
    summary = build_summary("heute", {"finish_reason": "finished", **stats}, Collector(), [], duration=1.234,
                            jsonl=None, started_at=datetime.now(timezone.utc))
    summary["outputs"] = outputs
    return summary_line(summary, command="crawl", coverage=False)


def test_the_crawl_summary_line_names_the_output_or_says_0_new_articles():
    line = crawl_line({"newscrawl/dedup/unchanged": 19, "newscrawl/articles_extracted": 19}, [])
    assert line == ("crawl heute: OK exit=0 fetched=20 skipped=0 extracted=19 new=0 changed=0 unchanged=19 dropped=0 "
                    "written=0 spooled=0 errors=0 duration=1.23s output=none (0 new articles)")
    line = crawl_line({"item_scraped_count": 2, "newscrawl/dedup/new": 2}, ["output/heute/x.jsonl", "s3://b/***"])
    assert line.endswith(" new=2 changed=0 unchanged=0 dropped=0 written=0 spooled=0 errors=0 duration=1.23s "
                         "output=output/heute/x.jsonl,s3://b/***")
    assert crawl_line({"item_scraped_count": 2}, []).endswith(" output=none")  # exported, but to no feed


# -- store configuration -----------------------------------------------------------------------------------

@pytest.mark.parametrize("uri, message", [
    ("mongodb//admin:hunter2@localhost", "MONGO_URI *** is not a MongoDB URI: it must begin with mongodb://"),
    ("mongodb://admin:hun/ter2@localhost", "MONGO_URI mongodb://*** is not a MongoDB URI: a user name or password"),
    ("http://admin:hunter2@localhost/", "MONGO_URI http://***:***@localhost/ is not a valid MongoDB URI: Invalid URI "
                                        "scheme"),
    ("mongodb://admin:hunter2@localhost/?tls=perhaps", "MONGO_URI mongodb://***:***@localhost/?*** is not a valid "
                                                       "MongoDB URI: "),
    ("mongodb://admin:hunter2@localhost/?hunter2=1", "(options given: ***)"),
    ("mongodb+srv://admin:hunter2@cluster0.example.net:27017/", "a mongodb+srv:// URI names one host name without a "
                                                                "port"),
])
def test_store_configuration_errors_name_the_masked_uri(uri, message):
    with pytest.raises(StoreConfigError) as caught:
        check_store_config(Settings({"MONGO_URI": uri}))
    assert message in str(caught.value) and "hunter2" not in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("uri", ["", "  ", "mongodb://127.0.0.1:1/newscrawl", "mongodb://a:b@h1:1,h2:2/db?replicaSet=rs",
                                 "mongodb+srv://cluster0.invalid/db?srvServiceName=mongo&retryWrites=true"])
def test_well_formed_uris_pass_without_connecting(uri):
    check_store_config(Settings({"MONGO_URI": uri}))  # an unreachable server (or DNS name) spools as before


# -- settings given as text ----------------------------------------------------------------------------------

def test_settings_given_on_the_command_line_are_read_as_the_type_of_their_default():
    defaults = Settings()
    defaults.setmodule("newscrawl.settings")
    settings = defaults.copy()
    for name, value in [("NEWSCRAWL_INCREMENTAL", "1"), ("RETRY_TIMES", "5"), ("NEWSCRAWL_DOWNLOAD_DELAY", "0.5"),
                        ("NEWSCRAWL_BASE_URLS", '{"heute": "http://127.0.0.1:8765"}'), ("MONGO_URI", "anything")]:
        settings.set(name, value, priority="cmdline")
    check_setting_types(settings, defaults)
    for name, value, message in [
            ("NEWSCRAWL_INCREMENTAL", "yes", "-s NEWSCRAWL_INCREMENTAL must be a switch (1 or 0, true or false)"),
            ("RETRY_TIMES", "three", "-s RETRY_TIMES must be a number like RETRY_TIMES=3, got 'three'"),
            ("NEWSCRAWL_DOWNLOAD_DELAY", "slow", "-s NEWSCRAWL_DOWNLOAD_DELAY must be a number like "
                                                 "NEWSCRAWL_DOWNLOAD_DELAY=0.5"),  # an alias: DOWNLOAD_DELAY's type
            ("NEWSCRAWL_BASE_URLS", "{heute: x}", 'like NEWSCRAWL_BASE_URLS={"heute": "http://127.0.0.1:8765"}')]:
        bad = settings.copy()
        bad.set(name, value, priority="cmdline")
        with pytest.raises(ValueError, match=re.escape(message)):
            check_setting_types(bad, defaults)


# -- spider arguments: one check, used by the commands and by the spider itself --------------------------------

def test_spider_arguments_are_checked_by_one_classmethod_the_constructor_uses():
    from newscrawl.spiders.article import GenericArticleSpider
    from newscrawl.spiders.sites import HeuteSpider

    parsed = HeuteSpider.check_arguments({"since": "2025-01-31", "base_url": "http://127.0.0.1:8765/",
                                          "_job": "abc", "download_delay": "2"})
    assert parsed["since"].isoformat() == "2025-01-31T00:00:00+01:00" and parsed["base_url"] == "http://127.0.0.1:8765"
    spider = HeuteSpider(since="2025-01-31", _job="abc")  # scrapyd's _job stays an attribute, as Scrapy sets it
    assert spider.since == parsed["since"] and spider._job == "abc"
    for kwargs, message in [({"sinse": "2025-01-01"}, "-a sinse is no argument of the heute spider"),
                            ({"max_sections": "-1"}, "-a max_sections must be a whole number like 5, got '-1'")]:
        with pytest.raises(ValueError, match=re.escape(message)):
            HeuteSpider.check_arguments(kwargs)
        with pytest.raises(ValueError, match=re.escape(message)):
            HeuteSpider(**kwargs)
    with pytest.raises(ValueError, match=re.escape("NEWSCRAWL_BASE_URLS['heute'] must be an http(s) URL")):
        HeuteSpider.check_arguments({}, Settings({"NEWSCRAWL_BASE_URLS": {"heute": "127.0.0.1:8765"}}))
    with pytest.raises(ValueError, match=re.escape("-a feed is not an http(s) URL like https://www.example.com/rss")):
        GenericArticleSpider.check_arguments({"feed": "example.com/rss"})


def test_summary_files_stay_in_the_output_folder_and_never_share_a_name(tmp_path):
    from datetime import datetime, timezone

    from newscrawl.commands.cronrun import summary_file
    started = datetime(2026, 12, 2, 7, 0, 1, tzinfo=timezone.utc)
    folder = tmp_path / "output"
    default = folder / "heute" / "2026-12-02T07-00-01.000000+00-00-42-abcdef.jsonl"
    assert summary_file(default, folder, "heute", started) == default.with_name(
        "2026-12-02T07-00-01.000000+00-00-42-abcdef.summary.json")
    # Two runs that exported nothing, started in the same second (a whole-second name was shared before).
    first, second = (summary_file(None, folder, "heute", started) for _ in range(2))
    assert first != second and first.parent == second.parent == folder / "heute"
    assert first.name.startswith("2026-12-02T07-00-01.000000+00-00-")
    # -O elsewhere: the summary still goes where the drift alarm reads the earlier runs.
    assert summary_file(tmp_path / "one.jsonl", folder, "heute", started).parent == folder / "heute"

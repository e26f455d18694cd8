"""newscrawl.cron in-process: the run lock, coverage, the health checks with their exit codes, the summary."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from newscrawl.cron import (EXIT_COVERAGE, EXIT_ERRORS, EXIT_NOTHING_FETCHED, EXIT_OK, EXIT_STORE, EXIT_UNFINISHED,
                            LockHeld, RunLock, coverage_flags, evaluate, exit_code, parse_floors)
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

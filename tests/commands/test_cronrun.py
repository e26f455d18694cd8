"""`scrapy cronrun heute` end to end: real runs in subprocesses against the offline mirror on 127.0.0.1 —
the lock (a concurrent run, a stale lock), a SIGKILLed run and its re-run, the summary and the exit codes."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from newscrawl.cron import coverage_flags
from tests.conftest import HEUTE_MIRROR, PROJECT, free_port, read_jsonl, run_scrapy

MIRROR_IDS = sorted(p.name.split(".")[0] for p in (HEUTE_MIRROR / "s").glob("*.expected.json"))
SITEMAP_ARTICLES = len(MIRROR_IDS) + 1  # and one the sitemap lists but the mirror lacks (404)
# Slow enough to act while a run is busy: one request at a time, a fixed delay between them.
SLOW = ("-s", "AUTOTHROTTLE_ENABLED=0", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1", "-s", "RANDOMIZE_DOWNLOAD_DELAY=0")


def place(tmp_path: Path) -> dict:
    """Environment of runs sharing one embedded store, lock folder, spool and output folder under tmp_path."""
    return {"NEWSCRAWL_STATE": str(tmp_path / "state" / "state.sqlite3"),
            "NEWSCRAWL_SPOOL": str(tmp_path / "state" / "spool.jsonl"),
            "NEWSCRAWL_OUTPUT_DIR": str(tmp_path / "output")}


def cronrun(base: str, env: dict, *args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    return run_scrapy("cronrun", "heute", "-a", f"base_url={base}", *args, env=env, timeout=timeout)


def start_cronrun(base: str, env: dict, log: Path, *args: str, delay: float = 0.5) -> subprocess.Popen:
    """A cronrun in the background, slowed down; its stderr (the Scrapy log) goes to ``log``."""
    full_env = {k: v for k, v in os.environ.items() if k not in ("MONGO_URI", "NEWSCRAWL_STATE", "NEWSCRAWL_SPOOL")}
    full_env.update(env)
    cmd = [sys.executable, "-m", "scrapy", "cronrun", "heute", "-a", f"base_url={base}", *SLOW,
           "-s", f"DOWNLOAD_DELAY={delay}", *args]
    with open(log, "wb") as err, open(log.with_suffix(".out"), "wb") as out:
        return subprocess.Popen(cmd, cwd=PROJECT, env=full_env, stdout=out, stderr=err)


def wait_for(predicate, timeout: float, what: str, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert proc is None or proc.poll() is None, f"the run ended (exit {proc.returncode}) before {what}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def saved_states(env: dict) -> int:
    """Sitemap-state rows with a content hash committed so far (read beside the running crawl: WAL mode)."""
    try:
        conn = sqlite3.connect(f"file:{env['NEWSCRAWL_STATE']}?mode=ro", uri=True, timeout=5)  # never creates it
        try:
            return conn.execute("SELECT COUNT(*) FROM sitemap_state WHERE content_hash IS NOT NULL").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.OperationalError:  # the file or the table is not there yet
        return 0


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=30)


def summary_of(stdout: str) -> tuple[dict, Path]:
    lines = stdout.splitlines()
    assert len(lines) == 1, f"one summary line expected on stdout, got {lines!r}"
    path = Path(re.search(r" summary=(\S+)$", lines[0]).group(1))
    return json.loads(path.read_text(encoding="utf-8")), path


def store_rows(env: dict) -> list[tuple[str, int, int]]:
    """(key, revision, history length) of every stored article."""
    with sqlite3.connect(env["NEWSCRAWL_STATE"]) as conn:
        return [(k, r, len(json.loads(h))) for k, r, h in
                conn.execute("SELECT key, revision, history FROM articles ORDER BY key")]


def test_a_healthy_run_exits_0_and_writes_its_summary_next_to_the_jsonl(heute_mirror, tmp_path):
    env = place(tmp_path)
    result = cronrun(heute_mirror, env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.startswith("cronrun heute: OK exit=0 fetched=20 skipped=0 extracted=19 new=19 ")
    summary, path = summary_of(result.stdout)
    jsonl = Path(summary["jsonl"])
    assert jsonl.parent == tmp_path / "output" / "heute" == path.parent
    assert path.name == jsonl.name.removesuffix(".jsonl") + ".summary.json"  # output/heute/<timestamp>.summary.json
    items = read_jsonl(jsonl)
    assert sorted(it["article_id"] for it in items) == MIRROR_IDS
    assert summary["status"] == "ok" and summary["exit_code"] == 0 and summary["problems"] == []
    counts = summary["counts"]
    assert {k: counts[k] for k in ("requests", "sitemap_skipped", "fetched", "extracted", "new", "changed",
                                   "unchanged", "dropped", "written", "spooled", "errors")} == {
        "requests": 4 + SITEMAP_ARTICLES, "sitemap_skipped": 0, "fetched": SITEMAP_ARTICLES,
        "extracted": len(MIRROR_IDS), "new": len(MIRROR_IDS), "changed": 0, "unchanged": 0, "dropped": {},
        "written": len(MIRROR_IDS), "spooled": 0, "errors": 0}
    flags = [coverage_flags(it) for it in items]
    assert summary["coverage"] == {"items": len(items), **{
        name: round(sum(f[name] for f in flags) / len(items), 4) for name in flags[0]},
        "galleries": 1.0, "gallery_pages": 4}  # the four pages with a "1/N" counter, every slide extracted
    assert summary["coverage"]["headline"] == 1.0 and 0 < summary["coverage"]["authors_or_source"] < 1
    assert summary["finish_reason"] == "finished" and summary["duration_s"] > 0
    assert summary["stats"]["newscrawl/incremental/fetched"] == SITEMAP_ARTICLES

    again = cronrun(heute_mirror, env)  # right after: incremental, nothing to fetch, still healthy
    assert again.returncode == 0, again.stderr[-3000:]
    summary2, path2 = summary_of(again.stdout)
    assert path2 != path
    counts2 = summary2["counts"]
    assert (counts2["requests"], counts2["fetched"], counts2["sitemap_skipped"], counts2["extracted"]) == (
        4, 0, SITEMAP_ARTICLES, 0)
    assert summary2["coverage"]["items"] == 0 and summary2["exit_code"] == 0
    # nothing new: no empty JSONL file (store_empty False), and the line says so
    assert summary2["jsonl"] is None and summary2["outputs"] == []
    assert " output=none (0 new articles) summary=" in again.stdout


def test_a_second_run_while_the_first_holds_the_lock_exits_75_at_once(heute_mirror, tmp_path):
    env = place(tmp_path)
    lock = tmp_path / "state" / "heute.lock"
    first = start_cronrun(heute_mirror, env, tmp_path / "first.log", delay=0.8)
    try:
        wait_for(lambda: lock.exists() and lock.read_text().startswith(f"pid {first.pid}\n"), 60,
                 "the first run's lock", first)
        started = time.monotonic()
        second = cronrun(heute_mirror, env, timeout=60)
        took = time.monotonic() - started
        assert second.returncode == 75, second.stderr[-3000:]
        assert f"cronrun heute: another run is active (pid {first.pid}, started " in second.stderr
        assert f"lock file {lock}" in second.stderr and second.stdout == ""
        assert "Spider opened" not in second.stderr  # it never crawled
        assert first.poll() is None, "the first run should still be crawling"
        assert took < 30
        assert first.wait(timeout=180) == 0, (tmp_path / "first.log").read_text()[-3000:]
    finally:
        stop(first)
    assert lock.read_text() == ""  # released when the first run ended
    assert (tmp_path / "first.out").read_text().startswith("cronrun heute: OK exit=0 fetched=20 ")


def test_a_stale_lock_from_a_killed_run_is_taken_over(heute_mirror, tmp_path):
    env = place(tmp_path)
    lock = tmp_path / "state" / "heute.lock"
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from newscrawl.cron import RunLock; RunLock(sys.argv[1]).acquire(); "
        "print('locked', flush=True); time.sleep(300)"), str(lock)], cwd=PROJECT, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        blocked = cronrun(heute_mirror, env, timeout=60)
        assert blocked.returncode == 75 and f"pid {holder.pid}" in blocked.stderr
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
    assert lock.read_text().startswith(f"pid {holder.pid}\n")  # the killed run's PID is still in the file
    result = cronrun(heute_mirror, env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"Took over the stale lock {lock}: the run that held it (pid {holder.pid}, started " in result.stderr
    assert result.stdout.startswith("cronrun heute: OK exit=0 ")


@pytest.mark.parametrize("buffering", ["writes_held_back", "default"])
def test_a_run_killed_mid_crawl_is_completed_by_the_next_run(buffering, heute_mirror, tmp_path):
    """SIGKILL after some items were scraped; the next run stores every article exactly once.

    ``writes_held_back`` is the hard case: the store holds its writes (huge buffer and flush interval) while
    incremental crawling saves each fetch's state at once, so the kill leaves state rows for articles the
    store never got. ``default`` kills a run with the shipped settings."""
    env = place(tmp_path)
    extra = (["-s", "MONGO_BUFFER_SIZE=1000", "-s", "MONGO_FLUSH_INTERVAL=3600", "-s", "NEWSCRAWL_INCREMENTAL_BATCH=1"]
             if buffering == "writes_held_back" else [])
    log = tmp_path / "killed.log"
    first = start_cronrun(heute_mirror, env, log, "-s", "LOG_LEVEL=DEBUG", *extra)
    try:
        wait_for(lambda: log.read_text(errors="replace").count("Scraped from <200") >= 5, 120,
                 "five scraped items", first)
        if buffering == "writes_held_back":
            # the state row of an item is saved just after its "Scraped from" line, on the store's thread
            wait_for(lambda: saved_states(env) >= 5, 60, "five saved sitemap states", first)
        first.send_signal(signal.SIGKILL)
        assert first.wait(timeout=30) == -signal.SIGKILL
    finally:
        stop(first)
    scraped = log.read_text(errors="replace").count("Scraped from <200")
    assert 5 <= scraped < len(MIRROR_IDS), "killed mid-crawl"
    stored_before = len(store_rows(env))
    if buffering == "writes_held_back":
        assert stored_before == 0
        assert saved_states(env) >= 5

    result = cronrun(heute_mirror, env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Took over the stale lock" in result.stderr
    summary, _ = summary_of(result.stdout)
    assert summary["counts"]["new"] == len(MIRROR_IDS) - stored_before
    if buffering == "writes_held_back":
        assert summary["stats"]["newscrawl/incremental/fetched/not_stored"] >= 5
    rows = store_rows(env)
    assert [k for k, _, _ in rows] == sorted(f"heute:{i}" for i in MIRROR_IDS)  # each article once
    assert {(r, h) for _, r, h in rows} == {(1, 1)}  # none written twice

    settled = cronrun(heute_mirror, env)
    assert settled.returncode == 0, settled.stderr[-3000:]
    assert summary_of(settled.stdout)[0]["counts"]["fetched"] == 0


def test_coverage_below_a_floor_exits_7(heute_mirror, tmp_path):
    env = place(tmp_path)
    result = cronrun(heute_mirror, env, "-s", "NEWSCRAWL_COVERAGE_FLOORS=headline=0.99,authors_or_source=1.0")
    assert result.returncode == 7, result.stderr[-3000:]
    assert result.stdout.startswith("cronrun heute: FAILED (field coverage below its floor over 19 items: "
                                    "authors_or_source 0.79 < 1.00) exit=7 ")
    summary, _ = summary_of(result.stdout)
    assert [(p["exit_code"], p["check"]) for p in summary["problems"]] == [(7, "coverage")]
    assert summary["counts"]["written"] == len(MIRROR_IDS)  # the run itself went through
    assert "Run check failed (exit code 7)" in result.stderr


def test_no_article_fetchable_exits_4(tmp_path):
    env = place(tmp_path)
    closed = f"http://127.0.0.1:{free_port()}"
    result = cronrun(closed, env, "-s", "RETRY_TIMES=0", timeout=120)
    assert result.returncode == 4, result.stderr[-3000:]
    summary, _ = summary_of(result.stdout)
    assert summary["problems"][0]["check"] == "nothing_fetched"
    assert "no sitemap or section page could be fetched" in summary["problems"][0]["message"]
    assert summary["counts"]["fetched"] == 0 and summary["counts"]["extracted"] == 0


def cut_short(h, hit) -> None:
    """A response that announces 1,000 bytes and sends 10 before the connection closes: a download error."""
    h.send_response(200)
    h.send_header("Content-Type", "text/html; charset=utf-8")
    h.send_header("Content-Length", "1000")
    h.end_headers()
    h.write(hit, b"<html><bo")


def test_errors_above_the_threshold_exit_6(tmp_path):
    """One sitemap entry's response is cut short (a download error, logged at ERROR): every other article is
    fine. (An entry on a closed port of another origin would be dropped as offsite_origin, with no error.)"""
    from tests.hostile.server import HostileServer

    mirror = tmp_path / "mirror"
    shutil.copytree(HEUTE_MIRROR, mirror)
    sitemap = mirror / "sitemap" / "sitemap_2.xml"
    broken = "/s/kaputt-123456789"
    sitemap.write_text(sitemap.read_text(encoding="utf-8").replace(
        "</urlset>", f"<url><loc>https://www.heute.at{broken}</loc><lastmod>2025-01-01T00:00:00+01:00</lastmod>"
                     "</url></urlset>"), encoding="utf-8")
    env = place(tmp_path)
    with HostileServer({broken: cut_short}, mirror=mirror) as site:
        result = cronrun(site.base, env, "-s", "RETRY_TIMES=0")
        assert result.returncode == 6, result.stderr[-3000:]
        summary, _ = summary_of(result.stdout)
        assert [p["check"] for p in summary["problems"]] == ["errors"]
        assert summary["counts"]["errors"] >= 1 and summary["counts"]["new"] == len(MIRROR_IDS)

        tolerant = cronrun(site.base, env, "-s", "RETRY_TIMES=0", "-s", "NEWSCRAWL_MAX_ERRORS=20")
        assert [hit.path for hit in site.hits(broken)] == [broken, broken]  # the broken one is tried again
    assert tolerant.returncode == 0, tolerant.stderr[-3000:]
    counts = summary_of(tolerant.stdout)[0]["counts"]
    assert counts["fetched"] == 0 and counts["sitemap_skipped"] == SITEMAP_ARTICLES
    assert counts["errors"] >= 1


def test_an_unreachable_store_exits_3(heute_mirror, tmp_path):
    env = {**place(tmp_path), "MONGO_URI": f"mongodb://127.0.0.1:{free_port()}", "MONGO_CONNECT_TIMEOUT_MS": "300",
           "MONGO_RETRIES": "0"}
    result = cronrun(heute_mirror, env)
    assert result.returncode == 3, result.stderr[-3000:]
    summary, _ = summary_of(result.stdout)
    assert summary["problems"][0]["check"] == "store"
    assert "unavailable=MongoDB unreachable at mongodb://127.0.0.1" in summary["problems"][0]["message"]
    assert summary["counts"]["spooled"] == len(MIRROR_IDS)
    assert summary["counts"]["fetched"] == SITEMAP_ARTICLES  # without the store's state every entry is fetched

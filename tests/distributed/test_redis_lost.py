"""Redis lost mid-run (issue 11, D15): a real redis-server of the test's own is SIGKILLed, SIGSTOPped or restarted
while `scrapy cronrun` / `scrapy crawl` workers crawl a generated loopback mirror.

Losing Redis for longer than NEWSCRAWL_REDIS_LOST_TIMEOUT ends the run in bounded time, with one ERROR line
(masked URL), no traceback, its own exit code and the cron lock released; what Redis kept (a restart from its
append-only file, or a hung server that comes back) lets the next run finish the queue. A shorter outage is
ridden out without losing a request.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest

from newscrawl.mirror import serve
from newscrawl.testing.generate_mirror import generate
from tests.conftest import PROJECT
from tests.redis_server import RedisServer

PAGES = 60
LOST_TIMEOUT = 3  # NEWSCRAWL_REDIS_LOST_TIMEOUT of the runs here
HANG_GUARD = 90  # far above LOST_TIMEOUT plus start-up: only catches a run that never ends
PASSWORD = "pa/ss@wo:rd%41"  # '/', '@', ':' and '%' in a Redis password must never show in any output
EXIT_QUEUE_LOST = 8


@pytest.fixture
def dedicated_redis(tmp_path):
    """Not started yet: each test starts it (and may kill and start it again on the same folder)."""
    server = RedisServer(tmp_path / "redis", PASSWORD, append_only=True)
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture(scope="module")
def small_mirror(tmp_path_factory):
    root = tmp_path_factory.mktemp("mirror")
    ids = generate(root, pages=PAGES, per_sitemap=20)
    with serve(root) as base_url:
        yield base_url, ids


def start(command: str, base_url: str, redis_url: str, state: Path, log: Path, **extra_env) -> subprocess.Popen:
    """`scrapy <command> heute` as a worker: its own embedded store ``state``, items written one by one (so an
    acknowledged request is a stored article), a slow enough crawl to stop Redis in the middle of it."""
    env = {k: v for k, v in os.environ.items() if k not in ("MONGO_URI", "NEWSCRAWL_STATE", "NEWSCRAWL_SPOOL")}
    env.update(REDIS_URL=redis_url, NEWSCRAWL_STATE=str(state), NEWSCRAWL_SPOOL=str(state.with_name("spool.jsonl")),
               NEWSCRAWL_OUTPUT_DIR=str(state.parent / "output"), MONGO_BUFFER_SIZE="1",
               NEWSCRAWL_REDIS_WORKER_TTL="2", NEWSCRAWL_REDIS_LOST_TIMEOUT=str(LOST_TIMEOUT))
    env.update(extra_env)
    cmd = [sys.executable, "-m", "scrapy", command, "heute", "-a", f"base_url={base_url}",
           "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "DOWNLOAD_DELAY=0.05", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2",
           "-s", "LOG_LEVEL=INFO", "-s", "TELNETCONSOLE_ENABLED=0"]
    with open(log, "ab") as out:
        return subprocess.Popen(cmd, cwd=PROJECT, env=env, stdout=out, stderr=subprocess.STDOUT)


def finish(proc: subprocess.Popen, timeout: float = HANG_GUARD) -> int:
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
        pytest.fail(f"the run did not end within {timeout} s")


def wait_mid_crawl(proc: subprocess.Popen, client, log: Path) -> None:
    """Until every request is queued and some articles are taken, with most still waiting in the queue."""
    deadline = time.monotonic() + 60
    while not (client.scard("heute:dupefilter") >= PAGES + 4 and client.zcard("heute:requests") <= PAGES - 8):
        assert proc.poll() is None and time.monotonic() < deadline, log.read_text(errors="replace")[-3000:]
        time.sleep(0.02)
    assert client.zcard("heute:requests") > 10, "the crawl went too fast to be stopped in the middle"


def stored_ids(state: Path) -> set[str]:
    with sqlite3.connect(state) as conn:
        keys = [row[0] for row in conn.execute("SELECT key FROM articles")]
    return {key.rsplit(":", 1)[-1] for key in keys}


def queue_left(client) -> int:
    """Requests Redis still holds for the next run: queued ones plus the in-flight ones of stopped workers."""
    inflight = [k for k in client.scan_iter(match="heute:requests:inflight:*")]
    return client.zcard("heute:requests") + sum(client.hlen(k) for k in inflight)


def redis_errors(text: str) -> list[str]:
    """The ERROR lines about Redis, other than the commands' restatement of their failed checks (cronrun's
    "Run check failed", crawl's "Exit code 8: ...")."""
    return [line for line in text.splitlines() if re.match(r"\S+ \S+ \[[\w.]+\] ERROR: ", line)
            and "redis" in line.lower() and "[newscrawl.commands." not in line]


def test_redis_killed_mid_cronrun_ends_the_run_in_bounded_time_and_the_next_run_finishes_the_queue(
        tmp_path, small_mirror, dedicated_redis):
    base_url, ids = small_mirror
    redis = dedicated_redis.start()
    state = tmp_path / "state" / "state.sqlite3"
    state.parent.mkdir()
    log = tmp_path / "first.log"
    proc = start("cronrun", base_url, redis.url, state, log)
    wait_mid_crawl(proc, redis.client(), log)

    redis.kill()
    killed = time.monotonic()
    code = finish(proc)
    took = time.monotonic() - killed
    text = log.read_text(errors="replace")
    print(f"run ended {took:.1f} s after Redis was SIGKILLed, exit code {code}")
    assert code == EXIT_QUEUE_LOST, text[-4000:]
    assert took < 60, text[-4000:]  # hang guard only; the run gives up LOST_TIMEOUT s after the first failure
    assert "Traceback" not in text and "tick failed" not in text, text[-4000:]
    errors = redis_errors(text)
    assert len(errors) == 1, errors
    assert f"redis://***:***@127.0.0.1:{redis.port}/0" in errors[0] and "lost" in errors[0].lower(), errors
    summaries = list((state.parent / "output").rglob("*.summary.json"))
    assert len(summaries) == 1
    summary = json.loads(summaries[0].read_text())
    assert summary["exit_code"] == EXIT_QUEUE_LOST and summary["finish_reason"] == "redis_lost"
    assert summary["stats"]["newscrawl/redis/lost"] == 1
    assert [p["exit_code"] for p in summary["problems"]][0] == EXIT_QUEUE_LOST
    for output in (text, summaries[0].read_text()):  # the password, raw or percent-encoded, never shows
        assert PASSWORD not in output and quote(PASSWORD, safe="") not in output and "wo:rd" not in output
    stored_first = stored_ids(state)
    assert 0 < len(stored_first) < PAGES

    redis.start()  # Redis restarted on the same folder: its append-only file kept the queue
    assert queue_left(redis.client()) >= PAGES - len(stored_first)
    second_log = tmp_path / "second.log"
    code = finish(start("cronrun", base_url, redis.url, state, second_log))
    second = second_log.read_text(errors="replace")
    assert code == 0, second[-4000:]  # the lock was released, and the run finished the queue cleanly
    assert "Took over the stale lock" not in second
    assert stored_ids(state) == set(ids)  # nothing lost: the queue and the in-flight requests were kept
    assert queue_left(redis.client()) == 0


def test_redis_hung_mid_crawl_ends_scrapy_crawl_with_an_error_exit_code(tmp_path, small_mirror, dedicated_redis):
    """SIGSTOP: connections are accepted but never answered, so every call must be cut by the socket timeout."""
    base_url, ids = small_mirror
    redis = dedicated_redis.start()
    state = tmp_path / "state" / "state.sqlite3"
    state.parent.mkdir()
    log = tmp_path / "crawl.log"
    proc = start("crawl", base_url, redis.url, state, log, NEWSCRAWL_REDIS_SOCKET_TIMEOUT="1")
    wait_mid_crawl(proc, redis.client(), log)

    redis.proc.send_signal(signal.SIGSTOP)
    stopped = time.monotonic()
    try:
        code = finish(proc)
    finally:
        redis.proc.send_signal(signal.SIGCONT)
    took = time.monotonic() - stopped
    text = log.read_text(errors="replace")
    print(f"run ended {took:.1f} s after Redis was SIGSTOPped, exit code {code}")
    assert code == EXIT_QUEUE_LOST, text[-4000:]
    assert took < 60, text[-4000:]
    assert "Traceback" not in text, text[-4000:]
    assert len(redis_errors(text)) == 1, redis_errors(text)
    assert "'finish_reason': 'redis_lost'" in text
    stored_first = stored_ids(state)
    assert queue_left(redis.client()) >= PAGES - len(stored_first) > 0  # left in Redis for the next run

    again = tmp_path / "again.log"
    assert finish(start("crawl", base_url, redis.url, state, again)) == 0, again.read_text()[-4000:]
    assert stored_ids(state) == set(ids) and queue_left(redis.client()) == 0


def test_redis_restarted_within_the_lost_timeout_is_ridden_out(tmp_path, small_mirror, dedicated_redis):
    base_url, ids = small_mirror
    redis = dedicated_redis.start()
    state = tmp_path / "state" / "state.sqlite3"
    state.parent.mkdir()
    log = tmp_path / "crawl.log"
    proc = start("crawl", base_url, redis.url, state, log, NEWSCRAWL_REDIS_LOST_TIMEOUT="20")
    wait_mid_crawl(proc, redis.client(), log)

    redis.kill()
    time.sleep(1)
    redis.start()  # same port and append-only file: a supervisor restarting a crashed Redis
    code = finish(proc)
    text = log.read_text(errors="replace")
    assert code == 0, text[-4000:]
    assert "Traceback" not in text and not redis_errors(text), text[-4000:]
    assert len(re.findall(r"WARNING.*Redis .* unreachable", text)) == 1, text[-4000:]  # one line per outage
    assert "'finish_reason': 'finished'" in text
    assert stored_ids(state) == set(ids) and queue_left(redis.client()) == 0

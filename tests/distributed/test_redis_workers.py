"""Distributed crawling: N `scrapy crawl heute` workers sharing one Redis (scrapy-redis) and one MongoDB-wire store
over a generated mirror of 300 article pages."""

from __future__ import annotations

import ast
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from newscrawl.mirror import serve
from newscrawl.testing.generate_mirror import generate
from tests.conftest import PROJECT
from tests.redis_server import RedisServer

PAGES = 300
REDIS_TIMEOUT = 20


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """A redis-server of the session's own on a free loopback port, no persistence; its URL without a db."""
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    try:
        yield server.base
    finally:
        server.kill()


@pytest.fixture(scope="module")
def generated_mirror(tmp_path_factory):
    root = tmp_path_factory.mktemp("mirror")
    ids = generate(root, pages=PAGES, per_sitemap=100)
    with serve(root) as base_url:
        yield base_url, ids


@pytest.fixture
def redis_db(redis_server):
    """A clean database of the session's Redis for one test."""
    import redis

    client = redis.Redis.from_url(f"{redis_server}/0")
    client.flushdb()
    yield f"{redis_server}/0", client
    client.flushdb()


def start_worker(base_url: str, redis_url: str, mongo: tuple[str, str], log: Path, **extra_env) -> subprocess.Popen:
    uri, db = mongo
    env = {k: v for k, v in os.environ.items() if k not in ("NEWSCRAWL_STATE", "NEWSCRAWL_SPOOL")}
    env.update(REDIS_URL=redis_url, MONGO_URI=uri, MONGO_DATABASE=db, MONGO_BUFFER_SIZE="1",
               NEWSCRAWL_OUTPUT_DIR=tempfile.mkdtemp(prefix="newscrawl-output-"),
               NEWSCRAWL_SPOOL=str(Path(tempfile.mkdtemp(prefix="newscrawl-spool-")) / "spool.jsonl"),
               NEWSCRAWL_REDIS_WORKER_TTL="3", **extra_env)
    cmd = [sys.executable, "-m", "scrapy", "crawl", "heute", "-a", f"base_url={base_url}",
           "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "DOWNLOAD_DELAY=0", "-s", "LOG_LEVEL=INFO",
           "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=4", "-s", "TELNETCONSOLE_ENABLED=0"]
    with open(log, "wb") as out:
        return subprocess.Popen(cmd, cwd=PROJECT, env=env, stdout=out, stderr=subprocess.STDOUT)


def wait(proc: subprocess.Popen, timeout: float = 240) -> int:
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
        raise


def stats(log: Path) -> dict:
    text = log.read_text(encoding="utf-8", errors="replace")
    m = re.search(r"Dumping Scrapy stats:\n(\{.*?\})\n", text, re.S)
    assert m, text[-3000:]
    body = re.sub(r"datetime\.datetime\([^)]*\)", "None", m.group(1))
    return ast.literal_eval(body)


def stored_ids(mongo: tuple[str, str]) -> list[str]:
    from pymongo import MongoClient

    uri, db = mongo
    with MongoClient(uri, serverSelectionTimeoutMS=5000) as client:
        return [doc.get("article_id") for doc in client[db]["articles"].find({}, {"article_id": 1})]


def test_workers_started_together_split_the_crawl_without_duplicates(tmp_path, generated_mirror, redis_db, mongo_db):
    base_url, ids = generated_mirror
    redis_url, client = redis_db
    logs = [tmp_path / f"worker{i}.log" for i in range(3)]
    workers = [start_worker(base_url, redis_url, mongo_db, log) for log in logs]
    codes = [wait(w) for w in workers]
    assert codes == [0, 0, 0], [log.read_text()[-3000:] for log in logs]
    per_worker = [stats(log) for log in logs]
    articles = [s.get("newscrawl/articles_extracted", 0) for s in per_worker]
    sitemaps = [s.get("newscrawl/sitemap/fetched", 0) for s in per_worker]
    print(f"article fetches per worker: {articles}, sitemaps per worker: {sitemaps}")
    assert sum(articles) == PAGES  # no article request fetched twice, none lost
    assert sum(sitemaps) == 4  # the index and its 3 children, each fetched by one worker only
    assert sum(s.get("scheduler/dequeued/redis", 0) for s in per_worker) == PAGES + 4
    assert all(n > 0 for n in articles), articles  # the work was split
    assert all(s["finish_reason"] == "finished" for s in per_worker)
    stored = stored_ids(mongo_db)
    assert len(stored) == PAGES and sorted(stored) == sorted(ids)
    assert client.zcard("heute:requests") == 0
    assert not list(client.scan_iter(match="heute:requests:inflight:*"))
    assert client.scard("heute:dupefilter") == PAGES + 4  # persisted for the next run (SCHEDULER_PERSIST)


def test_worker_killed_mid_crawl_and_restarted_loses_nothing(tmp_path, generated_mirror, redis_db, mongo_db):
    base_url, ids = generated_mirror
    redis_url, client = redis_db
    victim = start_worker(base_url, redis_url, mongo_db, tmp_path / "victim.log")
    survivor = start_worker(base_url, redis_url, mongo_db, tmp_path / "survivor.log")
    deadline = time.monotonic() + 120
    while len(stored_ids(mongo_db)) < PAGES // 4:  # kill it mid-crawl, with requests in flight
        assert time.monotonic() < deadline and victim.poll() is None, (tmp_path / "victim.log").read_text()[-3000:]
        time.sleep(0.05)
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=10)
    restarted = start_worker(base_url, redis_url, mongo_db, tmp_path / "restarted.log")
    assert wait(survivor) == 0 and wait(restarted) == 0, (tmp_path / "survivor.log").read_text()[-3000:]
    after = [stats(tmp_path / "survivor.log"), stats(tmp_path / "restarted.log")]
    print("article fetches after the kill (survivor, restarted):",
          [s.get("newscrawl/articles_extracted", 0) for s in after])
    stored = stored_ids(mongo_db)
    assert len(stored) == PAGES and sorted(stored) == sorted(ids)  # nothing lost, each stored once
    assert client.zcard("heute:requests") == 0
    assert not list(client.scan_iter(match="heute:requests:inflight:*"))


def test_without_redis_url_the_settings_are_scrapys_own():
    """The add-on switches to scrapy-redis only with REDIS_URL (tests/test_settings.py: from -s and the environment)."""
    from scrapy.settings import Settings

    from newscrawl.addon import resolve

    plain = Settings()
    plain.setmodule("newscrawl.settings", priority="project")
    plain.set("REDIS_URL", "", priority="cmdline")
    resolve(plain)
    assert plain["SCHEDULER"] == "scrapy.core.scheduler.Scheduler" and plain.get("SCHEDULER_PERSIST") is None
    plain.set("REDIS_URL", "redis://127.0.0.1:1/0", priority="cmdline")
    resolve(plain)
    assert plain["DUPEFILTER_CLASS"] == "scrapy_redis.dupefilter.RFPDupeFilter" and plain["SCHEDULER_PERSIST"]

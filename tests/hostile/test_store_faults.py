"""Store and queue faults that hold (issue 11's held cases), staged with real processes:

* SecantusDB SIGKILLed mid-crawl: what it acknowledged survives the kill, the rest waits in the spool, and after
  a restart on the same data `scrapy replay` completes the store: every article exactly once.
* A Redis that requires a password: the crawl authenticates with the password from ``REDIS_URL`` and the
  password appears in no output.

(Concurrent and SIGKILLed `scrapy cronrun` runs are covered in tests/commands/test_cronrun.py.)
"""

from __future__ import annotations

import re
import signal
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

import pytest
from pymongo import MongoClient

from newscrawl.mirror import ARTICLE_PATH
from tests.conftest import HEUTE_MIRROR, read_jsonl, run_scrapy
from tests.hostile import crawl_stats
from tests.hostile.server import HostileServer
from tests.redis_server import RedisServer

MIRROR_IDS = sorted(p.name.split(".")[0] for p in (HEUTE_MIRROR / "s").glob("*.expected.json"))
N = len(MIRROR_IDS)


def stored(uri: str, db: str) -> list[dict]:
    with MongoClient(uri, serverSelectionTimeoutMS=5000) as client:
        return list(client[db]["articles"].find({}, {"_id": 0, "key": 1, "revision": 1, "history": 1}))


def crawl_killing_the_store(dedicated_mongo, tmp_path, first: int, hold_rest: bool, quiet_s: float):
    """A real `scrapy crawl heute` into SecantusDB (each item written at once: buffer 1) whose server is
    SIGKILLed once ``first`` articles are in it: after ``quiet_s`` seconds without writes while the site holds
    every other article (``hold_rest``), or the moment the count is reached while the crawl writes on. The
    crawl is then let run to its end without a store. Returns the crawl's result, stats and spooled ids."""
    uri = dedicated_mongo.start()
    env = {"MONGO_URI": uri, "MONGO_DATABASE": "sigkill", "NEWSCRAWL_SPOOL": str(tmp_path / "spool.jsonl"),
           "MONGO_BUFFER_SIZE": "1", "MONGO_FLUSH_INTERVAL": "600", "MONGO_CONNECT_TIMEOUT_MS": "500",
           "MONGO_RETRIES": "1"}
    served: set[str] = set()
    lock = threading.Lock()

    def held(path: str) -> bool:
        m = ARTICLE_PATH.match(path)
        if not hold_rest or not m or m.group(1) not in MIRROR_IDS:
            return False
        with lock:
            if m.group(1) not in served and len(served) < first:
                served.add(m.group(1))
            return m.group(1) not in served

    with HostileServer(mirror=HEUTE_MIRROR) as site, ThreadPoolExecutor(1) as pool, \
            MongoClient(uri, serverSelectionTimeoutMS=2000) as client:
        site.hold(held)
        crawl = pool.submit(run_scrapy, "crawl", "heute", "-a", f"base_url={site.base}",
                            "-O", str(tmp_path / "crawl.jsonl"), env=env, timeout=240)
        try:
            deadline = time.monotonic() + 90
            while client["sigkill"]["articles"].count_documents({}) < first:  # a tight loop: ms after the write
                assert not crawl.done(), crawl.result().stderr[-3000:]
                assert time.monotonic() < deadline, "the first articles never reached the store"
            time.sleep(quiet_s)
            dedicated_mongo.proc.send_signal(signal.SIGKILL)  # no shutdown, no flush: as a crash or the OOM killer
            assert dedicated_mongo.proc.wait(timeout=30) == -signal.SIGKILL
            dedicated_mongo.proc = None
        finally:
            site.release()
        result = crawl.result(timeout=300)
    stats = crawl_stats(result.stderr)
    assert result.returncode == 1, result.stderr[-3000:]  # the store did not take everything: said so
    assert sorted(it["article_id"] for it in read_jsonl(tmp_path / "crawl.jsonl")) == MIRROR_IDS  # JSONL: all
    spooled = [entry["item"]["article_id"] for entry in read_jsonl(tmp_path / "spool.jsonl")]
    assert len(spooled) == len(set(spooled)) == stats["newscrawl/store/spooled"]
    assert stats["newscrawl/store/written"] + len(spooled) == N  # each article written or spooled
    return env, stats, spooled


def restart_and_replay(dedicated_mongo, env: dict, spooled: list[str]) -> list[dict]:
    if not dedicated_mongo.running:
        dedicated_mongo.start()  # the same data folder
    replay = run_scrapy("replay", env=env, timeout=120)
    assert replay.returncode == 0, replay.stderr[-3000:]
    # A write the server made but whose acknowledgement the kill cut off is spooled too: replayed, it is
    # unchanged (stored once), not written twice.
    m = re.search(rf"replayed={len(spooled)} written=(\d+) unchanged=(\d+) .*remaining=0", replay.stdout)
    assert m and int(m.group(1)) + int(m.group(2)) == len(spooled), replay.stdout
    assert not Path(env["NEWSCRAWL_SPOOL"]).exists()
    return stored(env["MONGO_URI"], env["MONGO_DATABASE"])


def test_secantusdb_sigkilled_mid_crawl_loses_nothing_and_replay_completes_it(dedicated_mongo, tmp_path):
    """The site serves 6 articles and holds the rest; a second after the 6 are in the store (the crawl waits
    on the network) SecantusDB is SIGKILLed, then the rest is released and goes to the spool."""
    first = 6
    env, stats, spooled = crawl_killing_the_store(dedicated_mongo, tmp_path, first, hold_rest=True, quiet_s=1.0)
    assert (stats["newscrawl/store/written"], len(spooled)) == (first, N - first)
    dedicated_mongo.start()  # the same data folder
    survived = {doc["key"] for doc in stored(env["MONGO_URI"], env["MONGO_DATABASE"])}
    assert len(survived) == first and not survived & {f"heute:{i}" for i in spooled}  # the kill lost nothing
    docs = restart_and_replay(dedicated_mongo, env, spooled)
    assert sorted(doc["key"] for doc in docs) == sorted(f"heute:{i}" for i in MIRROR_IDS)  # each once
    assert {doc["revision"] for doc in docs} == {1} and {len(doc["history"]) for doc in docs} == {1}


def test_secantusdb_sigkilled_right_after_a_write_loses_no_acknowledged_item(dedicated_mongo, tmp_path):
    """SecantusDB is SIGKILLed the moment the 6th article is visible in it, while the crawl writes on. Found
    while writing the held-case tests: with the default write concern (no journal) the server acknowledged
    writes its log had not yet reached, and a kill in that window lost items counted as written."""
    env, stats, spooled = crawl_killing_the_store(dedicated_mongo, tmp_path, 6, hold_rest=False, quiet_s=0)
    docs = restart_and_replay(dedicated_mongo, env, spooled)
    missing = sorted(set(MIRROR_IDS) - {doc["key"].split(":", 1)[1] for doc in docs})
    assert missing == [], f"written={stats['newscrawl/store/written']}, lost after the restart: {missing}"


@pytest.fixture
def redis_with_password(tmp_path):
    password = f"pw/{uuid.uuid4().hex}@:%"  # characters a URL must escape
    server = RedisServer(tmp_path / "redis", password).start()
    try:
        yield server.port, password
    finally:
        server.kill()


def test_a_redis_password_authenticates_and_is_never_printed(redis_with_password, heute_mirror, mongo_db, tmp_path):
    import redis

    port, password = redis_with_password
    uri, db = mongo_db
    url = f"redis://:{quote(password, safe='')}@127.0.0.1:{port}/0"
    with pytest.raises(redis.exceptions.AuthenticationError):  # the server really demands it
        redis.Redis(host="127.0.0.1", port=port, socket_timeout=2).set("x", 1)
    out = tmp_path / "items.jsonl"
    result = run_scrapy("crawl", "heute", "-a", f"base_url={heute_mirror}", "-O", str(out),
                        env={"REDIS_URL": url, "MONGO_URI": uri, "MONGO_DATABASE": db, "MONGO_BUFFER_SIZE": "1",
                             "NEWSCRAWL_REDIS_WORKER_TTL": "3", "NEWSCRAWL_OUTPUT_DIR": str(tmp_path / "output")},
                        timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    assert sorted(item["article_id"] for item in read_jsonl(out)) == MIRROR_IDS
    with MongoClient(uri, serverSelectionTimeoutMS=5000) as client:
        assert client[db]["articles"].count_documents({}) == N
    client = redis.Redis(host="127.0.0.1", port=port, password=password, socket_timeout=2)
    assert client.scard("heute:dupefilter") >= N  # the queue and fingerprints really lived in this Redis
    secret = password.split("/")[1].split("@")[0]  # the random part: no piece of the password may show
    outputs = [result.stdout, result.stderr, out.read_text(encoding="utf-8"),
               *(p.read_text(encoding="utf-8", errors="replace") for p in (tmp_path / "output").rglob("*") if p.is_file())]
    for text in outputs:
        assert secret not in text and quote(password, safe="") not in text

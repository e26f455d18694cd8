"""Store and queue faults that hold (issue 11's held cases), staged with real processes:

* SecantusDB SIGKILLed mid-crawl: what it acknowledged survives the kill, the rest waits in the spool, and after
  a restart on the same data `scrapy replay` completes the store: every article exactly once.
* A Redis that requires a password: the crawl authenticates with the password from ``REDIS_URL`` and the
  password appears in no output.

(Concurrent and SIGKILLed `scrapy cronrun` runs are covered in tests/commands/test_cronrun.py.)
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import pytest
from pymongo import MongoClient

from newscrawl.mirror import ARTICLE_PATH
from newscrawl.testing import free_port
from tests.conftest import HEUTE_MIRROR, read_jsonl, run_scrapy
from tests.hostile import crawl_stats
from tests.hostile.server import HostileServer

MIRROR_IDS = sorted(p.name.split(".")[0] for p in (HEUTE_MIRROR / "s").glob("*.expected.json"))
N = len(MIRROR_IDS)


def stored(uri: str, db: str) -> list[dict]:
    with MongoClient(uri, serverSelectionTimeoutMS=5000) as client:
        return list(client[db]["articles"].find({}, {"_id": 0, "key": 1, "revision": 1, "history": 1}))


def count_stored(uri: str, db: str) -> int:
    with MongoClient(uri, serverSelectionTimeoutMS=2000) as client:
        return client[db]["articles"].count_documents({})


def test_secantusdb_sigkilled_mid_crawl_loses_nothing_and_replay_completes_it(dedicated_mongo, tmp_path):
    """Each item is written at once (buffer 1). The site serves the first 6 articles and holds the rest; once
    the 6 are in the store, SecantusDB is SIGKILLed and the rest released: they go to the spool."""
    uri = dedicated_mongo.start()
    db, first = "sigkill", 6
    spool = tmp_path / "spool.jsonl"
    out = tmp_path / "crawl.jsonl"
    env = {"MONGO_URI": uri, "MONGO_DATABASE": db, "NEWSCRAWL_SPOOL": str(spool), "MONGO_BUFFER_SIZE": "1",
           "MONGO_FLUSH_INTERVAL": "600", "MONGO_CONNECT_TIMEOUT_MS": "500", "MONGO_RETRIES": "1"}
    served: set[str] = set()
    lock = threading.Lock()

    def held(path: str) -> bool:
        m = ARTICLE_PATH.match(path)
        if not m or m.group(1) not in MIRROR_IDS:
            return False
        with lock:
            if m.group(1) not in served and len(served) < first:
                served.add(m.group(1))
            return m.group(1) not in served

    with HostileServer(mirror=HEUTE_MIRROR) as site, ThreadPoolExecutor(1) as pool:
        site.hold(held)
        crawl = pool.submit(run_scrapy, "crawl", "heute", "-a", f"base_url={site.base}", "-O", str(out),
                            env=env, timeout=240)
        try:
            deadline = time.monotonic() + 90
            while count_stored(uri, db) < first:
                assert not crawl.done(), crawl.result().stderr[-3000:]
                assert time.monotonic() < deadline, "the first articles never reached the store"
                time.sleep(0.1)
            dedicated_mongo.proc.send_signal(signal.SIGKILL)  # no shutdown, no flush: as a crash or the OOM killer
            assert dedicated_mongo.proc.wait(timeout=30) == -signal.SIGKILL
            dedicated_mongo.proc = None
        finally:
            site.release()
        result = crawl.result(timeout=300)

    stats = crawl_stats(result.stderr)
    assert result.returncode == 1, result.stderr[-3000:]  # the store did not take everything: said so
    assert sorted(item["article_id"] for item in read_jsonl(out)) == MIRROR_IDS  # the JSONL has every article
    assert (stats["newscrawl/store/written"], stats["newscrawl/store/spooled"]) == (first, N - first)
    spooled = [entry["item"]["article_id"] for entry in read_jsonl(spool)]
    assert len(spooled) == len(set(spooled)) == N - first

    dedicated_mongo.start()  # the same data folder
    survived = {doc["key"] for doc in stored(uri, db)}
    assert len(survived) == first  # every acknowledged write survived the SIGKILL
    assert not survived & {f"heute:{i}" for i in spooled}
    replay = run_scrapy("replay", env=env, timeout=120)
    assert replay.returncode == 0, replay.stderr[-3000:]
    assert re.search(rf"replayed={N - first} written={N - first} .*remaining=0", replay.stdout), replay.stdout
    docs = stored(uri, db)
    assert sorted(doc["key"] for doc in docs) == sorted(f"heute:{i}" for i in MIRROR_IDS)  # each once
    assert {doc["revision"] for doc in docs} == {1} and {len(doc["history"]) for doc in docs} == {1}
    assert not spool.exists()


@pytest.fixture
def redis_with_password(tmp_path):
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed: apt-get install redis-server (make redis-server)")
    import redis

    password = f"pw/{uuid.uuid4().hex}@:%"  # characters a URL must escape
    port = free_port()
    with open(tmp_path / "redis.log", "wb") as log:
        proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                                 "no", "--dir", str(tmp_path), "--requirepass", password],
                                stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                redis.Redis(host="127.0.0.1", port=port, password=password, socket_timeout=1).ping()
                break
            except redis.exceptions.ConnectionError:
                assert proc.poll() is None and time.monotonic() < deadline, (tmp_path / "redis.log").read_text()
                time.sleep(0.1)
        yield port, password
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


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

"""Faults lose nothing: real `scrapy crawl` / `scrapy replay` runs against the mirror and a SecantusDB process
of the test's own, stopped before or during the crawl. Exact counts throughout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from http.server import ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from pymongo import MongoClient

from newscrawl.mirror import ARTICLE_PATH, make_handler, serve
from newscrawl.store import Spool
from tests.conftest import HEUTE_MIRROR, PROJECT, read_jsonl, run_scrapy
from tests.pipelines.test_dedup_store import CHANGED_ID, MIRROR_IDS, change_one_paragraph, stat

N = len(MIRROR_IDS)
FAST_FAIL = {"MONGO_CONNECT_TIMEOUT_MS": "300", "MONGO_RETRIES": "0"}


def articles(uri: str, db: str) -> list[dict]:
    with MongoClient(uri, serverSelectionTimeoutMS=5000) as client:
        return list(client[db]["articles"].find({}, {"_id": 0, "key": 1, "revision": 1, "history": 1,
                                                    "content_hash": 1}))


def spool_items(path: Path) -> list[dict]:
    entries = read_jsonl(path) if path.exists() else []
    assert all(e["kind"] == "item" for e in entries)
    return [e["item"] for e in entries]


def replay(env: dict) -> subprocess.CompletedProcess:
    return run_scrapy("replay", env=env, timeout=120)


def test_store_down_at_start_the_crawl_spools_everything_and_replay_writes_it_once(heute_mirror, dedicated_mongo,
                                                                                    tmp_path):
    spool = tmp_path / "state" / "spool.jsonl"
    env = {"MONGO_URI": dedicated_mongo.uri, "MONGO_DATABASE": "faults", "NEWSCRAWL_SPOOL": str(spool), **FAST_FAIL}

    # The server is not running: the crawl goes on, exports everything, spools everything, exits 1.
    crawl = run_scrapy("crawl", "heute", "-a", f"base_url={heute_mirror}", "-O", str(tmp_path / "down.jsonl"), env=env)
    assert crawl.returncode == 1, crawl.stderr[-3000:]
    exported = read_jsonl(tmp_path / "down.jsonl")
    assert sorted(it["article_id"] for it in exported) == MIRROR_IDS
    assert {it["revision"] for it in exported} == {None}  # dedup could not ask the store: unknown
    spooled = spool_items(spool)
    assert sorted(it["article_id"] for it in spooled) == MIRROR_IDS
    assert stat(crawl.stderr, "store/spooled") == N and stat(crawl.stderr, "dedup/unknown") == N
    assert stat(crawl.stderr, "store/written") == 0
    assert "Exit code 1: the store did not take everything" in crawl.stderr

    # Replay while the store is still down: nothing written, the spool untouched, exit 1.
    before = spool.read_bytes()
    still_down = replay(env)
    assert still_down.returncode == 1, still_down.stderr[-2000:]
    assert f"replay: replayed=0 written=0 unchanged=0 touches=0 remaining={N}" in still_down.stdout
    assert spool.read_bytes() == before

    # The server is back: replay writes all N once, empties the spool, exits 0.
    dedicated_mongo.start()
    back = replay(env)
    assert back.returncode == 0, back.stderr[-2000:]
    assert back.stdout.strip().splitlines()[-1] == f"replay: replayed={N} written={N} unchanged=0 touches=0 remaining=0"
    assert not spool.exists()
    docs = articles(dedicated_mongo.uri, "faults")
    assert sorted(d["key"] for d in docs) == sorted(f"heute:{i}" for i in MIRROR_IDS)
    assert {d["revision"] for d in docs} == {1} and {len(d["history"]) for d in docs} == {1}

    # Again: nothing to do, nothing written twice.
    again = replay(env)
    assert again.returncode == 0
    assert again.stdout.strip().splitlines()[-1] == "replay: replayed=0 written=0 unchanged=0 touches=0 remaining=0"
    assert len(articles(dedicated_mongo.uri, "faults")) == N


def test_the_next_crawl_drains_the_spool_first(dedicated_mongo, tmp_path):
    mirror = tmp_path / "mirror"
    shutil.copytree(HEUTE_MIRROR, mirror)
    spool = tmp_path / "spool.jsonl"
    env = {"MONGO_URI": dedicated_mongo.uri, "MONGO_DATABASE": "drain", "NEWSCRAWL_SPOOL": str(spool), **FAST_FAIL}
    with serve(mirror) as base:
        first = run_scrapy("crawl", "heute", "-a", f"base_url={base}", "-O", str(tmp_path / "1.jsonl"), env=env)
        assert first.returncode == 1 and len(spool_items(spool)) == N

        # Store back, one article edited meanwhile: the spool is written first (the old text, revision 1),
        # then the crawl finds N-1 unchanged and the edited one changed (revision 2).
        dedicated_mongo.start()
        change_one_paragraph(mirror, CHANGED_ID)
        second = run_scrapy("crawl", "heute", "-a", f"base_url={base}", "-O", str(tmp_path / "2.jsonl"), env=env)
    assert second.returncode == 0, second.stderr[-3000:]
    assert f"Drained the spool {spool} first: replay: replayed={N} written={N} unchanged=0" in second.stderr
    assert stat(second.stderr, "spool/written") == N and stat(second.stderr, "spool/remaining") == 0
    assert not spool.exists()
    assert stat(second.stderr, "dedup/unchanged") == N - 1 and stat(second.stderr, "dedup/changed") == 1
    assert [(it["article_id"], it["revision"]) for it in read_jsonl(tmp_path / "2.jsonl")] == [(CHANGED_ID, 2)]
    docs = {d["key"]: d for d in articles(dedicated_mongo.uri, "drain")}
    assert len(docs) == N
    assert docs[f"heute:{CHANGED_ID}"]["revision"] == 2 and len(docs[f"heute:{CHANGED_ID}"]["history"]) == 2
    assert {d["revision"] for k, d in docs.items() if k != f"heute:{CHANGED_ID}"} == {1}


class GatedMirror:
    """The mirror, serving the first ``open_articles`` distinct articles at once and holding requests for
    other articles until :meth:`release` (bounded); URL variants of served articles and 404s pass. The test
    stops MongoDB while the crawl still has articles to go."""

    def __init__(self, root: Path, open_articles: int):
        self.gate = threading.Event()
        self.lock = threading.Lock()
        self.served: set[str] = set()
        base = make_handler(root)
        outer = self

        class Handler(base):
            def _serve(self, with_body: bool) -> None:
                m = ARTICLE_PATH.match(urlsplit(self.path).path)
                if m and (root / "s" / f"{m.group(1)}.html").is_file():
                    with outer.lock:
                        if m.group(1) not in outer.served and len(outer.served) < open_articles:
                            outer.served.add(m.group(1))
                        held = m.group(1) not in outer.served
                    if held:
                        outer.gate.wait(timeout=90)
                super()._serve(with_body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> tuple[str, GatedMirror]:
        self.thread.start()
        return f"http://127.0.0.1:{self.server.server_address[1]}", self

    def release(self) -> None:
        self.gate.set()

    def __exit__(self, *exc) -> None:
        self.gate.set()
        self.server.shutdown()
        self.server.server_close()


def test_mongodb_stopped_mid_run_loses_nothing_and_replay_completes_it(dedicated_mongo, tmp_path):
    """Deterministic: the buffer holds 4 items and only fills trigger flushes. The mirror serves 6 articles,
    then holds the rest; once 6 items have passed the pipelines (4 written in one batch, 2 buffered) the
    server is stopped and the rest released. The 2 buffered items' batch fails (after the store's retries)
    and is spooled; the 13 later items cannot be looked up (unknown) and are spooled too."""
    uri = dedicated_mongo.start()
    spool = tmp_path / "spool.jsonl"
    out = tmp_path / "mid.jsonl"
    log_path = tmp_path / "crawl.log"
    env = {"MONGO_URI": uri, "MONGO_DATABASE": "midrun", "NEWSCRAWL_SPOOL": str(spool), "MONGO_BUFFER_SIZE": "4",
           "MONGO_FLUSH_INTERVAL": "600", "MONGO_CONNECT_TIMEOUT_MS": "500", "MONGO_RETRIES": "1"}
    full_env = {k: v for k, v in os.environ.items() if k not in ("MONGO_URI", "NEWSCRAWL_STATE", "NEWSCRAWL_SPOOL")}
    full_env.update(env, NEWSCRAWL_OUTPUT_DIR=str(tmp_path / "output"))
    open_articles, batch = 6, 4
    with GatedMirror(HEUTE_MIRROR, open_articles) as (base, mirror), open(log_path, "w") as log:
        crawl = subprocess.Popen(
            [sys.executable, "-m", "scrapy", "crawl", "heute", "-a", f"base_url={base}", "-O", str(out),
             "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "DOWNLOAD_DELAY=0", "-s", "LOG_LEVEL=DEBUG"],
            cwd=PROJECT, env=full_env, stdout=subprocess.DEVNULL, stderr=log)
        try:
            # Bounded wait until the 6 served articles have passed every pipeline ("Scraped from").
            deadline = time.monotonic() + 60
            while log_path.read_text(errors="replace").count("DEBUG: Scraped from <200") < open_articles:
                assert time.monotonic() < deadline, "the first articles never passed the pipelines"
                assert crawl.poll() is None, "the crawl ended early"
                time.sleep(0.1)
            with MongoClient(uri, serverSelectionTimeoutMS=2000) as client:
                assert client["midrun"]["articles"].count_documents({}) == batch
            dedicated_mongo.stop()  # the server goes away under the running crawl, 2 items in the buffer
            mirror.release()  # and the held articles reach a crawl without a store
            returncode = crawl.wait(timeout=240)
        finally:
            if crawl.poll() is None:
                crawl.kill()
                crawl.wait(timeout=10)
    stderr = log_path.read_text(errors="replace")
    assert returncode == 1, stderr[-3000:]

    exported = read_jsonl(out)
    assert sorted(it["article_id"] for it in exported) == MIRROR_IDS  # the JSONL has every article
    written, spooled = stat(stderr, "store/written"), stat(stderr, "store/spooled")
    assert (written, spooled) == (batch, N - batch)  # nothing lost
    assert stat(stderr, "dedup/new") == open_articles and stat(stderr, "dedup/unknown") == N - open_articles
    assert stat(stderr, "store/write_errors") >= 1  # the buffered batch's write failed, then it was spooled
    spooled_items = spool_items(spool)
    assert len(spooled_items) == spooled == len({it["article_id"] for it in spooled_items})
    assert sum(it["revision"] == 1 for it in spooled_items) == open_articles - batch  # the failed batch

    # Restart on the same data: what was written survived; replay writes exactly the rest.
    dedicated_mongo.start()
    stored = {d["key"] for d in articles(uri, "midrun")}
    assert len(stored) == written
    assert not stored & {f"heute:{it['article_id']}" for it in spooled_items}
    result = run_scrapy("replay", env=env, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == (
        f"replay: replayed={spooled} written={spooled} unchanged=0 touches=0 remaining=0")
    docs = articles(uri, "midrun")
    assert sorted(d["key"] for d in docs) == sorted(f"heute:{i}" for i in MIRROR_IDS)  # exactly N, no duplicates
    assert {d["revision"] for d in docs} == {1} and {len(d["history"]) for d in docs} == {1}
    assert not spool.exists()


# The spool file itself.

def test_spool_removes_only_what_was_written_and_keeps_lines_appended_meanwhile(tmp_path):
    spool = Spool(tmp_path / "s" / "spool.jsonl")
    items = [{"site": "heute", "article_id": str(i), "headline": f"H{i}", "fetched_at": "2025-01-01T00:00:00+00:00"}
             for i in range(5)]
    assert spool.append_items(items[:3]) == 3
    first = spool.read()
    assert [e.key for e in first] == ["heute:0", "heute:1", "heute:2"]
    spool.append_items(items[3:])  # a crawl appends while a replay works on the first three
    assert spool.remove([first[0].line, first[2].line]) == 3
    assert [e.key for e in spool.read()] == ["heute:1", "heute:3", "heute:4"]
    assert not list(spool.path.parent.glob("*.tmp"))


def test_spool_moves_a_line_cut_short_by_a_crash_aside(tmp_path):
    spool = Spool(tmp_path / "spool.jsonl")
    spool.append_items([{"site": "heute", "article_id": "1", "headline": "H"}])
    with open(spool.path, "a", encoding="utf-8") as f:
        f.write('{"kind": "item", "item": {"site": "heu')  # SIGKILL mid-append
    entries = spool.read()
    assert [e.key for e in entries] == ["heute:1"]
    assert len(spool) == 1
    [aside] = read_jsonl(spool.corrupt_path)  # set aside with the reason (issue 11, D9)
    assert aside["line"] == '{"kind": "item", "item": {"site": "heu' and "cut short" in aside["reason"]


def test_replay_dedups_against_the_store_and_within_the_spool(tmp_path):
    """Through the same dedup as a crawl: new, changed (next revision), unchanged (sighting only), and
    the same article twice in the spool classified against what its first occurrence wrote."""
    from newscrawl.records import content_hash
    from newscrawl.store import SQLiteStore, build_record, replay as replay_spool

    def item(article_id: str, lead: str) -> dict:
        return {"site": "heute", "article_id": article_id, "canonical_url": f"https://www.heute.at/s/x-{article_id}",
                "headline": "H", "lead": lead, "galleries": [], "fetched_at": "2025-01-02T00:00:00+00:00"}

    store = SQLiteStore(tmp_path / "state.sqlite3")
    store.open()
    try:
        for it in (item("1", "stored"), item("2", "old")):
            store.write([build_record({**it, "content_hash": content_hash(it), "revision": 1}, it["fetched_at"])], [])
        spool = Spool(tmp_path / "spool.jsonl")
        spool.append_items([item("1", "stored"), item("2", "new text"), item("3", "a"), item("3", "b")])
        result = replay_spool(spool, store, batch_size=500)
        assert (result.replayed, result.written, result.unchanged, result.remaining) == (4, 3, 1, 0)
        assert store.get("heute:1")["revision"] == 1
        assert store.get("heute:2")["revision"] == 2 and store.get("heute:2")["lead"] == "new text"
        assert store.get("heute:3")["revision"] == 2 and store.get("heute:3")["lead"] == "b"
        assert store.count() == 3 and not spool.path.exists()
    finally:
        store.close()


def test_the_store_client_spools_a_failed_batch_and_tries_later_batches_again(dedicated_mongo, tmp_path):
    """In-process, the real MongoStore: a batch written; the server stopped: the next batch spooled after the
    store's bounded retries, lookups answer UNKNOWN at once (no timeouts per item); the server back: the
    next batch is written and lookups ask the server again."""
    import asyncio

    from newscrawl.records import content_hash
    from newscrawl.store import UNKNOWN, MongoStore, StoreClient, StoredState, build_record

    def record(article_id: str):
        it = {"site": "heute", "article_id": article_id, "headline": "H", "galleries": [],
              "fetched_at": "2025-01-01T00:00:00+00:00"}
        return build_record({**it, "content_hash": content_hash(it), "revision": 1}, it["fetched_at"])

    uri = dedicated_mongo.start()
    spool = Spool(tmp_path / "spool.jsonl")
    client = StoreClient(MongoStore(uri, database="client", connect_timeout_ms=300, retries=1, retry_backoff=0.05),
                         buffer_size=100, spool=spool, retry_interval=1.0)

    async def scenario():
        await client.acquire()
        assert await client.lookup("heute:1") is None
        await client.add(record("1"))
        first = await client.flush()
        assert (first.written, first.spooled, first.failed) == (1, 0, False)

        dedicated_mongo.stop()
        await client.add(record("2"))
        failed = await client.flush()
        assert (failed.written, failed.spooled, failed.failed) == (0, 1, True)
        started = time.monotonic()
        assert await client.lookup("heute:1") is UNKNOWN
        assert time.monotonic() - started < 0.2  # the open circuit answers without waiting for timeouts

        dedicated_mongo.start()
        await client.add(record("3"))
        later = await client.flush()  # a later batch tries again: written
        assert (later.written, later.spooled, later.failed) == (1, 0, False)
        # A write that succeeds closes the circuit: lookups ask the server again.
        assert await client.lookup("heute:1") == StoredState(record("1").content_hash, 1)
        await client.release()

    asyncio.run(scenario())
    assert [e.key for e in spool.read()] == ["heute:2"]
    assert sorted(d["key"] for d in articles(uri, "client")) == ["heute:1", "heute:3"]

"""The spool under disk faults and hostile content, staged for real: a small tmpfs that fills up, spool
lines nested 200,000 deep or of the wrong shape, a store that rejects one record; real `scrapy crawl`,
`scrapy replay` and `scrapy cronrun` runs in subprocesses where practical. Exact counts throughout."""

from __future__ import annotations

import errno
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from newscrawl.records import content_hash
from newscrawl.store import SQLiteStore, Spool, build_record, replay
from tests.conftest import PROJECT, read_jsonl, run_scrapy
from tests.pipelines.test_dedup_store import MIRROR_IDS, stat

N = len(MIRROR_IDS)
FAST_FAIL = {"MONGO_CONNECT_TIMEOUT_MS": "300", "MONGO_RETRIES": "0"}
WHEN = "2025-01-02T03:04:05+00:00"


def article(n: int, text_bytes: int = 200) -> dict:
    """A valid article as the pipelines spool it (``revision`` null: dedup could not ask the store)."""
    it = {"url": f"https://www.heute.at/s/meldung-{900000 + n}", "canonical_url": f"https://www.heute.at/s/meldung-{900000 + n}",
          "site": "heute", "article_id": str(900000 + n), "headline": f"Meldung {n}", "lead": "Lead",
          "body": ["x" * text_bytes], "authors": ["A. Autor"], "keywords": [], "published": WHEN,
          "lead_image": {"url": "https://i.example/a.jpg", "caption": None, "alt": None, "credits": ["APA"],
                         "credit_raw": "Bild: APA"},
          "images": [], "galleries": [{"title": "G", "size": 1, "entries": [
              {"position": 1, "image_url": f"https://i.example/{n}.jpg", "caption": "c", "credits": []}]}],
          "comment_count": 3, "fetched_at": WHEN, "revision": None, "field_sources": {"headline": "og"},
          "extractor": {"version": "1"}}
    it["content_hash"] = content_hash(it)
    return it


def spool_line(item: dict, seen_at=WHEN) -> str:
    return json.dumps({"kind": "item", "seen_at": seen_at, "spooled_at": WHEN, "item": item})


def stored_keys(state: Path) -> list[str]:
    with sqlite3.connect(state) as conn:
        return sorted(k for (k,) in conn.execute("SELECT key FROM articles"))


def last_line(result: subprocess.CompletedProcess) -> str:
    return result.stdout.strip().splitlines()[-1]


def corrupt_entries(spool: Path) -> list[dict]:
    path = spool.with_name(spool.name + ".corrupt")
    return read_jsonl(path) if path.exists() else []


def assert_whole(path: Path) -> list[dict]:
    """Every line of the spool file is a complete JSON entry and the file ends with a newline."""
    data = path.read_bytes() if path.exists() else b""
    assert not data or data.endswith(b"\n"), f"cut line at the end: {data[-80:]!r}"
    return [json.loads(line) for line in data.decode("utf-8").splitlines()]


# D9: appends are all or nothing.

def test_an_append_that_fills_the_disk_leaves_no_cut_line_and_the_next_append_is_intact(tmpfs, tmp_path):
    disk = tmpfs("64k")
    spool = Spool(disk.path / "spool.jsonl")
    appended, failures = [], 0
    for batch in range(12):  # 3 items of ~6 KB a batch: the disk is full after a few
        items = [article(batch * 3 + i, text_bytes=6000) for i in range(3)]
        try:
            assert spool.append_items(items) == 3
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
            failures += 1
        else:
            appended += items
    assert failures and appended
    entries = assert_whole(spool.path)
    assert [e["item"]["article_id"] for e in entries] == [it["article_id"] for it in appended]

    # Room again: the next run's entry lands whole after the others and is replayed with them.
    disk.resize("1m")
    spool.append_items([article(99)])
    assert len(assert_whole(spool.path)) == len(appended) + 1
    store = SQLiteStore(tmp_path / "state.sqlite3")
    store.open()
    try:
        result = replay(spool, store)
    finally:
        store.close()
    assert (result.replayed, result.written, result.remaining, result.corrupt) == (len(appended) + 1,) * 2 + (0, 0)
    assert stored_keys(tmp_path / "state.sqlite3") == sorted(f"heute:{it['article_id']}" for it in appended + [article(99)])
    assert not corrupt_entries(spool.path)


def test_a_tail_cut_by_a_crash_is_set_aside_before_the_next_append(tmp_path):
    spool = Spool(tmp_path / "spool.jsonl")
    spool.append_items([article(1)])
    with open(spool.path, "a", encoding="utf-8") as f:
        f.write(spool_line(article(2))[:120])  # SIGKILL mid-append of an older version: no newline
    spool.append_items([article(3)])
    assert [e["item"]["article_id"] for e in assert_whole(spool.path)] == ["900001", "900003"]
    [cut] = corrupt_entries(spool.path)
    assert cut["line"] == spool_line(article(2))[:120] and "cut short" in cut["reason"]


def test_a_crawl_spooling_onto_a_full_disk_counts_the_lost_items_and_the_next_run_spools_whole(
        heute_mirror, dedicated_mongo, tmpfs, tmp_path):
    """The store is down, the spool on a 128 KB disk (the 19 mirror articles spool to ~250 KB): the batches
    (4 items each) that do not fit are lost whole and counted as items (D10), the file keeps only complete
    lines (D9); the next run, with room again, appends whole lines and the replay writes them all."""
    disk = tmpfs("128k")
    spool = disk.path / "spool.jsonl"
    env = {"MONGO_URI": dedicated_mongo.uri, "MONGO_DATABASE": "full", "NEWSCRAWL_SPOOL": str(spool),
           "MONGO_BUFFER_SIZE": "4", **FAST_FAIL}
    first = run_scrapy("crawl", "heute", "-a", f"base_url={heute_mirror}", env=env)
    assert first.returncode == 1, first.stderr[-3000:]
    spooled, lost = stat(first.stderr, "store/spooled"), stat(first.stderr, "store/lost")
    entries = assert_whole(spool)
    assert len(entries) == spooled and spooled + lost == N and lost >= 4, (spooled, lost)
    assert "items lost" in first.stderr

    disk.resize("2m")
    second = run_scrapy("crawl", "heute", "-a", f"base_url={heute_mirror}", env=env)
    assert second.returncode == 1 and stat(second.stderr, "store/spooled") == N
    assert stat(second.stderr, "store/lost") == 0
    assert len(assert_whole(spool)) == spooled + N

    dedicated_mongo.start()
    back = run_scrapy("replay", env=env, timeout=120)
    assert back.returncode == 0, back.stderr[-2000:]
    assert last_line(back) == f"replay: replayed={spooled + N} written={N} unchanged={spooled} touches=0 remaining=0"
    assert not corrupt_entries(spool) and not spool.exists()


# D11: a replay needs no more than bounded extra space.

def test_replay_of_a_spool_that_fills_the_disk(tmpfs, tmp_path):
    disk = tmpfs("256k")
    spool = Spool(disk.path / "spool.jsonl")
    items = [article(i, text_bytes=2500) for i in range(60)]
    spool.append_items(items)
    assert spool.path.stat().st_size > 150_000
    stale = disk.path / "spool.jsonl.tmp"  # what an older replay left when it ran out of space
    stale.write_text(spool_line(article(0)) + "\n" + spool_line(article(1))[:500])
    disk.fill()  # and the disk is full
    state = tmp_path / "state.sqlite3"
    env = {"NEWSCRAWL_STATE": str(state), "NEWSCRAWL_SPOOL": str(spool.path), "MONGO_BUFFER_SIZE": "10"}
    result = run_scrapy("replay", env=env, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert last_line(result) == "replay: replayed=60 written=60 unchanged=0 touches=0 remaining=0"
    assert stored_keys(state) == sorted(f"heute:{it['article_id']}" for it in items)
    assert not stale.exists() and not spool.path.exists()
    assert not [p.name for p in disk.path.iterdir() if not p.name.endswith(".lock") and p.name != "filler"]


def test_a_replay_stopped_midway_goes_on_from_where_it_stopped(dedicated_mongo, tmp_path):
    """The store goes away after the first batches: what was written is not in the spool any more, the rest
    is (in order), and the next replay writes exactly the rest."""
    spool = Spool(tmp_path / "spool.jsonl")
    items = [article(i) for i in range(30)]
    spool.append_items(items)
    uri = dedicated_mongo.start()
    env = {"MONGO_URI": uri, "MONGO_DATABASE": "midway", "NEWSCRAWL_SPOOL": str(spool.path), "MONGO_BUFFER_SIZE": "5",
           **FAST_FAIL}
    from newscrawl.store import MongoStore

    store = MongoStore(uri, database="midway", connect_timeout_ms=300, retries=0, retry_backoff=0.01)
    store.open()
    written_before = []
    try:
        original = store.write

        def write_then_stop(records, touches):  # the server is killed after the second batch
            if len(written_before) == 10:
                dedicated_mongo.proc.kill()
                dedicated_mongo.proc.wait(timeout=10)
            done = original(records, touches)
            written_before.extend(r.key for r in records)
            return done

        store.write = write_then_stop
        result = replay(spool, store, batch_size=5)
    finally:
        store.close()
    assert (result.written, result.remaining) == (10, 20) and result.error
    assert [e.key for e in spool.read()] == [f"heute:{it['article_id']}" for it in items[10:]]
    dedicated_mongo.proc = None
    dedicated_mongo.start()
    again = run_scrapy("replay", env=env, timeout=120)
    assert again.returncode == 0, again.stderr[-2000:]
    assert last_line(again) == "replay: replayed=20 written=20 unchanged=0 touches=0 remaining=0"


def test_lines_appended_by_a_crawl_while_a_replay_runs_are_never_lost(tmp_path):
    """A real second process appends 150 entries (one flock'd append each) while `scrapy replay` works
    through 150 others in batches of 3; afterwards the store and the spool hold all 300, each once, and
    a second replay leaves the spool empty."""
    spool_path = tmp_path / "spool.jsonl"
    Spool(spool_path).append_items([article(i) for i in range(150)])
    state = tmp_path / "state.sqlite3"
    env = {"NEWSCRAWL_STATE": str(state), "NEWSCRAWL_SPOOL": str(spool_path), "MONGO_BUFFER_SIZE": "3"}
    appender = subprocess.Popen(
        [sys.executable, "-c", "import sys; from newscrawl.store import Spool; "
         "from tests.store.test_spool_faults import article; s = Spool(sys.argv[1]); "
         "[s.append_items([article(i)]) for i in range(150, 300)]", str(spool_path)], cwd=PROJECT)
    try:
        first = run_scrapy("replay", env=env, timeout=120)
    finally:
        assert appender.wait(timeout=60) == 0
    assert first.returncode in (0, 1), first.stderr[-2000:]
    in_spool = [e.key for e in Spool(spool_path).read()]
    assert len(in_spool) == len(set(in_spool))
    assert sorted(set(stored_keys(state)) | set(in_spool)) == sorted(f"heute:{900000 + i}" for i in range(300))
    second = run_scrapy("replay", env=env, timeout=120)
    assert second.returncode == 0 and not spool_path.exists()
    assert len(stored_keys(state)) == 300


# D12 / D13: entries that cannot be written are set aside with the reason; the rest is written.

def deep_line(depth: int = 200_000) -> str:
    return '{"kind":"item","seen_at":"' + WHEN + '","item":{"site":"heute","article_id":"1","body":' + \
        "[" * depth + "]" * depth + "}}"


def test_a_line_nested_200000_deep_is_set_aside_and_cronrun_goes_on(heute_mirror, tmp_path):
    state, spool = tmp_path / "state" / "state.sqlite3", tmp_path / "state" / "spool.jsonl"
    env = {"NEWSCRAWL_STATE": str(state), "NEWSCRAWL_SPOOL": str(spool), "NEWSCRAWL_OUTPUT_DIR": str(tmp_path / "out")}
    spool.parent.mkdir()
    good = [article(i) for i in range(4)]
    deep = deep_line()
    spool.write_text("\n".join([spool_line(good[0]), spool_line(good[1]), deep, spool_line(good[2]),
                                spool_line(good[3])]) + "\n")
    first = run_scrapy("cronrun", "heute", "-a", f"base_url={heute_mirror}", env=env)
    assert first.returncode == 3, first.stderr[-3000:]
    assert stat(first.stderr, "spool/written") == 4 and stat(first.stderr, "spool/corrupt") == 1
    assert set(stored_keys(state)) >= {f"heute:{it['article_id']}" for it in good}
    [aside] = corrupt_entries(spool)
    assert aside["line"] == deep and "nested deeper than" in aside["reason"]
    assert not spool.exists()
    second = run_scrapy("cronrun", "heute", "-a", f"base_url={heute_mirror}", env=env)
    assert second.returncode == 0, second.stdout + second.stderr[-3000:]


BAD_SHAPES = {
    "galleries is text": lambda it: {**it, "galleries": "xyz"},
    "a slide's position is text": lambda it: {**it, "galleries": [{"title": None, "size": 1, "entries": [
        {"position": "one", "image_url": "u"}]}]},
    "body is not a list of text": lambda it: {**it, "body": [["nested"]]},
    "lead_image is a list": lambda it: {**it, "lead_image": ["u"]},
    "published is no date": lambda it: {**it, "published": {"$date": 1}},
    "a key with a dot": lambda it: {**it, "field_sources": {"a.b": "x"}},
    "a 2**70 comment count": lambda it: {**it, "comment_count": 2 ** 70},
    "no key": lambda it: {k: v for k, v in it.items() if k not in ("site", "article_id", "canonical_url", "url")},
}


def test_entries_of_the_wrong_shape_are_set_aside_and_the_rest_of_their_batch_is_written(tmp_path):
    state, spool = tmp_path / "state.sqlite3", tmp_path / "spool.jsonl"
    good = [article(i) for i in range(6)]
    lines = [spool_line(good[0]), json.dumps({"kind": "item", "seen_at": {"$date": 1}, "item": article(50)})]
    lines += [spool_line(make(article(60 + i))) for i, make in enumerate(BAD_SHAPES.values())]
    lines += [spool_line(good[1]), json.dumps({"kind": "touch", "key": ["heute:1"], "seen_at": WHEN}),
              json.dumps({"kind": "gallery"}), "[1, 2]", "not json {", spool_line(good[2]),
              json.dumps({"kind": "item", "seen_at": WHEN, "item": "text"}),
              *map(spool_line, good[3:])]
    spool.write_text("\n".join(lines) + "\n")
    bad = len(lines) - len(good)
    env = {"NEWSCRAWL_STATE": str(state), "NEWSCRAWL_SPOOL": str(spool)}
    first = run_scrapy("replay", env=env, timeout=120)
    assert first.returncode == 3, first.stderr[-3000:]
    assert last_line(first) == f"replay: replayed=6 written=6 unchanged=0 touches=0 remaining=0 corrupt={bad}"
    assert stored_keys(state) == sorted(f"heute:{it['article_id']}" for it in good)
    aside = corrupt_entries(spool)
    good_lines = {spool_line(it) for it in good}
    assert [a["line"] for a in aside] == [line for line in lines if line not in good_lines]
    reasons = [a["reason"] for a in aside]
    assert "seen_at" in reasons[0] and "galleries" in reasons[1] and "position" in reasons[2]
    assert "body" in reasons[3] and "lead_image" in reasons[4] and "published" in reasons[5]
    assert "a.b" in reasons[6] and "comment_count" in reasons[7] and "key" in reasons[8]
    second = run_scrapy("replay", env=env, timeout=120)
    assert second.returncode == 0
    assert last_line(second) == "replay: replayed=0 written=0 unchanged=0 touches=0 remaining=0"


def test_a_record_the_store_rejects_is_set_aside_and_does_not_block_the_others(tmp_path):
    """The embedded store refuses one article (a trigger, as an operator's constraint would): the other
    records of its batch and of later batches are written, the refused one goes to .corrupt with the
    store's reason, and the next replay has nothing left to do."""
    state, spool = tmp_path / "state.sqlite3", Spool(tmp_path / "spool.jsonl")
    store = SQLiteStore(state)
    store.open()
    store.conn.execute("CREATE TRIGGER refuse BEFORE INSERT ON articles WHEN NEW.key = 'heute:900003' "
                       "BEGIN SELECT RAISE(ABORT, 'articles of 900003 are refused here'); END")
    store.close()
    items = [article(i) for i in range(8)]
    spool.append_items(items)
    env = {"NEWSCRAWL_STATE": str(state), "NEWSCRAWL_SPOOL": str(spool.path), "MONGO_BUFFER_SIZE": "5"}
    first = run_scrapy("replay", env=env, timeout=120)
    assert first.returncode == 3, first.stderr[-3000:]
    assert last_line(first) == "replay: replayed=8 written=7 unchanged=0 touches=0 remaining=0 corrupt=1"
    assert stored_keys(state) == sorted(f"heute:{it['article_id']}" for it in items if it["article_id"] != "900003")
    [aside] = corrupt_entries(spool.path)
    assert json.loads(aside["line"])["item"]["article_id"] == "900003"
    assert "900003 are refused here" in aside["reason"]
    second = run_scrapy("replay", env=env, timeout=120)
    assert second.returncode == 0 and last_line(second).endswith("remaining=0")


def test_a_record_mongodb_refuses_is_set_aside_and_does_not_block_the_others(dedicated_mongo, tmp_path):
    """SecantusDB refuses a 17 MB article (over MongoDB's 16 MB document limit): the other records of its
    batch and of the next are written, the refused one goes to .corrupt with the server's reason."""
    spool = Spool(tmp_path / "spool.jsonl")
    items = [article(i) for i in range(6)]
    items[2] = {**items[2], "body": ["x" * (17 * 1024 * 1024)]}
    items[2]["content_hash"] = content_hash(items[2])
    spool.append_items(items)
    uri = dedicated_mongo.start()
    env = {"MONGO_URI": uri, "MONGO_DATABASE": "refuses", "NEWSCRAWL_SPOOL": str(spool.path), "MONGO_BUFFER_SIZE": "4"}
    first = run_scrapy("replay", env=env, timeout=120)
    assert first.returncode == 3, first.stderr[-3000:]
    assert last_line(first) == "replay: replayed=6 written=5 unchanged=0 touches=0 remaining=0 corrupt=1"
    [aside] = corrupt_entries(spool.path)
    assert json.loads(aside["line"])["item"]["article_id"] == "900002" and "16777216" in aside["reason"]
    from pymongo import MongoClient

    with MongoClient(uri) as client:
        keys = sorted(d["key"] for d in client["refuses"]["articles"].find({}, {"key": 1}))
    assert keys == sorted(f"heute:{it['article_id']}" for it in items if it["article_id"] != "900002")
    second = run_scrapy("replay", env=env, timeout=120)
    assert second.returncode == 0 and last_line(second).endswith("remaining=0")


def test_a_batch_written_with_a_rejected_record_in_a_crawl_spools_only_that_one(tmp_path):
    """The store client's side of the same: a flush whose batch holds a refused record writes the others
    and spools only the refused one."""
    import asyncio

    from newscrawl.store import StoreClient

    state = tmp_path / "state.sqlite3"
    store = SQLiteStore(state)
    store.open()
    store.conn.execute("CREATE TRIGGER refuse BEFORE INSERT ON articles WHEN NEW.key = 'heute:900001' "
                       "BEGIN SELECT RAISE(ABORT, 'refused'); END")
    store.close()
    spool = Spool(tmp_path / "spool.jsonl")
    client = StoreClient(SQLiteStore(state), buffer_size=100, spool=spool)

    async def scenario():
        await client.acquire()
        for i in range(3):
            it = {**article(i), "revision": 1}
            await client.add(build_record(it, WHEN))
        return await client.release()

    outcome = asyncio.run(scenario())
    assert (outcome.written, outcome.spooled, outcome.failed) == (2, 1, True)
    assert [e.key for e in spool.read()] == ["heute:900001"]
    assert stored_keys(state) == ["heute:900000", "heute:900002"]

"""Article versions, storage side (newscrawl.store.versions): every new or changed revision writes its version in
the batch of its article, on the embedded SQLite store and on a real MongoDB-wire server (SecantusDB). Faults are
staged for real: a SQLite writer SIGKILLed inside its transaction, a SecantusDB server SIGKILLed after it
acknowledged a batch's versions and before the articles; the spool's replay writes what they left."""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import subprocess
import sys
import threading
from datetime import datetime, timedelta, timezone

import pytest
from pymongo import MongoClient, monitoring
from pymongo.errors import DuplicateKeyError

from newscrawl.records import CONTENT_FIELDS, content_hash
from newscrawl.store import UNKNOWN, MongoStore, SQLiteStore, Spool, StoreClient, StoreWriteError, build_record, replay
from newscrawl.store.versions import VersionPolicy, VersionsSettingError, parse_keep, stamp
from newscrawl.mirror import serve
from tests.conftest import HEUTE_MIRROR, PROJECT, run_scrapy
from tests.pipelines.test_dedup_store import CHANGED_ID, MIRROR_IDS, change_one_paragraph, crawl

ID = MIRROR_IDS[0]
KEY = f"heute:{ID}"
URL = f"https://www.heute.at/s/artikel-{ID}"
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=timezone.utc)


def article(revision: int, article_id: str = ID, edit: str = "", **fields) -> dict:
    """The mirror's article ``article_id`` as the store receives it, as ``revision`` (``edit`` appended to its
    headline: another content), with ``changes`` from revision 2 on."""
    item = json.loads((HEUTE_MIRROR / "s" / f"{article_id}.expected.json").read_text(encoding="utf-8"))
    item.update(url=f"https://www.heute.at/s/artikel-{article_id}",
                fetched_at=(T0 + timedelta(hours=revision)).isoformat(), revision=revision, field_sources={},
                extractor={},
                changes=None if revision == 1 else {"headline": {"old": "before", "new": f"r{revision}"}})
    item["headline"] += edit if edit else ("" if revision == 1 else f" (Update {revision})")
    item.update(fields)
    item["content_hash"] = content_hash(item)
    return item


def record(revision: int, seen_at: datetime | None = None, **kw):
    item = article(revision, **kw)
    return build_record(item, (seen_at or datetime.fromisoformat(item["fetched_at"])).isoformat())


@pytest.fixture(params=["sqlite", "mongodb"])
def open_store(request, tmp_path):
    """``open_store(policy=None)``: the store of this test (a fresh SQLite file or MongoDB database), opened;
    the same store again on each call; all closed at the end."""
    opened = []

    def make(policy: VersionPolicy | None = None):
        if request.param == "sqlite":
            st = SQLiteStore(tmp_path / "state.sqlite3", versions=policy)
        else:
            uri, db = request.getfixturevalue("mongo_db")
            st = MongoStore(uri, database=db, versions=policy)
        st.open()
        opened.append(st)
        return st

    yield make
    for st in opened:
        st.close()


def revisions(st, key: str = KEY) -> list[int]:
    return [v["revision"] for v in st.versions(key)]


# -- what is written -----------------------------------------------------------------------------------------------

def test_each_revision_is_written_with_its_version(open_store):
    st = open_store()
    first, second = record(1), record(2)
    assert st.write([first], []) == 1
    assert st.write([second], []) == 1
    assert st.get(KEY)["revision"] == 2
    v1, v2 = st.versions(KEY)
    for version, rec in ((v1, first), (v2, second)):
        assert set(version) == {"key", "revision", "seen_at", "content_hash", "fields", "changes"}
        assert version["key"] == KEY and version["revision"] == rec.revision
        assert version["content_hash"] == rec.content_hash == content_hash(rec.item)
        assert content_hash(version["fields"]) == rec.content_hash  # the fields the hash covers, as fetched
        assert version["fields"] == {f: rec.item[f] for f in CONTENT_FIELDS if f in rec.item}
        assert set(version["fields"]) == set(CONTENT_FIELDS)
        assert version["seen_at"] == stamp(rec.seen_at) and version["seen_at"].endswith("+00:00")
    assert v1["changes"] is None and v2["changes"] == {"headline": {"old": "before", "new": "r2"}}
    assert v2["fields"]["headline"].endswith("(Update 2)") and not v1["fields"]["headline"].endswith(")")
    assert "changes" not in v2["fields"] and "url" not in v2["fields"] and "fetched_at" not in v2["fields"]

    since = (T0 + timedelta(hours=1, minutes=30)).isoformat()
    assert st.changed_since(since) == [{"key": KEY, "url": URL, "revision": 2, "seen_at": v2["seen_at"],
                                        "changes": v2["changes"]}]
    assert st.changed_since(T0.isoformat()) == st.changed_since(since)  # revision 1 is no change
    assert st.changed_since("2026-03-01T12:00:01+02:00") == []  # 10:00:01 UTC, after revision 2: offsets count
    assert st.changed_since("2026-03-01T10:00:00") == st.changed_since(since)  # naive: UTC
    with pytest.raises(ValueError, match="since must be an ISO 8601 time"):
        st.changed_since("yesterday")


def test_key_for_url_finds_the_article_by_its_url_or_canonical_url_in_any_spelling(open_store):
    st = open_store()
    site_article = article(1)
    mirror = "http://127.0.0.1:18765"
    generic = {**article(1, article_id=MIRROR_IDS[1]), "site": "generic", "article_id": None,
               "url": f"{mirror}/s/seite?utm_source=feed", "canonical_url": f"{mirror}/s/die-seite"}
    st.write([build_record(it, T0.isoformat()) for it in (site_article, generic)], [])
    generic_key = "url:https://127.0.0.1:18765/s/die-seite"  # keyed by its canonical URL
    assert st.get(generic_key) is not None
    assert st.key_for_url(URL) == KEY  # a site's article: by the key its URL gives
    assert st.key_for_url(f"http://heute.at/s/anderer-titel-{ID}/?utm_source=x#top") == KEY
    assert st.key_for_url(f"{mirror}/s/die-seite/") == generic_key  # the canonical URL, another spelling
    assert st.key_for_url(f"{mirror}/s/seite?utm_source=feed") == generic_key  # the fetched URL as stored
    assert st.key_for_url(f"https://127.0.0.1:18765/s/seite/#oben") == generic_key  # ... in another spelling
    assert st.key_for_url("https://www.heute.at/s/nicht-gespeichert-1") is None
    assert st.key_for_url(f"{mirror}/s/keine-seite") is None


def test_sightings_of_unchanged_articles_add_no_version(open_store):
    st = open_store()
    st.write([record(1)], [])
    before = st.versions(KEY)
    seen_again = (T0 + timedelta(days=1)).isoformat()
    st.write([], [(KEY, seen_again)])
    assert st.get(KEY)["last_seen"] == seen_again and st.get(KEY)["revision"] == 1
    assert st.versions(KEY) == before


def test_a_revision_written_again_is_one_version_and_the_pair_is_unique(open_store):
    st = open_store()
    batch = [record(1), record(1, article_id=MIRROR_IDS[1])]
    st.write(batch, [])
    written = st.versions(KEY)
    st.write([record(1), record(1, article_id=MIRROR_IDS[1])], [])  # a batch written again (a replay, say)
    assert st.versions(KEY) == written and len(written) == 1
    if isinstance(st, SQLiteStore):
        with pytest.raises(sqlite3.IntegrityError):
            st.conn.execute("INSERT INTO article_versions (key, revision, seen_at, content_hash, fields)"
                            " VALUES (?, 1, 'x', 'y', '{}')", (KEY,))
    else:
        with pytest.raises(DuplicateKeyError):
            st.version_log.collection.insert_one({"key": KEY, "revision": 1, "content_hash": "other"})


def test_versions_switched_off_write_articles_only(open_store):
    st = open_store(VersionPolicy(enabled=False))
    st.write([record(1)], [])
    st.write([record(2)], [])
    assert st.get(KEY)["revision"] == 2
    assert st.versions(KEY) == [] and st.changed_since(T0.isoformat()) == []


# -- retention -------------------------------------------------------------------------------------------------

def test_retention_keeps_the_last_n_revisions_of_the_articles_written(open_store):
    all_kept = open_store()
    other = MIRROR_IDS[1]
    for r in range(1, 5):
        all_kept.write([record(r), record(r, article_id=other)], [])
    assert revisions(all_kept) == [1, 2, 3, 4]
    st = open_store(VersionPolicy(keep_last=2))
    st.write([record(5)], [])
    assert revisions(st) == [4, 5]
    assert revisions(st, f"heute:{other}") == [1, 2, 3, 4]  # not written: left as it was
    st.write([record(6)], [])
    assert revisions(st) == [5, 6]
    assert st.get(KEY)["revision"] == 6


def test_retention_keeps_versions_seen_within_n_days_and_always_the_latest(open_store):
    now = datetime.now(timezone.utc)
    st = open_store(VersionPolicy(keep_days=30))
    st.write([record(1, seen_at=now - timedelta(days=60))], [])
    st.write([record(2, seen_at=now - timedelta(days=45))], [])
    assert revisions(st) == [2]  # older than 30 days, but the latest
    st.write([record(3, seen_at=now - timedelta(days=10))], [])
    st.write([record(4, seen_at=now - timedelta(hours=1))], [])
    assert revisions(st) == [3, 4]


def test_the_retention_setting_is_checked_once_with_a_clear_line():
    assert parse_keep("all") == (None, None) and parse_keep(" ALL ") == (None, None)
    assert parse_keep("20") == (20, None) and parse_keep(20) == (20, None) and parse_keep("30d") == (None, 30)
    for bad in ("lots", "0", "-3", "30h", "1.5", "d", True):
        with pytest.raises(VersionsSettingError) as caught:
            parse_keep(bad)
        assert str(caught.value) == ("NEWSCRAWL_VERSIONS_KEEP must be all, a number of revisions per article like "
                                     f"20, or a number of days like 30d; got {bad!r}")
    result = run_scrapy("replay", "-s", "NEWSCRAWL_VERSIONS_KEEP=lots", timeout=60)
    assert result.returncode == 2
    assert result.stderr.splitlines() == ["replay: NEWSCRAWL_VERSIONS_KEEP must be all, a number of revisions per "
                                          "article like 20, or a number of days like 30d; got 'lots'"]
    assert "Traceback" not in result.stderr


# -- one batch, faults -------------------------------------------------------------------------------------------

def test_sqlite_a_refused_article_leaves_no_version_and_the_rest_of_the_batch_is_written(tmp_path):
    st = SQLiteStore(tmp_path / "state.sqlite3")
    st.open()
    try:
        refused_key = f"heute:{MIRROR_IDS[1]}"
        st.conn.execute(f"CREATE TRIGGER refuse BEFORE INSERT ON articles WHEN NEW.key = '{refused_key}'"
                        " BEGIN SELECT RAISE(ABORT, 'refused by the test'); END")
        with pytest.raises(StoreWriteError) as caught:
            st.write([record(1), record(1, article_id=MIRROR_IDS[1])], [])
        assert [r.key for r in caught.value.records] == [refused_key]
        assert revisions(st) == [1] and st.versions(refused_key) == [] and st.get(refused_key) is None
    finally:
        st.close()


KILL_IN_TRANSACTION = """
import os, signal, sys
sys.path.insert(0, {project!r})
from newscrawl.store import SQLiteStore
from tests.store.test_versions import record
st = SQLiteStore({path!r})
st.open()
st.write([record(1)], [])
def trace(statement):
    if statement.lstrip().startswith("INSERT INTO article_versions"):
        os.kill(os.getpid(), signal.SIGKILL)  # the article of revision 2 is written, its version not yet
st.conn.set_trace_callback(trace)
st.write([record(2)], [])
"""


def test_sqlite_a_writer_killed_between_article_and_version_leaves_neither(tmp_path):
    path = tmp_path / "state.sqlite3"
    code = KILL_IN_TRANSACTION.format(project=str(PROJECT), path=str(path))
    proc = subprocess.run([sys.executable, "-c", code], cwd=PROJECT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    st = SQLiteStore(path)
    st.open()
    try:
        assert st.get(KEY)["revision"] == 1 and revisions(st) == [1]
    finally:
        st.close()


class KillAfterVersions(monitoring.CommandListener):
    """Kills the armed server (SIGKILL) as soon as it has acknowledged a write to ``article_versions``: the
    batch's versions are stored, its articles not yet. Registered for every client; idle unless armed."""

    def __init__(self):
        self.proc: subprocess.Popen | None = None
        self.requests: set[int] = set()
        self.lock = threading.Lock()

    def started(self, event):
        if self.proc is not None and event.command.get(event.command_name) == "article_versions" \
                and event.command_name in ("insert", "update"):
            self.requests.add(event.request_id)

    def succeeded(self, event):
        with self.lock:
            if self.proc is not None and event.request_id in self.requests:
                proc, self.proc = self.proc, None
                proc.kill()
                proc.wait(timeout=10)

    def failed(self, event):
        pass


KILLER = KillAfterVersions()
monitoring.register(KILLER)


def test_mongodb_killed_after_the_versions_and_before_the_articles_leaves_no_revision_without_its_version(
        dedicated_mongo, tmp_path):
    uri = dedicated_mongo.start()
    db = "versions_kill"
    st = MongoStore(uri, database=db, connect_timeout_ms=300, retries=0)
    spool = Spool(tmp_path / "spool.jsonl")
    client = StoreClient(st, spool, buffer_size=100)
    batch = [record(2), record(1, article_id=MIRROR_IDS[1])]

    async def crawl_batch():
        await client.acquire()
        for rec in batch:
            await client.add(rec)
        KILLER.proc = dedicated_mongo.proc
        try:
            return await client.release()  # the final flush: versions written, then the server dies
        finally:
            KILLER.proc = None

    seed = MongoStore(uri, database=db)
    seed.open()
    seed.write([record(1)], [])
    seed.close()
    result = asyncio.run(crawl_batch())
    assert result.failed and result.spooled == 2 and result.written == 0
    assert not dedicated_mongo.running

    dedicated_mongo.start()
    with MongoClient(uri) as mongo:
        versions = {(v["key"], v["revision"]) for v in mongo[db]["article_versions"].find()}
        articles = {a["key"]: a["revision"] for a in mongo[db]["articles"].find()}
    assert versions == {(KEY, 1), (KEY, 2), (f"heute:{MIRROR_IDS[1]}", 1)}  # acknowledged before the kill
    assert articles == {KEY: 1}  # the articles were not written: nothing points at a missing version

    st = MongoStore(uri, database=db)
    st.open()
    try:
        outcome = replay(spool, st)  # the spool's items through dedup: the same revisions, the same content
        assert (outcome.written, outcome.remaining) == (2, 0)
        for key in (KEY, f"heute:{MIRROR_IDS[1]}"):
            doc = st.get(key)
            by_revision = {v["revision"]: v for v in st.versions(key)}
            assert sorted(by_revision) == list(range(1, doc["revision"] + 1))
            assert by_revision[doc["revision"]]["content_hash"] == doc["content_hash"]
        assert revisions(st) == [1, 2]
    finally:
        st.close()


def test_mongodb_a_writer_that_lost_a_race_does_not_overwrite_the_version_of_the_revision_it_lost(mongo_db):
    uri, db = mongo_db
    st = MongoStore(uri, database=db)
    st.open()
    try:
        st.write([record(1)], [])
        st.write([record(2)], [])  # worker A stores revision 2
        late = record(2, edit=" (worker B)", seen_at=T0 + timedelta(hours=5))  # B decided on a stale lookup
        st.write([late], [])
        assert st.get(KEY)["revision"] == 3
        by_revision = {v["revision"]: v for v in st.versions(KEY)}
        assert sorted(by_revision) == [1, 2, 3]
        assert by_revision[2]["content_hash"] == record(2).content_hash  # A's, untouched
        assert by_revision[3]["content_hash"] == late.content_hash == st.get(KEY)["content_hash"]

        stale_older = record(2, edit=" (worker C)", seen_at=T0)  # fetched before what is stored: superseded
        st.write([stale_older], [])
        assert st.get(KEY)["revision"] == 3 and revisions(st) == [1, 2, 3]
        assert st.versions(KEY)[1]["content_hash"] == record(2).content_hash
    finally:
        st.close()


def test_mongodb_a_dead_writers_version_is_taken_over_once_old_and_waited_for_while_young(mongo_db):
    uri, db = mongo_db
    st = MongoStore(uri, database=db, retries=1, retry_backoff=0.01)
    st.open()
    try:
        st.write([record(1)], [])
        orphan = {"key": KEY, "revision": 2, "seen_at": stamp(T0), "content_hash": "from-a-dead-writer", "fields": {},
                  "changes": None, "written_at": stamp(datetime.now(timezone.utc))}
        st.version_log.collection.insert_one(dict(orphan))
        with pytest.raises(StoreWriteError) as caught:  # young: its article may still come; tried again later
            st.write([record(2)], [])
        assert [r.key for r in caught.value.records] == [KEY] and not caught.value.reasons
        assert st.get(KEY)["revision"] == 1

        st.version_log.collection.update_one({"key": KEY, "revision": 2}, {"$set": {
            "written_at": stamp(datetime.now(timezone.utc) - timedelta(seconds=st.version_log.orphan_age + 1))}})
        st.write([record(2)], [])  # old: its writer is gone, the revision is ours
        assert st.get(KEY)["revision"] == 2
        assert [v["content_hash"] for v in st.versions(KEY)] == [record(1).content_hash, record(2).content_hash]
    finally:
        st.close()


# -- the write paths: the crawl's and the replay's -----------------------------------------------------------------

def test_replay_writes_versions(open_store, tmp_path):
    st = open_store()
    spool = Spool(tmp_path / "spool.jsonl")
    spool.append_items([{**article(1), "revision": None}, {**article(2), "revision": None}])  # dedup could not ask
    result = replay(spool, st)
    assert (result.written, result.remaining) == (2, 0)
    assert revisions(st) == [1, 2]
    assert [v["content_hash"] for v in st.versions(KEY)] == [article(1)["content_hash"], article(2)["content_hash"]]
    assert st.versions(KEY)[1]["changes"] == article(2)["changes"]


def test_crawls_store_a_version_per_new_or_changed_article_and_none_for_unchanged_ones(store_pair, mirror_copy,
                                                                                      tmp_path):
    env, make = store_pair
    with serve(mirror_copy) as base:
        first, _ = crawl(base, env, tmp_path / "1.jsonl")
        crawl(base, env, tmp_path / "2.jsonl")  # nothing changed
        change_one_paragraph(mirror_copy, CHANGED_ID)
        third, _ = crawl(base, env, tmp_path / "3.jsonl")
    st = make()
    st.open()
    try:
        for it in first:
            key = f"heute:{it['article_id']}"
            expected = [1, 2] if it["article_id"] == CHANGED_ID else [1]
            assert revisions(st, key) == expected, key
            assert st.versions(key)[0]["content_hash"] == it["content_hash"]
        v1, v2 = st.versions(f"heute:{CHANGED_ID}")
        assert v2["content_hash"] == third[0]["content_hash"] == st.get(f"heute:{CHANGED_ID}")["content_hash"]
        assert v2["changes"] == third[0].get("changes")
        assert [p for p in v2["fields"]["body"] if p not in v1["fields"]["body"]] != []
        changed = st.changed_since(v1["seen_at"])
        assert [(c["key"], c["revision"]) for c in changed] == [(f"heute:{CHANGED_ID}", 2)]
        assert changed[0]["url"] == third[0]["url"]
        assert st.key_for_url(third[0]["url"]) == f"heute:{CHANGED_ID}"
    finally:
        st.close()


def test_store_client_document_reads_the_stored_article_or_answers_unknown(dedicated_mongo):
    uri = dedicated_mongo.start()
    st = MongoStore(uri, database="document", connect_timeout_ms=300, retries=0)
    client = StoreClient(st, Spool(dedicated_mongo.data / "spool.jsonl"), retry_interval=60)

    async def scenario():
        before_open = await client.document(KEY)
        await client.acquire()
        await client.add(record(1))
        await client.flush()
        stored, missing = await client.document(KEY), await client.document("heute:0")
        dedicated_mongo.stop()
        down = await client.document(KEY)
        lookup_down = await client.lookup(KEY)  # the breaker is open: answered at once
        await client.release()
        return before_open, stored, missing, down, lookup_down

    before_open, stored, missing, down, lookup_down = asyncio.run(scenario())
    assert before_open is UNKNOWN and missing is None and down is UNKNOWN and lookup_down is UNKNOWN
    assert stored["key"] == KEY and stored["revision"] == 1 and stored["headline"] == article(1)["headline"]


def test_replay_classifies_as_the_crawl_does_cosmetic_is_no_revision_and_a_change_has_its_diff(open_store, tmp_path):
    st = open_store()
    first = article(1)
    older = build_record({**first, "content_hash": "0" * 64}, first["fetched_at"])  # a hash from before the rules
    st.write([older], [])
    spool = Spool(tmp_path / "spool.jsonl")
    cosmetic = {**first, "headline": "  " + first["headline"].replace(" ", "\u00a0 ", 1) + "\n", "revision": None}
    spool.append_items([cosmetic])
    result = replay(spool, st)
    assert result.remaining == 0 and revisions(st) == [1]  # only the sighting: no revision 2
    assert st.get(KEY)["revision"] == 1

    edited = {**first, "headline": first["headline"] + " – Täter gefasst", "revision": None, "changes": None}
    spool.append_items([edited])
    replay(spool, st)
    assert revisions(st) == [1, 2]
    assert st.versions(KEY)[1]["changes"] == {"headline": {"old": first["headline"],
                                                            "new": first["headline"] + " – Täter gefasst"}}

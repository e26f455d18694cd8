"""Two crawler processes (separate MongoStore clients) writing the same article at the same moment must leave
exactly one article document and one document per gallery slide, each referencing the article once."""

from __future__ import annotations

import threading

import pytest
from pymongo import MongoClient

from newscrawl.records import content_hash
from newscrawl.store.base import build_record, gallery_entry_key
from newscrawl.store.mongo import MongoStore

ROUNDS = 20
JOIN_TIMEOUT = 20.0
SEEN_AT = "2024-05-01T10:00:00+00:00"


def make_item(article_id: str, revision: int = 1, body: str = "Der Text des Artikels.") -> dict:
    item = {
        "site": "heute",
        "article_id": article_id,
        "url": f"https://www.heute.at/s/artikel-{article_id}",
        "headline": f"Schlagzeile {article_id}",
        "body": body,
        "galleries": [{
            "title": "News des Tages",
            "size": 2,
            "entries": [
                {"position": 1, "linked_article_id": f"9{article_id}1", "image_url": "https://img.example/a.jpg",
                 "caption": "Erste"},
                {"position": 2, "linked_article_id": f"9{article_id}2", "image_url": "https://img.example/b.jpg",
                 "caption": "Zweite"},
            ],
        }],
        "fetched_at": SEEN_AT,
        "revision": revision,
    }
    item["content_hash"] = content_hash(item)
    return item


@pytest.fixture
def two_stores(mongo_db):
    uri, db = mongo_db
    stores = [MongoStore(uri, database=db, retry_backoff=0.05), MongoStore(uri, database=db, retry_backoff=0.05)]
    for store in stores:
        store.open()
    client = MongoClient(uri, serverSelectionTimeoutMS=5000)
    try:
        yield stores, client[db]
    finally:
        client.close()
        for store in stores:
            store.close()


def race(stores, records) -> list[BaseException]:
    """Each store writes its record right after a shared barrier; returns what escaped from the threads."""
    barrier = threading.Barrier(2, timeout=JOIN_TIMEOUT)
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker(store, record):
        try:
            barrier.wait()
            store.write([record], [])
        except BaseException as exc:  # noqa: BLE001 — reported by the test
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=worker, args=(s, r), daemon=True) for s, r in zip(stores, records)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(JOIN_TIMEOUT)
    hung = [t.name for t in threads if t.is_alive()]
    assert not hung, f"writer threads did not finish within {JOIN_TIMEOUT} s: {hung}"
    return errors


def check_entries(db, item, key):
    for entry in item["galleries"][0]["entries"]:
        ekey = gallery_entry_key(item["site"], entry)
        assert db["gallery_entries"].count_documents({"key": ekey}) == 1, ekey
        doc = db["gallery_entries"].find_one({"key": ekey})
        assert doc["articles"].count(key) == 1, (ekey, doc["articles"])


def test_same_article_written_concurrently_by_two_workers(two_stores):
    stores, db = two_stores
    for n in range(ROUNDS):
        item = make_item(f"1300{n:05d}")
        records = [build_record(item, SEEN_AT), build_record(item, SEEN_AT)]
        key = records[0].key
        errors = race(stores, records)
        assert not errors, f"round {n}: {errors!r}"
        assert db["articles"].count_documents({"key": key}) == 1, f"round {n}"
        doc = stores[0].get(key)
        assert doc["revision"] == 1
        assert doc["content_hash"] == item["content_hash"]
        assert doc["first_seen"] == SEEN_AT
        assert len(doc["history"]) == 1, f"round {n}: the same write recorded twice: {doc['history']}"
        check_entries(db, item, key)
    assert stores[1].count() == ROUNDS


def test_different_revisions_written_concurrently(two_stores):
    stores, db = two_stores
    for n in range(ROUNDS // 2):
        article_id = f"1310{n:05d}"
        v1 = make_item(article_id, revision=1, body="Erste Fassung.")
        v2 = make_item(article_id, revision=2, body="Zweite, korrigierte Fassung.")
        assert v1["content_hash"] != v2["content_hash"]
        records = [build_record(v1, SEEN_AT), build_record(v2, SEEN_AT)]
        key = records[0].key
        errors = race(stores, records)
        assert not errors, f"round {n}: {errors!r}"
        assert db["articles"].count_documents({"key": key}) == 1, f"round {n}"
        doc = stores[0].get(key)
        # Whichever lands first, the newer revision is what stays: revision 1 never overwrites revision 2.
        assert (doc["revision"], doc["content_hash"], doc["body"]) == (2, v2["content_hash"], v2["body"]), f"round {n}"
        assert doc["history"][-1] == {"content_hash": v2["content_hash"], "revision": 2, "seen_at": SEEN_AT}
        assert len(doc["history"]) in (1, 2)  # [v2] if it came first, else [v1, v2]
        check_entries(db, v1, key)


def stored(db, key) -> tuple:
    doc = db["articles"].find_one({"key": key})
    return doc["revision"], doc["body"], [(h["revision"], h["seen_at"]) for h in doc["history"]], doc["last_seen"]


def test_a_write_decided_on_a_stale_lookup_never_replaces_a_newer_fetch(two_stores):
    """Worker A stores revision 2 fetched at 10:05; worker B, which looked the article up before that, then
    writes its own revision 2 (other text) fetched at 10:01: A's stays, B's is dropped as superseded."""
    stores, db = two_stores
    article_id = "132000001"
    stores[0].write([build_record(make_item(article_id, 1, "Erste Fassung."), "2024-05-01T09:00:00+00:00")], [])
    newer = make_item(article_id, 2, "Fassung um 10:05.")
    stores[0].write([build_record(newer, "2024-05-01T10:05:00+00:00")], [])
    stale = make_item(article_id, 2, "Fassung um 10:01.")
    assert stores[1].write([build_record(stale, "2024-05-01T10:01:00+00:00")], []) == 1
    assert stored(db, "heute:" + article_id) == (
        2, "Fassung um 10:05.", [(1, "2024-05-01T09:00:00+00:00"), (2, "2024-05-01T10:05:00+00:00")],
        "2024-05-01T10:05:00+00:00")


def test_of_two_different_contents_with_one_revision_the_later_fetch_becomes_the_next_revision(two_stores):
    stores, db = two_stores
    article_id = "132000002"
    stores[0].write([build_record(make_item(article_id, 1, "Erste Fassung."), "2024-05-01T09:00:00+00:00")], [])
    stores[0].write([build_record(make_item(article_id, 2, "Fassung um 10:01."), "2024-05-01T10:01:00+00:00")], [])
    later = make_item(article_id, 2, "Fassung um 10:05.")  # also decided as revision 2, on the 09:00 lookup
    stores[1].write([build_record(later, "2024-05-01T10:05:00+00:00")], [])
    assert stored(db, "heute:" + article_id) == (
        3, "Fassung um 10:05.",
        [(1, "2024-05-01T09:00:00+00:00"), (2, "2024-05-01T10:01:00+00:00"), (3, "2024-05-01T10:05:00+00:00")],
        "2024-05-01T10:05:00+00:00")


def test_the_same_content_written_again_by_another_worker_only_moves_last_seen(two_stores):
    stores, db = two_stores
    article_id = "132000003"
    item = make_item(article_id, 1, "Der Text.")
    stores[0].write([build_record(item, "2024-05-01T09:00:00+00:00")], [])
    stores[1].write([build_record(item, "2024-05-01T09:30:00+00:00")], [])  # the same revision 1, seen later
    stores[1].write([build_record(item, "2024-05-01T09:10:00+00:00")], [])  # and earlier: last_seen stays
    assert stored(db, "heute:" + article_id) == (
        1, "Der Text.", [(1, "2024-05-01T09:00:00+00:00")], "2024-05-01T09:30:00+00:00")

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
        expected = {v1["content_hash"]: 1, v2["content_hash"]: 2}
        assert doc["content_hash"] in expected, f"round {n}: {doc['content_hash']}"
        assert doc["revision"] == expected[doc["content_hash"]], f"round {n}: hash and revision disagree"
        assert doc["body"] == (v1 if doc["revision"] == 1 else v2)["body"]
        check_entries(db, v1, key)

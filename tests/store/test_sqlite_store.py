"""The embedded store's slide-to-article links: one row per pair, in order, and files from before moved over."""

from __future__ import annotations

import json
import sqlite3

from newscrawl.records import content_hash
from newscrawl.store.base import build_record
from newscrawl.store.sqlite import SQLiteStore

SLIDES = [{"position": 1, "linked_article_id": "900001", "image_url": "https://img.example/a.jpg", "caption": "Erste"},
          {"position": 2, "linked_article_id": "900002", "image_url": "https://img.example/b.jpg", "caption": "Zweite"}]


def record(article_id: str, seen_at: str = "2025-01-05T10:00:00+00:00"):
    item = {"site": "heute", "article_id": article_id, "url": f"https://www.heute.at/s/a-{article_id}",
            "headline": f"Artikel {article_id}", "body": ["Text."], "revision": 1,
            "galleries": [{"title": None, "size": 2, "entries": [dict(e) for e in SLIDES]}]}
    item["content_hash"] = content_hash(item)
    return build_record(item, seen_at)


def test_a_slide_lists_every_article_once_in_the_order_seen(tmp_path):
    store = SQLiteStore(tmp_path / "s.sqlite3")
    store.open()
    try:
        store.write([record("100000001"), record("100000002")], [])
        store.write([record("100000003"), record("100000001", "2025-01-05T11:00:00+00:00")], [])
        entry = store.gallery_entry("heute:900001")
        assert entry["articles"] == ["heute:100000001", "heute:100000002", "heute:100000003"]
        assert (entry["caption"], entry["first_seen"], entry["last_seen"]) == (
            "Erste", "2025-01-05T10:00:00+00:00", "2025-01-05T11:00:00+00:00")
        rows = store.conn.execute("SELECT COUNT(*) FROM gallery_entry_articles").fetchone()[0]
        assert rows == 6  # 2 slides x 3 articles, no repeats
    finally:
        store.close()


def test_a_file_from_before_the_link_table_is_moved_over_when_opened(tmp_path):
    path = tmp_path / "old.sqlite3"
    old = sqlite3.connect(path)
    old.executescript("""
        CREATE TABLE articles (key TEXT PRIMARY KEY, content_hash TEXT NOT NULL, revision INTEGER NOT NULL,
            first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, history TEXT NOT NULL, doc TEXT NOT NULL);
        CREATE TABLE gallery_entries (key TEXT PRIMARY KEY, first_seen TEXT NOT NULL, last_seen TEXT NOT NULL,
            articles TEXT NOT NULL, doc TEXT NOT NULL);
    """)
    old.execute("INSERT INTO gallery_entries VALUES (?, ?, ?, ?, ?)",
                ("heute:900001", "2025-01-01T00:00:00+00:00", "2025-01-01T00:00:00+00:00",
                 json.dumps(["heute:100000009", "heute:100000002"]), json.dumps(SLIDES[0])))
    old.commit()
    old.close()
    store = SQLiteStore(path)
    store.open()
    try:
        assert store.gallery_entry("heute:900001")["articles"] == ["heute:100000009", "heute:100000002"]
        store.write([record("100000002"), record("100000003")], [])
        assert store.gallery_entry("heute:900001")["articles"] == [
            "heute:100000009", "heute:100000002", "heute:100000003"]
        assert store.gallery_entry("heute:900001")["first_seen"] == "2025-01-01T00:00:00+00:00"
    finally:
        store.close()
    again = SQLiteStore(path)  # opening again moves nothing twice
    again.open()
    try:
        assert again.gallery_entry("heute:900001")["articles"] == [
            "heute:100000009", "heute:100000002", "heute:100000003"]
    finally:
        again.close()

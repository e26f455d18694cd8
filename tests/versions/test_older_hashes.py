"""Articles stored with a content hash made before cosmetic differences were taken out of it: their next
sighting is compared field by field with the stored document (its gallery slides read back from the store)
and is unchanged when nothing but the hash differs — no revision, nothing exported, not fetched again and
again by incremental crawling. A real change to a slide is still one, with its changes. Both stores."""

from __future__ import annotations

import sqlite3

import pytest
from pymongo import MongoClient

from newscrawl.mirror import serve
from newscrawl.records import content_fields
from newscrawl.store import MongoStore, SQLiteStore
from tests.conftest import HEUTE_MIRROR, incremental_crawl as crawl, stat_of
from tests.versions.mirror_edits import expected, page, rewrite

GALLERY_ID, PLAIN_ID = "120053546", "120082094"  # a photo gallery of its own (37 slides); none
OLD_HASH = "0" * 64
CAPTION = "Festgenommen: Beran A. (19) – er soll einen Anschlag auf das Swift-Konzert geplant haben."
NEW_CAPTION = "Festgenommen: Beran A. (19) – er gestand, einen Anschlag auf das Swift-Konzert geplant zu haben."


@pytest.fixture(params=["sqlite", "mongodb"])
def store(request, tmp_path):
    """(env, function opening the store, function giving stored articles an older hash)."""
    if request.param == "sqlite":
        path = tmp_path / "state" / "state.sqlite3"

        def older_hash(keys):
            with sqlite3.connect(path) as conn:
                for key in keys:
                    assert conn.execute("UPDATE articles SET content_hash = ? WHERE key = ?", (OLD_HASH, key)).rowcount

        yield {"NEWSCRAWL_STATE": str(path)}, lambda: SQLiteStore(path), older_hash
    else:
        uri, db = request.getfixturevalue("mongo_db")

        def older_hash(keys):
            with MongoClient(uri, serverSelectionTimeoutMS=2000) as client:
                for key in keys:
                    assert client[db]["articles"].update_one({"key": key}, {"$set": {"content_hash": OLD_HASH}}).matched_count

        yield ({"MONGO_URI": uri, "MONGO_DATABASE": db, "NEWSCRAWL_STATE": str(tmp_path / "state" / "unused")},
               lambda: MongoStore(uri, database=db), older_hash)


RECHECK = ("-a", "recheck=100000d", "-a", "recheck_every=0")


def test_an_older_hash_of_the_same_content_is_no_change_and_a_slide_edit_is(store, mirror_copy, tmp_path):
    env, open_store, older_hash = store
    keys = [f"heute:{GALLERY_ID}", f"heute:{PLAIN_ID}"]
    with serve(mirror_copy) as base:
        crawl(base, env, tmp_path / "1.jsonl")
        older_hash(keys)
        quiet, log = crawl(base, env, tmp_path / "2.jsonl", *RECHECK)
        assert quiet == []
        assert stat_of(log, "newscrawl/dedup/cosmetic") == 2 and stat_of(log, "newscrawl/dedup/changed") == 0
        assert stat_of(log, "newscrawl/store/written") == 0

        _, log = crawl(base, env, tmp_path / "3.jsonl")  # no recheck: nothing new, nothing fetched again
        assert stat_of(log, "newscrawl/incremental/fetched") == 0, "a cosmetic sighting must not read as 'not stored'"

        rewrite(page(mirror_copy, GALLERY_ID), CAPTION, NEW_CAPTION, 2)  # the slide's caption, as text and HTML
        changed, log = crawl(base, env, tmp_path / "4.jsonl", *RECHECK)
    assert stat_of(log, "newscrawl/dedup/changed") == 1 and stat_of(log, "newscrawl/dedup/cosmetic") == 1
    [item] = changed
    slide = next(e for e in content_fields(expected(HEUTE_MIRROR, GALLERY_ID))["galleries"][0]["entries"]
                 if e["caption"] == CAPTION)
    assert item["article_id"] == GALLERY_ID and item["revision"] == 2
    assert item["changes"] == {"galleries": {"edited": [{"gallery": 1, "slides": {"edited": [{
        "image_url": slide["image_url"],
        "caption": {"old": CAPTION, "new": NEW_CAPTION}, "caption_html": {"old": CAPTION, "new": NEW_CAPTION}}]}}]}}
    st = open_store()
    st.open()
    try:
        assert [v["revision"] for v in st.versions(keys[0])] == [1, 2]
        assert [v["revision"] for v in st.versions(keys[1])] == [1]
        assert st.get(keys[1])["content_hash"] == OLD_HASH  # only its sightings were recorded
    finally:
        st.close()

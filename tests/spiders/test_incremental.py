"""Incremental crawling: the decision rules in-process, the store's sitemap state on both stores, and real
`scrapy crawl heute -s NEWSCRAWL_INCREMENTAL=1` runs against a copy of the mirror on the embedded SQLite
store and on a MongoDB-wire server (one parametrised set of tests over both)."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from pymongo import MongoClient

from newscrawl.incremental import Known, Policy, decide, known_from, parse_duration, parse_flag
from newscrawl.mirror import serve
from newscrawl.spiders.sites import HeuteSpider
from newscrawl.store import MongoStore, SQLiteStore
from tests.conftest import HEUTE_MIRROR, incremental_crawl as crawl, run_scrapy, stat_of

MIRROR_IDS = sorted(p.name.split(".")[0] for p in (HEUTE_MIRROR / "s").glob("*.expected.json"))
SITEMAP_ARTICLES = len(MIRROR_IDS) + 1  # and the one the sitemap lists but the mirror lacks (404)
MISSING_ID = "120078758"
CHANGED_ID = "100148088"  # in sitemap_1.xml, lastmod 2021-06-19T16:40:00+02:00
OTHER_ID = "120119705"  # in sitemap_2.xml
NOW = datetime(2026, 1, 10, 12, 0, tzinfo=timezone.utc)


# -- the rules --------------------------------------------------------------------------------------------

def test_durations_and_flags():
    assert parse_duration("2d") == timedelta(days=2)
    assert parse_duration("36h") == timedelta(hours=36)
    assert parse_duration("90m") == timedelta(minutes=90)
    assert parse_duration("45s") == timedelta(seconds=45)
    assert parse_duration("1w") == timedelta(days=7)
    assert parse_duration("1.5d") == timedelta(hours=36)
    assert parse_duration("0") == timedelta(0)
    assert parse_duration("") is None and parse_duration(None) is None and parse_duration("off") is None
    for bad in ("soon", "5", "2 days", "-1d"):
        with pytest.raises(ValueError, match="duration like 2d"):
            parse_duration(bad)
    assert parse_flag("1") is True and parse_flag("off") is False and parse_flag(None) is None
    with pytest.raises(ValueError, match="incremental must be 1 or 0"):
        parse_flag("maybe")


def test_spider_arguments_are_checked_at_once():
    with pytest.raises(ValueError, match="recheck must be a duration"):
        HeuteSpider(recheck="soon")
    with pytest.raises(ValueError, match="recheck_every must be a duration"):
        HeuteSpider(recheck="2d", recheck_every="often")
    with pytest.raises(ValueError, match="incremental must be 1 or 0"):
        HeuteSpider(incremental="perhaps")
    spider = HeuteSpider(incremental="1")
    assert spider.incremental_enabled
    assert spider.incremental_key("https://www.heute.at/s/slug-100148088/comments") == "heute:100148088"
    assert spider.incremental_key("https://www.heute.at/a/news-100000043") is None


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def known(lastmod="2025-01-01T10:00:00+01:00", fetched_at="2026-01-10T06:00:00+00:00", fetched_hash="h1",
          stored_hash="h1", published="2025-01-01T09:00:00+01:00") -> Known:
    return Known(lastmod and at(lastmod), fetched_at and at(fetched_at), fetched_hash, stored_hash,
                 published and at(published))


@pytest.mark.parametrize(("lastmod", "state", "policy", "expected"), [
    ("2025-01-01T10:00:00+01:00", None, Policy(), "new"),
    ("2025-01-01T10:00:00+01:00", known(), Policy(), "skip"),
    ("2025-01-01T09:00:00+00:00", known(), Policy(), "skip"),  # the same instant in UTC
    ("2025-01-01T10:00:01+01:00", known(), Policy(), "modified"),
    ("2024-12-31T10:00:00+01:00", known(), Policy(), "skip"),  # older than at the last fetch
    (None, known(), Policy(), "skip"),  # the sitemap gives no date: fetched once, then only rechecked
    ("2025-01-01T10:00:00+01:00", known(lastmod=None), Policy(), "modified"),
    ("2025-01-01T10:00:00+01:00", known(stored_hash=None), Policy(), "not_stored"),  # killed before the write
    ("2025-01-01T10:00:00+01:00", known(stored_hash="h0"), Policy(), "not_stored"),  # the old revision is stored
    ("2025-01-01T10:00:00+01:00", known(fetched_hash=None, stored_hash=None), Policy(), "skip"),  # a 404
    # recheck: published within the window and fetched at least recheck_every ago
    ("2025-01-01T10:00:00+01:00", known(published="2026-01-09T10:00:00+01:00"),
     Policy(recheck=timedelta(days=2), recheck_every=timedelta(hours=6)), "recheck"),
    ("2025-01-01T10:00:00+01:00", known(published="2026-01-09T10:00:00+01:00", fetched_at="2026-01-10T08:00:00+00:00"),
     Policy(recheck=timedelta(days=2), recheck_every=timedelta(hours=6)), "skip"),  # fetched 4 h ago
    ("2025-01-01T10:00:00+01:00", known(published="2026-01-07T10:00:00+01:00"),
     Policy(recheck=timedelta(days=2), recheck_every=timedelta(0)), "skip"),  # published 3 days ago
    ("2026-01-09T20:00:00+01:00", known(lastmod="2026-01-09T20:00:00+01:00", published=None, fetched_hash=None,
                                        stored_hash=None),
     Policy(recheck=timedelta(days=2), recheck_every=timedelta(0)), "recheck"),  # no article: the lastmod counts
])
def test_decide(lastmod, state, policy, expected):
    assert decide(lastmod and at(lastmod), state, policy, NOW) == expected


def test_known_from_the_state_row_or_from_an_article_stored_before_incremental_crawling():
    summaries = {"heute:1": {"content_hash": "h1", "published": "2025-01-01T09:00:00+01:00", "modified": None,
                             "last_seen": "2025-01-02T00:00:00+00:00"},
                 "heute:2": {"content_hash": "h2", "published": "2025-01-01T09:00:00+01:00",
                             "modified": "2025-01-03T09:00:00+01:00", "last_seen": "2025-01-04T00:00:00"}}
    state = {"lastmod": "2025-01-01T10:00:00+01:00", "fetched_at": "2025-01-02T00:00:00+00:00", "status": 200,
             "record_key": "heute:1", "content_hash": "h1"}
    assert known_from("heute:1", state, summaries) == known(fetched_at="2025-01-02T00:00:00+00:00")
    from_article = known_from("heute:2", None, summaries)
    assert from_article.lastmod == at("2025-01-03T09:00:00+01:00") and from_article.fetched_hash is None
    assert from_article.fetched_at == at("2025-01-04T00:00:00+00:00")
    assert decide(at("2025-01-03T09:00:00+01:00"), from_article, Policy(), NOW) == "skip"
    assert decide(at("2025-01-05T09:00:00+01:00"), from_article, Policy(), NOW) == "modified"
    assert known_from("heute:3", None, summaries) is None


# -- the store's sitemap state ----------------------------------------------------------------------------

@pytest.fixture(params=["sqlite", "mongodb"])
def store(request, tmp_path):
    """(env for the crawl, function opening the same store for reading, name)."""
    if request.param == "sqlite":
        path = tmp_path / "state" / "state.sqlite3"
        yield {"NEWSCRAWL_STATE": str(path)}, lambda: SQLiteStore(path), "sqlite"
    else:
        uri, db = request.getfixturevalue("mongo_db")
        yield ({"MONGO_URI": uri, "MONGO_DATABASE": db, "NEWSCRAWL_STATE": str(tmp_path / "state" / "unused")},
               lambda: MongoStore(uri, database=db), "mongodb")


def opened(open_store):
    st = open_store()
    st.open()
    return st


def test_sitemap_state_round_trip(store):
    _, open_store, _ = store
    st = opened(open_store)
    try:
        assert st.sitemap_states(["heute:1"]) == {}
        rows = [{"key": f"heute:{i}", "lastmod": "2025-01-01T10:00:00+01:00", "fetched_at": "2026-01-01T00:00:00+00:00",
                 "status": 200, "record_key": f"heute:{i}", "content_hash": f"h{i}"} for i in range(1200)]
        assert st.save_sitemap_states(rows) == 1200  # more keys than one IN (...) holds
        rows[5] = {**rows[5], "status": 404, "record_key": None, "content_hash": None}
        assert st.save_sitemap_states([rows[5]]) == 1
        found = st.sitemap_states([f"heute:{i}" for i in range(1300)])
        assert len(found) == 1200
        assert found["heute:5"] == {k: v for k, v in rows[5].items() if k != "key"}
        assert found["heute:1100"]["content_hash"] == "h1100"
        assert st.article_summaries(["heute:1"]) == {}
        assert st.count() == 0  # the articles are untouched
    finally:
        st.close()


# -- real crawls ------------------------------------------------------------------------------------------

def article_requests(log: str) -> int:
    """Requests of the run other than robots.txt, the sitemap index and the two rolling sitemaps."""
    return stat_of(log, "downloader/request_count") - 4


def bump_lastmod(mirror: Path, article_id: str, when: str) -> None:
    for sitemap in (mirror / "sitemap").glob("*.xml"):
        xml = sitemap.read_text(encoding="utf-8")
        new = re.sub(rf"(-{article_id}(?:/comments)?</loc>\s*<lastmod>)[^<]+", rf"\g<1>{when}", xml)
        if new != xml:
            sitemap.write_text(new, encoding="utf-8")
            return
    raise AssertionError(f"{article_id} not in the sitemaps")


def change_one_paragraph(mirror: Path, article_id: str) -> None:
    page = mirror / "s" / f"{article_id}.html"
    html = page.read_text(encoding="utf-8")
    expected = json.loads((mirror / "s" / f"{article_id}.expected.json").read_text(encoding="utf-8"))
    paragraph = next(p for p in expected["body"] if p in html)
    page.write_text(html.replace(paragraph, paragraph + " Korrektur: Die Zahlen wurden aktualisiert."),
                    encoding="utf-8")


def forget_article(env: dict, name: str, key: str) -> None:
    """Delete one stored article, as if the run that fetched it had been killed before the store's write."""
    if name == "sqlite":
        with sqlite3.connect(env["NEWSCRAWL_STATE"]) as conn:
            assert conn.execute("DELETE FROM articles WHERE key = ?", (key,)).rowcount == 1
    else:
        with MongoClient(env["MONGO_URI"], serverSelectionTimeoutMS=2000) as client:
            assert client[env["MONGO_DATABASE"]]["articles"].delete_one({"key": key}).deleted_count == 1


def test_second_run_fetches_no_article_and_a_newer_lastmod_exactly_one(store, mirror_copy, tmp_path):
    env, open_store, name = store
    with serve(mirror_copy) as base:
        first, log1 = crawl(base, env, tmp_path / "1.jsonl")
        assert sorted(it["article_id"] for it in first) == MIRROR_IDS
        assert stat_of(log1, "newscrawl/incremental/fetched") == SITEMAP_ARTICLES
        assert stat_of(log1, "newscrawl/incremental/fetched/new") == SITEMAP_ARTICLES
        assert stat_of(log1, "newscrawl/incremental/skipped") == 0
        assert stat_of(log1, "newscrawl/incremental/recorded") == SITEMAP_ARTICLES  # the 404 included
        assert stat_of(log1, "newscrawl/dedup/new") == len(MIRROR_IDS)
        assert article_requests(log1) == SITEMAP_ARTICLES

        second, log2 = crawl(base, env, tmp_path / "2.jsonl")
        assert second == []
        assert article_requests(log2) == 0  # robots.txt and the three sitemaps only
        assert stat_of(log2, "newscrawl/incremental/fetched") == 0
        assert stat_of(log2, "newscrawl/incremental/skipped") == SITEMAP_ARTICLES
        assert stat_of(log2, "newscrawl/articles_extracted") == 0

        bump_lastmod(mirror_copy, CHANGED_ID, "2025-11-01T09:00:00+01:00")
        change_one_paragraph(mirror_copy, CHANGED_ID)
        third, log3 = crawl(base, env, tmp_path / "3.jsonl")
        assert [it["article_id"] for it in third] == [CHANGED_ID] and third[0]["revision"] == 2
        assert article_requests(log3) == 1
        assert stat_of(log3, "newscrawl/incremental/fetched") == 1
        assert stat_of(log3, "newscrawl/incremental/fetched/modified") == 1
        assert stat_of(log3, "newscrawl/incremental/skipped") == SITEMAP_ARTICLES - 1
        assert stat_of(log3, "newscrawl/dedup/changed") == 1

        bump_lastmod(mirror_copy, OTHER_ID, "2025-11-02T09:00:00+01:00")  # a new lastmod, the same text
        fourth, log4 = crawl(base, env, tmp_path / "4.jsonl")
        assert fourth == [] and article_requests(log4) == 1
        assert stat_of(log4, "newscrawl/dedup/unchanged") == 1

        forget_article(env, name, f"heute:{OTHER_ID}")  # its state row says fetched, the store lacks it
        fifth, log5 = crawl(base, env, tmp_path / "5.jsonl")
        assert [it["article_id"] for it in fifth] == [OTHER_ID]
        assert stat_of(log5, "newscrawl/incremental/fetched/not_stored") == 1 and article_requests(log5) == 1

        _, log6 = crawl(base, env, tmp_path / "6.jsonl")
        assert article_requests(log6) == 0
    st = opened(open_store)
    try:
        assert st.count() == len(MIRROR_IDS)
        states = st.sitemap_states([f"heute:{i}" for i in [*MIRROR_IDS, MISSING_ID]])
        assert len(states) == SITEMAP_ARTICLES
        assert states[f"heute:{MISSING_ID}"]["status"] == 404 and states[f"heute:{MISSING_ID}"]["content_hash"] is None
        changed = states[f"heute:{CHANGED_ID}"]
        assert changed["lastmod"] == "2025-11-01T09:00:00+01:00"
        assert changed["content_hash"] == st.get(f"heute:{CHANGED_ID}")["content_hash"] == third[0]["content_hash"]
    finally:
        st.close()


def test_recheck_catches_a_silent_update(store, mirror_copy, tmp_path):
    env, _, _ = store
    with serve(mirror_copy) as base:
        crawl(base, env, tmp_path / "1.jsonl")
        change_one_paragraph(mirror_copy, CHANGED_ID)  # edited without a new lastmod
        quiet, log2 = crawl(base, env, tmp_path / "2.jsonl")
        assert quiet == [] and article_requests(log2) == 0  # not caught without recheck

        everything = "100000d"
        caught, log3 = crawl(base, env, tmp_path / "3.jsonl", "-a", f"recheck={everything}", "-a", "recheck_every=0")
        assert [it["article_id"] for it in caught] == [CHANGED_ID] and caught[0]["revision"] == 2
        assert stat_of(log3, "newscrawl/incremental/fetched/recheck") == SITEMAP_ARTICLES
        assert stat_of(log3, "newscrawl/dedup/changed") == 1
        assert stat_of(log3, "newscrawl/dedup/unchanged") == len(MIRROR_IDS) - 1

        _, log4 = crawl(base, env, tmp_path / "4.jsonl", "-a", f"recheck={everything}")  # every 6 h by default
        assert article_requests(log4) == 0

        # A window that holds only the articles published since 2025-01-01 (three in the mirror).
        days = (datetime.now(timezone.utc) - datetime(2025, 1, 1, tzinfo=timezone.utc)).days
        _, log5 = crawl(base, env, tmp_path / "5.jsonl", "-a", f"recheck={days}d", "-a", "recheck_every=0")
        assert stat_of(log5, "newscrawl/incremental/fetched/recheck") == 3 and article_requests(log5) == 3


def test_a_store_filled_before_incremental_crawling_is_used(mirror_copy, tmp_path):
    env = {"NEWSCRAWL_STATE": str(tmp_path / "state.sqlite3")}
    with serve(mirror_copy) as base:
        result = run_scrapy("crawl", "heute", "-a", f"base_url={base}", "-O", str(tmp_path / "0.jsonl"), env=env)
        assert result.returncode == 0, result.stderr[-3000:]
        assert "newscrawl/incremental" not in result.stderr  # off for a plain crawl
        _, log = crawl(base, env, tmp_path / "1.jsonl")
    # Stored articles count as fetched at their own modified (else published) date, which the mirror's
    # lastmod repeats; only the 404 page, which left nothing in the store, is new.
    assert stat_of(log, "newscrawl/incremental/fetched/new") == 1
    assert stat_of(log, "newscrawl/incremental/skipped") + stat_of(log, "newscrawl/incremental/fetched") == SITEMAP_ARTICLES
    assert stat_of(log, "newscrawl/incremental/skipped") >= len(MIRROR_IDS) - 3

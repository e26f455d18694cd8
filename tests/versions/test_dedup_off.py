"""NEWSCRAWL_DEDUP_ENABLED=0, from -s and from the environment: every item is exported (unchanged ones too),
and the store pipeline stores new and changed ones as revisions (with their changes) instead of failing on a
null content hash. Real crawls of a copy of the mirror."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from newscrawl.mirror import serve
from newscrawl.store import MongoStore, SQLiteStore
from tests.conftest import HEUTE_MIRROR, read_jsonl, run_scrapy
from tests.versions.mirror_edits import change_headline, expected

MIRROR_IDS = sorted(p.name.split(".")[0] for p in (HEUTE_MIRROR / "s").glob("*.expected.json"))
EDITED = "100148088"
HEADLINE = "Höchste Unwetter-Warnstufe jetzt in ganz Österreich"


@pytest.fixture(params=[("sqlite", "-s"), ("sqlite", "environment"), ("mongodb", "environment")],
                ids=["sqlite-s", "sqlite-env", "mongodb-env"])
def setup(request, tmp_path):
    """(env, extra arguments that switch dedup off, function opening the store)."""
    kind, how = request.param
    if kind == "sqlite":
        path = tmp_path / "state" / "state.sqlite3"
        env, open_store = {"NEWSCRAWL_STATE": str(path)}, (lambda: SQLiteStore(path))
    else:
        uri, db = request.getfixturevalue("mongo_db")
        env = {"MONGO_URI": uri, "MONGO_DATABASE": db, "NEWSCRAWL_STATE": str(tmp_path / "state" / "unused")}
        open_store = lambda: MongoStore(uri, database=db)  # noqa: E731
    if how == "environment":
        return {**env, "NEWSCRAWL_DEDUP_ENABLED": "0"}, (), env, open_store
    return env, ("-s", "NEWSCRAWL_DEDUP_ENABLED=0"), env, open_store


def stat(log: str, name: str) -> int:
    m = re.search(rf"'newscrawl/{re.escape(name)}': (\d+)", log)
    return int(m.group(1)) if m else 0


def crawl(base: str, env: dict, out: Path, *args: str) -> tuple[list[dict], str]:
    result = run_scrapy("crawl", "heute", "-a", f"base_url={base}", *args, "-O", str(out), env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert " ERROR: " not in result.stderr, result.stderr[-3000:]
    return read_jsonl(out), result.stderr


def test_dedup_off_exports_everything_and_stores_revisions(setup, mirror_copy, tmp_path):
    env, off, dedup_on_env, open_store = setup
    with serve(mirror_copy) as base:
        first, log1 = crawl(base, env, tmp_path / "1.jsonl", *off)
        assert "Disabled newscrawl.pipelines.dedup.DedupPipeline: NEWSCRAWL_DEDUP_ENABLED is off" in log1
        assert sorted(it["article_id"] for it in first) == MIRROR_IDS
        assert {(it["revision"], it["changes"]) for it in first} == {(1, None)}
        assert stat(log1, "store/written") == len(MIRROR_IDS) and stat(log1, "store/spooled") == 0

        again, log2 = crawl(base, env, tmp_path / "2.jsonl", *off)
        assert sorted(it["article_id"] for it in again) == MIRROR_IDS  # unchanged ones are exported too
        assert {it["revision"] for it in again} == {1}
        assert stat(log2, "store/written") == 0 and stat(log2, "dedup/unchanged") == len(MIRROR_IDS)

        old = expected(HEUTE_MIRROR, EDITED)["headline"]
        change_headline(mirror_copy, EDITED, HEADLINE)
        third, log3 = crawl(base, env, tmp_path / "3.jsonl", *off)
        assert len(third) == len(MIRROR_IDS) and stat(log3, "store/written") == 1
        changed = [it for it in third if it["revision"] != 1]
        assert [(it["article_id"], it["revision"], it["changes"]) for it in changed] == [
            (EDITED, 2, {"headline": {"old": old, "new": HEADLINE}})]

        with_dedup, _ = crawl(base, dedup_on_env, tmp_path / "4.jsonl")  # dedup on again: the store is consistent
        assert with_dedup == []
    st = open_store()
    st.open()
    try:
        assert [v["revision"] for v in st.versions(f"heute:{EDITED}")] == [1, 2]
        assert st.get(f"heute:{EDITED}")["headline"] == HEADLINE and st.count() == len(MIRROR_IDS)
    finally:
        st.close()

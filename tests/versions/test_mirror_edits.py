"""Article versions on the mirror, with real edits: crawl, edit the pages as heute's editors do (an "Update
um" paragraph, a new headline, another lead image; and changes that are only cosmetic), re-crawl with
recheck, and read what `scrapy history` and `scrapy changes` say. Both stores."""

from __future__ import annotations

import json
import re

from newscrawl.mirror import serve
from newscrawl.records import content_fields
from tests.conftest import HEUTE_MIRROR, incremental_crawl as crawl, run_scrapy, stat_of
from tests.versions.mirror_edits import (UPDATE, add_update_paragraph, change_headline, cosmetic_only, expected,
                                         replace_lead_image, whitespace_only)

MIRROR_IDS = sorted(p.name.split(".")[0] for p in (HEUTE_MIRROR / "s").glob("*.expected.json"))
BODY_ID, HEADLINE_ID, IMAGE_ID, WHITESPACE_ID, COSMETIC_ID = "120082094", "120119705", "120040978", "120014860", "100283517"
NEW_HEADLINE = "Imbiss-Randale in Favoriten – Verkäufer mit Messer bedroht, Täter gefasst"
NEW_IMAGE = "5b1f0c8e-2d7a-4c11-9e3b-7a6c0d9e8f21"


def scrapy(env: dict, *args: str):
    return run_scrapy(*args, env=env, timeout=120)


def image_url(article_id: str, name: str | None = None) -> str:
    url = content_fields(expected(HEUTE_MIRROR, article_id))["lead_image"]["url"]
    return url if name is None else re.sub(r"[0-9a-f-]{36}(?=\.jpeg)", name, url)


def test_history_shows_exactly_the_three_edits_and_no_revision_for_cosmetic_ones(store_pair, mirror_copy, tmp_path):
    env, open_store = store_pair
    with serve(mirror_copy) as base:
        first, _ = crawl(base, env, tmp_path / "1.jsonl")
        assert sorted(it["article_id"] for it in first) == MIRROR_IDS
        assert all(it["changes"] is None for it in first)

        add_update_paragraph(mirror_copy, BODY_ID)
        change_headline(mirror_copy, HEADLINE_ID, NEW_HEADLINE)
        replace_lead_image(mirror_copy, IMAGE_ID, NEW_IMAGE)
        whitespace_only(mirror_copy, WHITESPACE_ID)
        cosmetic_only(mirror_copy, COSMETIC_ID)  # keywords re-ordered, utm_source on the lead image's URL
        second, log = crawl(base, env, tmp_path / "2.jsonl", "-a", "recheck=100000d", "-a", "recheck_every=0")

    assert stat_of(log, "newscrawl/incremental/fetched/recheck") >= len(MIRROR_IDS)  # every article fetched again
    assert stat_of(log, "newscrawl/dedup/changed") == 3 and stat_of(log, "newscrawl/dedup/unchanged") == len(MIRROR_IDS) - 3
    assert stat_of(log, "newscrawl/store/written") == 3
    changes = {it["article_id"]: it["changes"] for it in second}
    body = expected(HEUTE_MIRROR, BODY_ID)["body"]
    assert changes == {
        BODY_ID: {"body": {"added": [{"paragraph": len(body) + 1, "text": UPDATE}]}},
        HEADLINE_ID: {"headline": {"old": expected(HEUTE_MIRROR, HEADLINE_ID)["headline"], "new": NEW_HEADLINE}},
        IMAGE_ID: {"lead_image": {"old": image_url(IMAGE_ID), "new": image_url(IMAGE_ID, NEW_IMAGE)}},
    }
    assert {it["revision"] for it in second} == {2}

    # scrapy history, by key and by URL (another spelling of it than the one stored)
    for article_id, field in ((BODY_ID, "body"), (HEADLINE_ID, "headline"), (IMAGE_ID, "lead_image")):
        result = scrapy(env, "history", f"heute:{article_id}", "--json")
        assert result.returncode == 0, result.stderr[-2000:]
        history = json.loads(result.stdout)
        assert [(r["revision"], r["changed"]) for r in history["revisions"]] == [(1, []), (2, [field])]
        assert history["revisions"][1]["changes"] == changes[article_id]
        assert history["revisions"][0]["seen_at"] < history["revisions"][1]["seen_at"]
    url = next(it["url"] for it in first if it["article_id"] == HEADLINE_ID)
    text = scrapy(env, "history", url.replace("://www.", "://") + "?utm_source=twitter")
    assert text.returncode == 0, text.stderr[-2000:]
    lines = text.stdout.splitlines()
    assert lines[0].startswith(f"heute:{HEADLINE_ID}  ") and lines[1] == f"  {NEW_HEADLINE}"
    assert [line.split("  ")[0] for line in lines if line.startswith("revision")] == ["revision 1", "revision 2"]
    assert lines[-2].endswith("changed: headline")
    assert lines[-1] == f'  headline: "{expected(HEUTE_MIRROR, HEADLINE_ID)["headline"]}" → "{NEW_HEADLINE}"'
    for article_id in (WHITESPACE_ID, COSMETIC_ID):
        quiet = scrapy(env, "history", f"heute:{article_id}", "--json")
        assert [r["revision"] for r in json.loads(quiet.stdout)["revisions"]] == [1]

    # scrapy changes: the three articles, with their fields
    listed = scrapy(env, "changes", "--since", "1h", "--json")
    assert listed.returncode == 0, listed.stderr[-2000:]
    assert sorted((c["key"], c["revision"], c["changed"][0]) for c in json.loads(listed.stdout)["changes"]) == sorted([
        (f"heute:{BODY_ID}", 2, "body"), (f"heute:{HEADLINE_ID}", 2, "headline"), (f"heute:{IMAGE_ID}", 2, "lead_image")])
    st = open_store()
    st.open()
    try:
        assert {k: len(st.versions(f"heute:{k}")) for k in MIRROR_IDS} == {
            k: 2 if k in (BODY_ID, HEADLINE_ID, IMAGE_ID) else 1 for k in MIRROR_IDS}
    finally:
        st.close()


def test_unknown_article_and_bad_arguments_are_one_line(store_pair, tmp_path, heute_mirror):
    env, _ = store_pair
    crawl(heute_mirror, env, tmp_path / "1.jsonl")
    missing = scrapy(env, "history", "heute:999999999")
    assert missing.returncode == 1 and missing.stdout == ""
    assert missing.stderr.strip().splitlines()[-1].startswith("history: no stored article has the key 'heute:999999999'")
    by_url = scrapy(env, "history", "https://www.heute.at/s/nichts-999999999")
    assert by_url.returncode == 1 and "no stored article has the URL" in by_url.stderr
    usage = scrapy(env, "history")
    assert usage.returncode == 2 and "one article key or URL" in usage.stderr
    since = scrapy(env, "changes", "--since", "yesterday")
    assert since.returncode == 2 and since.stderr.strip().splitlines()[-1].startswith("changes: --since must be")
    nothing = scrapy(env, "changes", "--since", "2020-01-01")
    assert nothing.returncode == 0 and nothing.stdout.startswith("no stored article changed since 2020-01-01 00:00:00 UTC")

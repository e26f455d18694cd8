"""Dedup and store end to end: real `scrapy crawl heute` runs against a copy of the mirror, writing to the
embedded SQLite store and to a real MongoDB-wire server (one parametrised set of tests over both)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from newscrawl.mirror import serve
from tests.conftest import HEUTE_MIRROR, read_jsonl, run_scrapy

MIRROR_IDS = sorted(p.name.split(".")[0] for p in (HEUTE_MIRROR / "s").glob("*.expected.json"))
CHANGED_ID = "100148088"


def change_one_paragraph(mirror: Path, article_id: str) -> None:
    """Edit one body paragraph of a mirror article, as an editor's correction would."""
    page = mirror / "s" / f"{article_id}.html"
    html = page.read_text(encoding="utf-8")
    expected = json.loads((mirror / "s" / f"{article_id}.expected.json").read_text(encoding="utf-8"))
    paragraph = next(p for p in expected["body"] if p in html)
    page.write_text(html.replace(paragraph, paragraph + " Korrektur: Die Zahlen wurden aktualisiert."),
                    encoding="utf-8")


def crawl(base_url: str, env: dict, out: Path) -> tuple[list[dict], str]:
    result = run_scrapy("crawl", "heute", "-a", f"base_url={base_url}", "-O", str(out), env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    return read_jsonl(out), result.stderr


def stat(log: str, name: str) -> int:
    name = name if "/" in name and name.split("/")[0] in ("newscrawl", "dupefilter") else f"newscrawl/{name}"
    m = re.search(rf"'{name}': (\d+)", log)
    return int(m.group(1)) if m else 0


def read(open_store):
    st = open_store()
    st.open()
    return st


def test_second_run_writes_nothing_and_a_changed_article_gets_revision_2(store_pair, mirror_copy, tmp_path):
    env, open_store = store_pair
    with serve(mirror_copy) as base:
        first, log1 = crawl(base, env, tmp_path / "1.jsonl")
        assert sorted(it["article_id"] for it in first) == MIRROR_IDS
        assert {it["revision"] for it in first} == {1}
        assert stat(log1, "dedup/new") == len(MIRROR_IDS) and stat(log1, "store/written") == len(MIRROR_IDS)

        second, log2 = crawl(base, env, tmp_path / "2.jsonl")
        assert second == []
        assert stat(log2, "dedup/unchanged") == len(MIRROR_IDS)
        assert stat(log2, "store/written") == 0 and stat(log2, "dedup/new") == 0

        change_one_paragraph(mirror_copy, CHANGED_ID)
        third, log3 = crawl(base, env, tmp_path / "3.jsonl")
    assert [it["article_id"] for it in third] == [CHANGED_ID]
    assert third[0]["revision"] == 2
    assert stat(log3, "dedup/changed") == 1 and stat(log3, "dedup/unchanged") == len(MIRROR_IDS) - 1
    st = read(open_store)
    try:
        doc = st.get(f"heute:{CHANGED_ID}")
        old_hash = next(it["content_hash"] for it in first if it["article_id"] == CHANGED_ID)
        assert doc["revision"] == 2 and doc["content_hash"] == third[0]["content_hash"] != old_hash
        assert [h["content_hash"] for h in doc["history"]] == [old_hash, doc["content_hash"]]
        assert doc["first_seen"] < doc["last_seen"]
        assert st.count() == len(MIRROR_IDS)
    finally:
        st.close()


VARIANTS = [
    "https://www.heute.at/s/hoechste-unwetter-warnstufe-in-oesterreich-ausgerufen-100148088",
    "https://heute.at/s/hoechste-unwetter-warnstufe-in-oesterreich-ausgerufen-100148088",
    "https://www.heute.at/s/-100148088",
    "https://www.heute.at/s/hoechste-unwetter-warnstufe-in-oesterreich-ausgerufen-100148088/comments",
    "https://www.heute.at/s/hoechste-unwetter-warnstufe-in-oesterreich-ausgerufen-100148088?utm_source=fb&utm_medium=social",
    "https://www.heute.at/s/alter-slug-100148088#kommentare",
]


def test_every_url_variant_gives_one_record(store_pair, mirror_copy, tmp_path):
    env, open_store = store_pair
    urls = "".join(f"<url><loc>{u.replace('&', '&amp;')}</loc></url>" for u in VARIANTS)
    (mirror_copy / "sitemap" / "sitemap_2.xml").write_text(
        f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>')
    (mirror_copy / "sitemap" / "sitemap_1.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"></urlset>')
    with serve(mirror_copy) as base:
        items, log = crawl(base, env, tmp_path / "v.jsonl")
    assert [it["article_id"] for it in items] == [CHANGED_ID]
    assert items[0]["canonical_url"] == "https://www.heute.at/s/hoechste-unwetter-warnstufe-in-oesterreich-ausgerufen-100148088"
    # On the mirror www/no-www and the fragment collapse onto one request (Scrapy's duplicate filter);
    # the slug, /comments and tracking-parameter variants are fetched and folded by the dedup pipeline.
    fetched_again = stat(log, "newscrawl/dedup/duplicate_in_run")
    assert fetched_again >= 3
    assert fetched_again + stat(log, "dupefilter/filtered") == len(VARIANTS) - 1
    st = read(open_store)
    try:
        assert st.count() == 1
    finally:
        st.close()


def test_a_slide_shown_in_several_articles_is_one_gallery_entry(store_pair, heute_mirror, tmp_path):
    env, open_store = store_pair
    items, _ = crawl(heute_mirror, env, tmp_path / "g.jsonl")
    shown_in: dict[str, set[str]] = {}
    for it in items:
        for gallery in it["galleries"]:
            for entry in gallery["entries"]:
                if entry["linked_article_id"]:
                    shown_in.setdefault(entry["linked_article_id"], set()).add(f"heute:{it['article_id']}")
    linked, articles = max(shown_in.items(), key=lambda kv: len(kv[1]))
    assert len(articles) >= 3, "the mirror shares news-gallery slides between at least three articles"
    st = read(open_store)
    try:
        entry = st.gallery_entry(f"heute:{linked}")
        assert set(entry["articles"]) == articles
        assert entry["linked_article_id"] == linked
        doc = st.get(next(iter(articles)))
        refs = [r["entry"] for g in doc["galleries"] for r in g["entries"]]
        assert f"heute:{linked}" in refs and all(isinstance(r, str) for r in refs)
    finally:
        st.close()


def test_unreachable_mongodb_spools_and_exits_1_with_the_uri_masked(heute_mirror, tmp_path):
    """The store down at open no longer fails the run: the crawl goes on, exports its items, spools them
    (tests/pipelines/test_faults.py follows them through the replay) and exits 1; no password in any line."""
    from tests.conftest import free_port

    uri = f"mongodb://crawler:s3cr3t@127.0.0.1:{free_port()}/newscrawl"
    spool = tmp_path / "spool.jsonl"
    result = run_scrapy("crawl", "heute", "-a", f"base_url={heute_mirror}", "-O", str(tmp_path / "x.jsonl"),
                        env={"MONGO_URI": uri, "MONGO_CONNECT_TIMEOUT_MS": "300", "MONGO_RETRIES": "0",
                             "NEWSCRAWL_SPOOL": str(spool)})
    assert result.returncode == 1, result.stderr[-3000:]
    assert re.search(r"ERROR: MongoDB unreachable at mongodb://\*\*\*:\*\*\*@127\.0\.0\.1:\d+/newscrawl: .*"
                     r"the crawl goes on; items are spooled to " + re.escape(str(spool)), result.stderr)
    assert "s3cr3t" not in result.stderr + result.stdout + spool.read_text(encoding="utf-8")
    assert stat(result.stderr, "articles_extracted") == len(MIRROR_IDS)
    assert len(read_jsonl(tmp_path / "x.jsonl")) == len(MIRROR_IDS)
    assert stat(result.stderr, "store/spooled") == len(MIRROR_IDS) == len(spool.read_text().splitlines())

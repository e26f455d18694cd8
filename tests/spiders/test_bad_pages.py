"""A hostile copy of the heute mirror: what a real site serves on a bad day. The crawl neither crashes nor
emits a broken item; each bad page is a counted skip."""

from __future__ import annotations

import re
import shutil

from newscrawl.mirror import serve
from tests.conftest import HEUTE_MIRROR, read_jsonl, run_scrapy

GOOD = sorted(p.name.split(".")[0] for p in (HEUTE_MIRROR / "s").glob("*.expected.json"))
SECTION_AT_ARTICLE_URL, EMPTY, HUGE, TRUNCATED = "120040978", "120013317", "120014860", "120082094"


def stat(log: str, name: str) -> int:
    m = re.search(rf"'{re.escape(name)}': (\d+)", log)
    return int(m.group(1)) if m else 0


def test_bad_pages_are_skipped_with_a_reason(tmp_path):
    mirror = tmp_path / "mirror"
    shutil.copytree(HEUTE_MIRROR, mirror)
    pages = mirror / "s"
    # A section page served at an article URL, an empty 200 response, a page over DOWNLOAD_MAXSIZE, and a
    # page cut off in the middle of its markup.
    shutil.copy(mirror / "a" / "news-100000043.html", pages / f"{SECTION_AT_ARTICLE_URL}.html")
    (pages / f"{EMPTY}.html").write_bytes(b"")
    (pages / f"{HUGE}.html").write_bytes(b"<html><body>" + b"<p>x</p>" * 200_000 + b"</body></html>")
    truncated = (pages / f"{TRUNCATED}.html").read_bytes()
    (pages / f"{TRUNCATED}.html").write_bytes(truncated[: truncated.rfind(b"</p>") - 20])  # inside the last paragraph
    # A malformed rolling sitemap next to the good one, and garbage lastmods in the good one.
    (mirror / "sitemap" / "sitemap_1.xml").write_bytes(b"<?xml version='1.0'?><urlset><url><loc>https://www.hea")
    sitemap2 = mirror / "sitemap" / "sitemap_2.xml"
    sitemap2.write_text(re.sub(r"<lastmod>[^<]*</lastmod>", "<lastmod>not a date</lastmod>", sitemap2.read_text(),
                               count=2), encoding="utf-8")

    out = tmp_path / "items.jsonl"
    with serve(mirror) as base:
        result = run_scrapy("crawl", "heute", "-a", f"base_url={base}", "-a", "since=2020-01-01",
                            "-s", "DOWNLOAD_MAXSIZE=500000", "-O", str(out))
    log = result.stderr
    # No callback or pipeline raised (a cancelled download is logged by Scrapy with its traceback, that is all).
    assert stat(log, "spider_exceptions") == 0 and "Error processing" not in log, log[-3000:]
    items = read_jsonl(out)
    ids = {it["article_id"] for it in items}
    assert not ids & {SECTION_AT_ARTICLE_URL, EMPTY, HUGE}
    assert stat(log, "newscrawl/skipped/not_article") >= 2          # the section page and the empty page
    assert "larger than download max size" in log                     # the huge page was not downloaded
    assert "Ignoring invalid sitemap" in log or "newscrawl/sitemap" in log
    sitemap1_ids = {"100170609", "100148088", "100200207", "100243549", "100282318", "40001441", "42240869",
                    "54605144", "100203876", "100283517", "100124532"}
    good_in_sitemap2 = set(GOOD) - sitemap1_ids - {SECTION_AT_ARTICLE_URL, EMPTY, HUGE}
    assert good_in_sitemap2 <= ids, sorted(good_in_sitemap2 - ids)   # the good sitemap was still crawled
    for it in items:                                                # whatever came through is well formed
        assert it["headline"] and it["url"] and isinstance(it["body"], list)
        assert it["published"] is None or re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$", it["published"])

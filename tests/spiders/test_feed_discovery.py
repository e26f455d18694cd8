"""Feeds as discovery (issue 12), on loopback: `scrapy crawl article -a feed=URL` with RSS 2.0 and Atom (relative
links, other origins, ``since`` on entry dates, newest first under the run's cap, a malformed feed), and the
site spider's declared sources: the section fallback when the sitemaps fail, ``-a discover=``, the base URL
settings."""

from __future__ import annotations

import pytest

from newscrawl.spiders.sites import HeuteSpider, ZwanzigMinutenSpider
from tests.conftest import HEUTE_MIRROR
from tests.spiders.test_hostile_discovery import Canary, Site, crawl, stat

IDS = ["100148088", "100124532", "100282318"]
MIRROR_IDS = sorted(p.name.split(".")[0] for p in (HEUTE_MIRROR / "s").glob("*.expected.json"))
RSS = '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>{}</channel></rss>'
ATOM = '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>{}</feed>'


def rss_item(link: str, date: str | None = None) -> str:
    return f"<item><title>x</title><link>{link}</link>{f'<pubDate>{date}</pubDate>' if date else ''}</item>"


def atom_entry(href: str, date: str | None = None) -> str:
    return f'<entry><title>x</title><link rel="alternate" href="{href}"/>{f"<updated>{date}</updated>" if date else ""}</entry>'


def feed(site: Site, path: str, body: str, ctype: str = "application/rss+xml") -> None:
    site.routes[path] = (200, {"Content-Type": ctype}, body.encode())


# -- the generic spider: -a feed=URL ---------------------------------------------------------------------------
def test_an_rss_feed_gives_its_articles_and_stays_on_its_origin(tmp_path):
    with Canary() as canary, Site() as site:
        other = f"127.0.0.1:{canary.port}"
        feed(site, "/rss.xml", RSS.format("".join([
            rss_item(f"{site.base}/s/-{IDS[0]}", "Mon, 01 Dec 2025 10:00:00 +0100"),
            rss_item(f"/s/relative-{IDS[1]}", "Tue, 02 Dec 2025 10:00:00 CET"),  # resolved against the feed URL
            rss_item(f"http://{other}/s/-{IDS[2]}"),  # another port of the host: never fetched
            rss_item("javascript:alert(1)"),
            "<item><title>no link</title></item>",
        ])))
        items, log = crawl(tmp_path, "article", "-a", f"feed={site.base}/rss.xml")
    assert canary.received == []
    assert sorted(it["article_id"] for it in items) == sorted(IDS[:2])
    assert stat(log, "newscrawl/feed/fetched") == 1
    assert stat(log, "newscrawl/dropped/offsite_origin") == 1
    assert stat(log, "newscrawl/feed/skipped/no_link") == 1
    assert stat(log, "newscrawl/feed/skipped/other_scheme") + stat(log, "newscrawl/feed/skipped/invalid_link") == 1
    assert "Traceback" not in log


def test_an_atom_feed_with_since_on_the_entry_dates(tmp_path):
    with Site() as site:
        feed(site, "/atom.xml", ATOM.format("".join([
            atom_entry(f"{site.base}/s/-{IDS[0]}", "2025-12-03T08:00:00+01:00"),
            atom_entry(f"{site.base}/s/-{IDS[1]}", "2024-01-05T08:00:00Z"),  # before since: skipped
            atom_entry(f"{site.base}/s/-{IDS[2]}"),  # undated: kept
        ])), "application/atom+xml")
        items, log = crawl(tmp_path, "article", "-a", f"feed={site.base}/atom.xml", "-a", "since=2025-01-01")
        fetched = [p for p in site.paths if p.startswith("/s/")]
    assert sorted(it["article_id"] for it in items) == sorted([IDS[0], IDS[2]])
    assert f"/s/-{IDS[1]}" not in fetched
    assert stat(log, "newscrawl/feed/skipped_since") == 1


def test_the_cap_takes_the_newest_feed_entries_first(tmp_path):
    with Site() as site:
        entries = [rss_item(f"{site.base}/n/{i:02d}-{100000000 + i}", f"{1 + i:02d} Mar 2025 12:00:00 +0100")
                   for i in range(20)]  # document order oldest first
        feed(site, "/rss.xml", RSS.format("".join(entries)))
        _, log = crawl(tmp_path, "article", "-a", f"feed={site.base}/rss.xml", "-s", "NEWSCRAWL_MAX_ARTICLES_PER_RUN=4")
        fetched = sorted(p for p in site.paths if p.startswith("/n/"))
    assert fetched == sorted(f"/n/{i:02d}-{100000000 + i}" for i in range(16, 20))
    assert stat(log, "newscrawl/discovery/capped") == 16


@pytest.mark.parametrize("body", [b"<html><body><a href='/s/-100148088'>no feed</a></body></html>", b"",
                                  b"\x00\x01 not xml at all", b"<?xml version='1.0'?><urlset/>"])
def test_a_body_that_is_no_feed_is_counted_not_a_crash(tmp_path, body):
    with Site() as site:
        site.routes["/rss.xml"] = (200, {"Content-Type": "application/rss+xml"}, body)
        items, log = crawl(tmp_path, "article", "-a", f"feed={site.base}/rss.xml")
    assert items == []
    assert stat(log, "newscrawl/feed/invalid") == 1
    assert "Spider error" not in log and "Traceback" not in log


# -- the site spider's declared sources ------------------------------------------------------------------------
def test_heute_falls_back_to_section_pages_when_its_sitemap_fails(tmp_path):
    with Site() as site:
        site.routes["/sitemap.xml"] = (404, {}, b"gone")
        items, log = crawl(tmp_path, "heute", "-a", f"base_url={site.base}")
    assert items and {it["article_id"] for it in items} <= set(MIRROR_IDS)
    assert stat(log, "newscrawl/sections/fetched") >= 1
    assert "falling back to section pages" in log


def test_heute_falls_back_when_its_sitemap_index_names_nothing(tmp_path):
    with Site() as site:
        site.xml("/sitemap.xml", b'<?xml version="1.0"?><sitemapindex '
                                 b'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"></sitemapindex>')
        items, log = crawl(tmp_path, "heute", "-a", f"base_url={site.base}")
    assert items and stat(log, "newscrawl/sections/fetched") >= 1


def test_the_sitemap_gives_articles_so_no_section_page_is_read(tmp_path):
    with Site() as site:
        items, log = crawl(tmp_path, "heute", "-a", f"base_url={site.base}")
        sections = [p for p in site.paths if p == "/" or p.startswith("/a/")]
    assert sorted(it["article_id"] for it in items) == MIRROR_IDS
    assert sections == [] and "newscrawl/sections/fetched" not in log


def test_discover_names_a_declared_kind():
    with pytest.raises(ValueError, match="discover must be one of sitemap, news_sitemap, feed, sections"):
        HeuteSpider(discover="rss")
    with pytest.raises(ValueError, match="heute declares no feed source"):
        HeuteSpider(discover="feed")
    with pytest.raises(ValueError, match="zwanzigminuten declares no sections source"):
        ZwanzigMinutenSpider(discover="sections")
    with pytest.raises(ValueError, match="base_url must be an http"):
        HeuteSpider(base_url="127.0.0.1:8765")
    assert HeuteSpider(discover="sections").discover == "sections"


def test_the_base_url_from_the_setting_and_the_deprecated_one(tmp_path):
    with Site() as site:
        items, log = crawl(tmp_path, "heute", "-s", f'NEWSCRAWL_BASE_URLS={{"heute": "{site.base}"}}',
                           "-a", f"url=https://www.heute.at/s/-{IDS[0]}")
        assert [it["url"] for it in items] == [f"{site.base}/s/-{IDS[0]}"]
        assert "deprecated" not in log
        items, log = crawl(tmp_path, "heute", "-s", f"HEUTE_BASE_URL={site.base}",
                           "-a", f"url=https://www.heute.at/s/-{IDS[1]}")
        assert [it["url"] for it in items] == [f"{site.base}/s/-{IDS[1]}"]
        assert "The HEUTE_BASE_URL setting is deprecated" in log


def test_on_a_mirror_an_entry_is_an_article_by_the_url_its_source_listed(tmp_path):
    """orf.at's feed links stories of other ORF newsrooms (debatte.orf.at numbers its own): rebased onto a
    mirror host they would look like orf.at stories, so the article test reads the listed URL."""
    with Site() as site:
        feed(site, "/news.xml", RSS.format("".join([
            rss_item("https://orf.at/stories/3376705/"),
            rss_item("https://debatte.orf.at/stories/1835180/"),
            rss_item("https://news.orf.at/stories/3376706/"),
        ])))
        crawl(tmp_path, "orf", "-a", f"base_url={site.base}", "-a", "discover=feed")
    assert "/news.xml" in site.paths
    assert sorted(p for p in site.paths if p.startswith("/stories/")) == ["/stories/3376705/", "/stories/3376706/"]

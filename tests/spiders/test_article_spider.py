"""The generic `article` spider: arguments in-process, and real `scrapy crawl article` runs against the heute
mirror (one URL, a URL list, a sitemap index with a gzipped sitemap written here) and a redirecting server."""

from __future__ import annotations

import gzip
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from newscrawl.mirror import serve
from newscrawl.spiders.article import GenericArticleSpider, news_dates
from tests.conftest import read_jsonl, run_scrapy

# Mirror articles by id; served at /s/-<id> (empty slug) as well as /s/<slug>-<id>.
IDS = ["100148088", "100124532", "100282318"]


# -- arguments ----------------------------------------------------------------------------------------
def test_exactly_one_source_of_urls_is_required():
    with pytest.raises(ValueError, match="exactly one of -a url=URL, -a urls=FILE, -a sitemap=URL or -a feed=URL"):
        GenericArticleSpider()
    with pytest.raises(ValueError, match="exactly one"):
        GenericArticleSpider(url="https://example.com/a-123456", sitemap="https://example.com/sitemap.xml")
    with pytest.raises(ValueError, match="exactly one"):
        GenericArticleSpider(feed="https://example.com/rss", sitemap="https://example.com/sitemap.xml")


def test_url_list_errors_are_clear(tmp_path):
    with pytest.raises(ValueError, match="URL list not found: .*missing.txt"):
        GenericArticleSpider(urls=str(tmp_path / "missing.txt"))
    (tmp_path / "empty.txt").write_text("# nothing yet\n\n", encoding="utf-8")
    with pytest.raises(ValueError, match="names no URLs"):
        GenericArticleSpider(urls=str(tmp_path / "empty.txt"))
    (tmp_path / "bad.txt").write_text("www.example.com/no-scheme-123456\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not an http"):
        GenericArticleSpider(urls=str(tmp_path / "bad.txt"))


def test_since_is_a_date_and_only_for_sitemaps_and_feeds():
    with pytest.raises(ValueError, match="since must be a date"):
        GenericArticleSpider(sitemap="https://example.com/sitemap.xml", since="last week")
    with pytest.raises(ValueError, match="since filters sitemap and feed entries"):
        GenericArticleSpider(url="https://example.com/a-123456", since="2025-01-01")


def test_allowed_domains_come_from_the_given_urls(tmp_path):
    listing = tmp_path / "urls.txt"
    listing.write_text("# two sites\nhttps://www.example.com/a-123456\n\n  http://127.0.0.1:8000/b-654321  \n"
                       "https://www.example.com/a-123456\n", encoding="utf-8")
    spider = GenericArticleSpider(urls=str(listing))
    assert spider.article_urls == ["https://www.example.com/a-123456", "http://127.0.0.1:8000/b-654321"]
    assert spider.allowed_domains == ["127.0.0.1", "example.com"]
    assert GenericArticleSpider(sitemap="https://news.example.org/sitemap.xml.gz").allowed_domains == [
        "news.example.org"]


def test_news_dates_reads_nested_publication_dates():
    body = b"""<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
      xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
      <url><loc> https://a.example/x-1 </loc><news:news><news:publication_date>2025-01-02T03:04:05Z
      </news:publication_date></news:news></url><url><loc>https://a.example/y-2</loc></url></urlset>"""
    assert news_dates(body) == {"https://a.example/x-1": "2025-01-02T03:04:05Z"}
    assert news_dates(b"") == {}


# -- crawls -------------------------------------------------------------------------------------------
def crawl(tmp_path: Path, *args: str) -> tuple[list[dict], str]:
    out = tmp_path / "items.jsonl"
    result = run_scrapy("crawl", "article", *args, "-O", str(out),
                        env={"NEWSCRAWL_OUTPUT_DIR": str(tmp_path / "output")})
    assert result.returncode == 0, result.stderr[-3000:]
    return read_jsonl(out), result.stderr


def test_one_url(tmp_path, heute_mirror):
    items, _ = crawl(tmp_path, "-a", f"url={heute_mirror}/s/-100148088")
    # The loopback mirror is no heute host: its pages are generic and their heute canonical only a claim
    # (issue 11, D6); `scrapy crawl heute -a base_url=` is how an operator maps a mirror onto heute.
    assert [(it["article_id"], it["site"]) for it in items] == [("100148088", "generic")]
    assert items[0]["canonical_claim"].startswith("https://www.heute.at/s/")
    assert items[0]["url"] == f"{heute_mirror}/s/-100148088"
    assert items[0]["headline"]


def test_url_list(tmp_path, heute_mirror):
    listing = tmp_path / "urls.txt"
    listing.write_text(f"# two mirror articles\n\n{heute_mirror}/s/-{IDS[0]}\n   \n{heute_mirror}/s/-{IDS[1]}\n",
                       encoding="utf-8")
    items, _ = crawl(tmp_path, "-a", f"urls={listing}")
    assert sorted(it["article_id"] for it in items) == sorted(IDS[:2])


def test_missing_url_list_fails_the_run(tmp_path):
    result = run_scrapy("crawl", "article", "-a", f"urls={tmp_path / 'nope.txt'}",
                        env={"NEWSCRAWL_OUTPUT_DIR": str(tmp_path / "output")})
    assert result.returncode != 0
    assert "URL list not found" in result.stderr


@pytest.fixture
def sitemap_site(mirror_copy):
    """A sitemap index and a gzipped urlset naming mirror articles by their loopback URLs (the sitemap's own
    origin), plus one entry on another host (``localhost``: the same mirror, so it would be fetched if the origin
    filter let it)."""
    with serve(mirror_copy) as base_url:
        off_site = base_url.replace("127.0.0.1", "localhost")
        entries = [(f"{base_url}/s/-{IDS[0]}", "2024-01-09"),
                   (f"{base_url}/s/-{IDS[1]}", "2024-06-27T21:58:00+02:00"),
                   (f"{base_url}/s/-{IDS[2]}", "2025-06-01"),
                   (f"{off_site}/s/-100203876", "2025-06-02")]
        urlset = "".join(f"<url><loc>{loc}</loc><lastmod>{lastmod}</lastmod></url>" for loc, lastmod in entries)
        (mirror_copy / "articles.xml.gz").write_bytes(gzip.compress(
            f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"{urlset}</urlset>".encode()))
        (mirror_copy / "sitemap.xml").write_text(
            '<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<sitemap><loc>{base_url}/articles.xml.gz</loc></sitemap></sitemapindex>", encoding="utf-8")
        yield f"{base_url}/sitemap.xml"


def test_sitemap_index_with_a_gzipped_sitemap(tmp_path, sitemap_site):
    items, log = crawl(tmp_path, "-a", f"sitemap={sitemap_site}")
    assert sorted(it["article_id"] for it in items) == sorted(IDS)
    assert all(it["site"] == "generic" and it["headline"] for it in items)  # a mirror host: see test_one_url
    assert "'newscrawl/sitemap/fetched': 2" in log
    assert "'newscrawl/dropped/offsite_origin': 1" in log  # the localhost entry is not fetched


def test_sitemap_since_skips_older_lastmods(tmp_path, sitemap_site):
    items, log = crawl(tmp_path, "-a", f"sitemap={sitemap_site}", "-a", "since=2025-01-01")
    assert [it["article_id"] for it in items] == [IDS[2]]
    assert "'newscrawl/sitemap/skipped_since': 2" in log


@contextmanager
def redirecting(targets: dict[str, str]):
    """A loopback server answering each path of ``targets`` with a 302 to its target, else 404."""
    class Redirect(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            target = targets.get(self.path)
            self.send_response(302 if target else 404)
            if target:
                self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_redirects_off_the_site_are_dropped(tmp_path, heute_mirror):
    with redirecting({"/stays": f"{heute_mirror}/s/-{IDS[0]}",
                      "/leaves": f"{heute_mirror.replace('127.0.0.1', 'localhost')}/s/-{IDS[1]}"}) as base:
        listing = tmp_path / "urls.txt"
        # the list names the mirror's origin too, so a redirect there is followed; the one to localhost is not
        listing.write_text(f"{base}/stays\n{base}/leaves\n{heute_mirror}/s/-{IDS[2]}\n", encoding="utf-8")
        items, log = crawl(tmp_path, "-a", f"urls={listing}")
    assert sorted(it["article_id"] for it in items) == sorted([IDS[0], IDS[2]])
    assert "'newscrawl/dropped/offsite_origin': 1" in log

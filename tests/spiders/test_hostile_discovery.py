"""Hostile discovery (issue 11): sitemap entries, links and redirects that leave the site's origin (D1), bad
``<loc>`` entries (D2) and huge sitemaps, each staged for real: `scrapy crawl` against a hostile loopback site,
with a canary server on another port of the same host that records every connection it receives."""

from __future__ import annotations

import gzip
import re
import socketserver
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


from newscrawl.mirror import content_type, resolve, serve
from tests.conftest import HEUTE_MIRROR, read_jsonl, run_scrapy

IDS = ["100148088", "100124532", "100282318"]  # mirror articles, served at /s/-<id> and /s/<slug>-<id>
MIRROR_IDS = sorted(p.name.split(".")[0] for p in (HEUTE_MIRROR / "s").glob("*.expected.json"))
URLSET = '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{}</urlset>'
INDEX = ('<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
         "{}</sitemapindex>")


def urlset(*locs: str, lastmods: list[str] | None = None) -> bytes:
    dates = lastmods or [""] * len(locs)
    return URLSET.format("".join(
        f"<url><loc>{loc}</loc>{f'<lastmod>{d}</lastmod>' if d else ''}</url>" for loc, d in zip(locs, dates))).encode()


def index(*locs: str) -> bytes:
    return INDEX.format("".join(f"<sitemap><loc>{loc}</loc></sitemap>" for loc in locs)).encode()


# -- servers -------------------------------------------------------------------------------------------------
class Canary:
    """A raw TCP listener on 127.0.0.1 that records every connection (HTTP or not) and the first bytes sent."""

    def __init__(self):
        self.received: list[bytes] = []
        lock = threading.Lock()
        received = self.received

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                self.request.settimeout(2)
                try:
                    data = self.request.recv(4096)
                except OSError:
                    data = b"<nothing sent>"
                with lock:
                    received.append(data or b"<nothing sent>")
                body = b"<html><head><title>canary</title></head><body><h1>canary</h1></body></html>"
                self.request.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\nContent-Length: "
                                     + str(len(body)).encode() + b"\r\n\r\n" + body)

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


class Site:
    """A loopback HTTP site: fixed routes (path -> (status, headers, body)), else the heute mirror's files.
    Records every request path."""

    def __init__(self, mirror: Path = HEUTE_MIRROR):
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.paths: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802
                site.paths.append(self.path)
                if self.path in site.routes:
                    status, headers, body = site.routes[self.path]
                else:
                    target = resolve(mirror, self.path)
                    status, headers, body = (404, {}, b"no such page") if target is None else (
                        200, {"Content-Type": content_type(target)}, target.read_bytes())
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def xml(self, path: str, body: bytes) -> None:
        self.routes[path] = (200, {"Content-Type": "application/xml"}, body)

    def redirect(self, path: str, location: str, status: int = 302) -> None:
        self.routes[path] = (status, {"Location": location}, b"")

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def stat(log: str, name: str) -> int:
    m = re.search(rf"'{re.escape(name)}': (\d+)", log)
    return int(m.group(1)) if m else 0


def crawl(tmp_path: Path, spider: str, *args: str, timeout: float = 120) -> tuple[list[dict], str]:
    """One `scrapy crawl` (bounded: CLOSESPIDER_TIMEOUT and a process timeout); the store of ``tmp_path``."""
    out = tmp_path / f"items-{len(list(tmp_path.glob('items-*')))}.jsonl"
    result = run_scrapy("crawl", spider, *args, "-O", str(out), "-s", "CLOSESPIDER_TIMEOUT=90",
                        env={"NEWSCRAWL_OUTPUT_DIR": str(tmp_path / "output"),
                             "NEWSCRAWL_STATE": str(tmp_path / "state.sqlite3")}, timeout=timeout)
    # scrapy crawl exits 4 when it fetched no article (issue 13): several runs here list none on purpose
    fetched = stat(result.stderr, "newscrawl/articles_extracted") or stat(result.stderr, "newscrawl/incremental/skipped")
    assert result.returncode == (0 if fetched else 4), result.stderr[-3000:]
    return read_jsonl(out), result.stderr


# -- the origin rule, in-process -------------------------------------------------------------------------------
def test_origins_compare_scheme_host_and_port():
    from newscrawl.urls import Origin, Origins

    site = Origins([Origin.site("heute.at"), Origin.exact("http://127.0.0.1:8765")])
    assert site.allows("https://www.heute.at/s/x-100148088")
    assert site.allows("http://heute.at:80/s/x-100148088")
    assert site.allows("http://127.0.0.1:8765/s/x-100148088")
    for url in ("https://www.heute.at:8443/x", "ftp://www.heute.at/x", "https://evilheute.at/x",
                "http://127.0.0.1:8766/x", "https://127.0.0.1:8765/x", "http://127.0.0.1/x", "http://[::1",
                "javascript:alert(1)", "http://127.0.0.1:99999/x"):
        assert not site.allows(url), url
    assert Origin.of("https://www.example.com/sitemap.xml") == Origin.site("example.com")
    assert Origin.of("http://127.0.0.1:8000/sitemap.xml") == Origin.exact("http://127.0.0.1:8000")


def test_http_url_resolves_relative_locs_and_rejects_invalid_ones():
    from newscrawl.urls import http_url

    base = "http://127.0.0.1:8000/sitemap/sitemap_2.xml"
    assert http_url("/s/relative-slug-120082094", base) == "http://127.0.0.1:8000/s/relative-slug-120082094"
    assert http_url("https://www.heute.at/s/x-1", base) == "https://www.heute.at/s/x-1"
    for bad in ("http://[::1", "javascript:alert(1)", "http://127.0.0.1:99999/x", "http:///x", "mailto:a@b.c"):
        assert http_url(bad, base) is None, bad


def test_sitemap_dates_are_read_without_free_text_parsing():
    import time
    from datetime import datetime, timedelta, timezone

    from newscrawl.incremental import entry_date

    plus_one = timezone(timedelta(hours=1))
    assert entry_date("2025-06-27T21:58:00+02:00", timezone.utc).isoformat() == "2025-06-27T21:58:00+02:00"
    assert entry_date("2025-06-27T19:58:00Z", timezone.utc) == datetime(2025, 6, 27, 19, 58, tzinfo=timezone.utc)
    assert entry_date("2025-06", plus_one) == datetime(2025, 6, 1, tzinfo=plus_one)
    assert entry_date("2025", plus_one) == datetime(2025, 1, 1, tzinfo=plus_one)
    assert entry_date("Mon, 03 Nov 2025 10:00:00 +0100", timezone.utc) == datetime(2025, 11, 3, 10, tzinfo=plus_one)
    for bad in ("garbage 12", "2025-13", "2025-13-45", "", "   ", "1" * 100_000):
        assert entry_date(bad, timezone.utc) is None, bad
    started = time.monotonic()
    for _ in range(5_000):  # a hostile sitemap's dates; dateparser took ~27 ms for each of these
        entry_date("garbage 12", timezone.utc)
    assert time.monotonic() - started < 5  # a hang guard: milliseconds in fact


# -- D1: nothing leaves the site's origin ------------------------------------------------------------------------
def test_generic_spider_never_fetches_another_port_or_scheme(tmp_path):
    with Canary() as canary, Site() as site:
        other = f"127.0.0.1:{canary.port}"
        site.redirect("/robots.txt", f"http://{other}/robots.txt")
        site.redirect("/go/port-100000001", f"http://{other}/s/-{IDS[2]}")
        site.redirect("/go/ftp-100000002", f"ftp://{other}/s/-{IDS[2]}")
        site.routes["/go/refresh-100000003"] = (200, {"Content-Type": "text/html"}, (
            f'<html><head><meta http-equiv="refresh" content="0;url=http://{other}/s/-{IDS[2]}"></head></html>').encode())
        site.xml("/sitemap.xml", urlset(
            f"{site.base}/s/-{IDS[0]}", f"http://{other}/s/-{IDS[2]}", f"https://{other}/s/-{IDS[2]}",
            f"ftp://{other}/s/-{IDS[2]}", f"{site.base}/go/port-100000001", f"{site.base}/go/ftp-100000002",
            f"{site.base}/go/refresh-100000003", f"{site.base}/s/-{IDS[1]}"))
        items, log = crawl(tmp_path, "article", "-a", f"sitemap={site.base}/sitemap.xml")
    assert canary.received == []
    assert sorted(it["article_id"] for it in items) == sorted(IDS[:2])
    # 3 sitemap entries, the redirect, the meta refresh and robots.txt's redirect; Scrapy itself never follows
    # a redirect to ftp:// (the 302 is an ignored response)
    assert stat(log, "newscrawl/dropped/offsite_origin") == 6
    assert f"http://{other}/s/-{IDS[2]}" in log and "offsite_origin" in log


def test_heute_spider_stays_on_the_base_url_origin(tmp_path):
    with Canary() as canary, Site() as site:
        other = f"127.0.0.1:{canary.port}"
        site.xml("/sitemap.xml", index("https://www.heute.at/sitemap/sitemap_9.xml",
                                       f"http://{other}/sitemap/sitemap_8.xml"))
        site.xml("/sitemap/sitemap_9.xml", urlset(
            f"https://www.heute.at/s/-{IDS[0]}", f"http://{other}/s/x-{IDS[2]}",
            f"http://{other.replace('127.0.0.1', 'localhost')}/s/x-{IDS[2]}", f"{site.base.replace('http:', 'https:')}/s/x-{IDS[2]}",
            f"https://www.heute.at/s/-{IDS[1]}"))
        items, log = crawl(tmp_path, "heute", "-a", f"base_url={site.base}")
    assert canary.received == []
    assert sorted(it["article_id"] for it in items) == sorted(IDS[:2])
    assert stat(log, "newscrawl/dropped/offsite_origin") == 4  # the child sitemap and three entries


def test_heute_section_links_stay_on_the_base_url_origin(tmp_path):
    with Canary() as canary, Site() as site:
        other = f"127.0.0.1:{canary.port}"
        site.routes["/"] = (200, {"Content-Type": "text/html; charset=utf-8"}, (
            f'<html><body><a href="/s/-{IDS[0]}">a</a><a href="http://{other}/s/x-{IDS[2]}">b</a>'
            f'<a href="http://{other}/a/news">c</a><a href="https://www.heute.at/s/-{IDS[1]}">d</a></body></html>'
        ).encode())
        items, log = crawl(tmp_path, "heute", "-a", f"base_url={site.base}", "-a", "discover=sections")
    assert canary.received == []
    assert sorted(it["article_id"] for it in items) == sorted(IDS[:2])
    assert stat(log, "newscrawl/dropped/offsite_origin") == 2


# -- D2: one bad <loc> costs that entry only ----------------------------------------------------------------------
def test_generic_spider_skips_bad_locs_and_keeps_the_rest(tmp_path):
    with Site() as site:
        site.xml("/sitemap.xml", index("/child.xml", "http://[::1", "javascript:alert(1)"))
        site.xml("/child.xml", urlset(
            f"{site.base}/s/-{IDS[0]}", "http://[::1", "/s/relative-slug-100124532", "javascript:alert(1)",
            "http://127.0.0.1:99999/s/-100282318", "http:///s/-100282318", f"{site.base}/s/-{IDS[2]}"))
        items, log = crawl(tmp_path, "article", "-a", f"sitemap={site.base}/sitemap.xml")
    assert sorted(it["article_id"] for it in items) == sorted(IDS)
    assert stat(log, "newscrawl/dropped/invalid_loc") == 6
    assert stat(log, "newscrawl/sitemap/relative_loc") == 2
    assert "http://[::1" in log and "invalid_loc" in log
    assert "Spider error" not in log and "Traceback" not in log


def test_heute_spider_skips_bad_locs_and_dates_and_keeps_the_rest(tmp_path, mirror_copy):
    sitemap = mirror_copy / "sitemap" / "sitemap_2.xml"
    xml = sitemap.read_text(encoding="utf-8")
    xml = xml.replace("https://www.heute.at/s/mobiles-datenfeuerwerk-von-57-millionen-gigabyte-120082094",
                      "/s/relative-slug-120082094")
    xml = xml.replace("<url>", "<url><loc>http://[::1</loc></url><url>", 1)
    xml = xml.replace("</urlset>", "<url><loc>javascript:alert(1)</loc></url></urlset>")
    lastmods = iter(["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-05:00", "garbage", "2025-13-45"])
    xml = re.sub(r"<lastmod>[^<]*</lastmod>", lambda m: f"<lastmod>{next(lastmods, m.group(0)[9:-10])}</lastmod>", xml)
    sitemap.write_text(xml, encoding="utf-8")
    with serve(mirror_copy) as base:
        items, log = crawl(tmp_path, "heute", "-a", f"base_url={base}", "-a", "incremental=1")
        assert sorted(it["article_id"] for it in items) == MIRROR_IDS
        assert stat(log, "newscrawl/dropped/invalid_loc") == 2
        assert stat(log, "newscrawl/sitemap/relative_loc") == 1
        assert "Spider error" not in log and "Traceback" not in log
        again, log2 = crawl(tmp_path, "heute", "-a", f"base_url={base}", "-a", "incremental=1")
    assert again == [] and stat(log2, "newscrawl/incremental/fetched") == 0  # the state of every entry was kept


# -- huge sitemaps: a bounded queue -------------------------------------------------------------------------------
def test_a_huge_sitemap_index_queues_at_most_the_cap(tmp_path):
    children, per_child, cap, max_sitemaps = 20, 10_000, 100, 10
    with Site() as site:
        site.xml("/sitemap.xml", index(*(f"{site.base}/huge/{c}.xml" for c in range(children))))
        for c in range(children):
            site.xml(f"/huge/{c}.xml", urlset(
                *(f"{site.base}/n/{c}-{i:08d}" for i in range(per_child)),
                lastmods=[f"2025-01-01T00:00:{i % 60:02d}+00:00" for i in range(per_child)]))
        _, log = crawl(tmp_path, "article", "-a", f"sitemap={site.base}/sitemap.xml",
                       "-s", f"NEWSCRAWL_MAX_ARTICLES_PER_RUN={cap}", "-s", f"NEWSCRAWL_MAX_SITEMAPS={max_sitemaps}")
        articles = [p for p in site.paths if p.startswith("/n/")]
    assert len(articles) == cap
    assert stat(log, "scheduler/enqueued") <= cap + max_sitemaps + 1  # the articles, the children, the index
    assert stat(log, "newscrawl/discovery/queued") == cap
    assert stat(log, "newscrawl/discovery/sitemaps_capped") == children - max_sitemaps
    assert stat(log, "newscrawl/discovery/capped") == max_sitemaps * per_child - cap
    assert re.search(rf"{max_sitemaps * per_child - cap} sitemap entries and {children - max_sitemaps} sitemaps "
                     r"left for the next run", log)


def test_the_cap_takes_the_newest_entries_first(tmp_path):
    with Site() as site:
        # document order oldest first, one entry without a date (after the dated ones)
        locs = [f"{site.base}/n/{i:02d}-{100000000 + i}" for i in range(30)]
        dates = [f"2025-03-{1 + i:02d}T12:00:00+01:00" for i in range(29)] + [""]
        site.xml("/sitemap.xml", urlset(*locs, lastmods=dates))
        _, log = crawl(tmp_path, "article", "-a", f"sitemap={site.base}/sitemap.xml",
                       "-s", "NEWSCRAWL_MAX_ARTICLES_PER_RUN=5")
        fetched = sorted(p for p in site.paths if p.startswith("/n/"))
    assert fetched == sorted(f"/n/{i:02d}-{100000000 + i}" for i in range(24, 29))
    assert stat(log, "newscrawl/discovery/capped") == 25


def test_a_sitemap_larger_than_the_size_limit_is_skipped_and_counted(tmp_path):
    with Site() as site:
        big = urlset(*(f"{site.base}/n/{i:08d}" for i in range(50_000)))
        site.routes["/big.xml.gz"] = (200, {"Content-Type": "application/x-gzip"}, gzip.compress(big))
        site.xml("/sitemap.xml", index(f"{site.base}/big.xml.gz", f"{site.base}/small.xml"))
        site.xml("/small.xml", urlset(f"{site.base}/s/-{IDS[0]}"))
        items, log = crawl(tmp_path, "article", "-a", f"sitemap={site.base}/sitemap.xml",
                           "-s", f"DOWNLOAD_MAXSIZE={len(big) // 4}")
        articles = [p for p in site.paths if p.startswith("/n/")]
    assert len(big) > len(gzip.compress(big)) * 4  # the download itself is under the limit, the XML is not
    assert articles == [] and [it["article_id"] for it in items] == [IDS[0]]
    assert stat(log, "newscrawl/sitemap/invalid") == 1


def test_with_incremental_crawling_capped_runs_go_on_where_the_last_one_stopped(tmp_path, mirror_copy):
    sitemap_entries = len(MIRROR_IDS) + 1  # the mirror's sitemaps also name one article it lacks (a 404)
    fetched: list[list[str]] = []
    with Site(mirror_copy) as site:
        for run in range(3):
            before = len(site.paths)
            _, log = crawl(tmp_path, "heute", "-a", f"base_url={site.base}", "-a", "incremental=1",
                           "-s", "NEWSCRAWL_MAX_ARTICLES_PER_RUN=8")
            fetched.append([p for p in site.paths[before:] if p.startswith("/s/")])
            assert stat(log, "newscrawl/discovery/queued") == len(fetched[-1])
            assert stat(log, "newscrawl/discovery/capped") == (sitemap_entries - 8 * (run + 1) if run < 2 else 0)
    assert [len(f) for f in fetched] == [8, 8, sitemap_entries - 16]
    every = [path for paths in fetched for path in paths]
    assert len(set(every)) == len(every) == sitemap_entries  # each entry once, none left behind

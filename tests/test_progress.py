"""The progress line (issue 13): every NEWSCRAWL_PROGRESS_INTERVAL seconds, articles done / discovered, rate, ETA,
pages and items, numbers only; once more at close. Real ``scrapy crawl`` runs on loopback, slowed down so that a
0.5 s interval logs while the crawl runs (a slower machine only logs more lines)."""

from __future__ import annotations

import re

from tests.conftest import HEUTE_MIRROR, run_scrapy
from tests.spiders.test_hostile_discovery import Site, stat

LINE = re.compile(r"\[newscrawl\.progress\] INFO: Progress: (?P<done>\d+)/(?P<discovered>\d+) articles "
                  r"\((?P<share>\d+)%\), (?P<rate>\d+\.\d)/min, ETA (?P<eta>\d+:\d\d:\d\d|-:--:--); "
                  r"(?P<pages>\d+) pages, (?P<items>\d+) items$", re.MULTILINE)
SITEMAP_ARTICLES = len(list((HEUTE_MIRROR / "s").glob("*.expected.json"))) + 1  # and one the mirror lacks (404)


def progress(log: str) -> list[dict]:
    return [{k: v if k in ("eta", "rate") else int(v) for k, v in m.groupdict().items()} for m in LINE.finditer(log)]


def crawl(tmp_path, *args: str, interval: float = 0.5):
    return run_scrapy("crawl", *args, "-s", f"NEWSCRAWL_PROGRESS_INTERVAL={interval}",
                      env={"NEWSCRAWL_STATE": str(tmp_path / "state.sqlite3"),
                           "NEWSCRAWL_OUTPUT_DIR": str(tmp_path / "output")}, timeout=180)


def test_a_slowed_crawl_logs_progress_lines_with_numbers_only(heute_mirror, tmp_path):
    # NEWSCRAWL_DOWNLOAD_DELAY: the test helper's own -s DOWNLOAD_DELAY=0 comes later and loses to the alias
    result = crawl(tmp_path, "heute", "-a", f"base_url={heute_mirror}", "-s", "NEWSCRAWL_DOWNLOAD_DELAY=0.3")
    assert result.returncode == 0, result.stderr[-3000:]
    lines = progress(result.stderr)
    logged = [line for line in result.stderr.splitlines() if "Progress:" in line]
    assert len(lines) == len(logged) >= 3, logged  # every progress line has the format; ~6 s of crawl at 0.5 s
    assert all(line["done"] <= line["discovered"] for line in lines)
    assert [line["done"] for line in lines] == sorted(line["done"] for line in lines)  # never goes back
    assert all(line["share"] == (100 * line["done"] // line["discovered"] if line["discovered"] else 0)
               for line in lines)
    assert all(line["eta"] == "-:--:--" for line in lines if line["done"] == 0)
    assert all(line["eta"] != "-:--:--" and float(line["rate"]) > 0 for line in lines if line["done"])
    final = lines[-1]  # at close: every article request the sitemaps gave is done
    assert final["done"] == final["discovered"] == SITEMAP_ARTICLES == stat(result.stderr, "newscrawl/discovery/queued")
    assert final["share"] == 100 and final["eta"] == "0:00:00"
    assert final["pages"] == stat(result.stderr, "response_received_count")
    assert final["items"] == stat(result.stderr, "item_scraped_count") == SITEMAP_ARTICLES - 1
    assert "Crawled " not in result.stderr  # Scrapy's LogStats line: replaced by this one


def test_retries_redirects_and_failures_count_once_each(tmp_path):
    article = "/s/oeffi-chaos-bei-der-u1-tausende-fahrgaeste-sitzen-fest-120014860"
    with Site() as site:
        site.redirect("/s/moved-111111111", "/s/-100124532")  # a new article: fetched after the redirect
        site.redirect("/s/again-222222222", article)  # the duplicate filter drops where it leads
        site.redirect("/s/away-555555555", "http://127.0.0.1:1/s/x-555555555")  # another origin: refused
        site.routes["/s/busy-333333333"] = (503, {}, b"busy")  # retried once, then given up
        urls = [article, "/s/-100148088", "/s/moved-111111111", "/s/again-222222222", "/s/busy-333333333",
                "/s/gone-444444444", "/s/away-555555555"]  # gone: a 404
        listing = tmp_path / "urls.txt"
        listing.write_text("".join(f"{site.base}{path}\n" for path in urls), encoding="utf-8")
        result = crawl(tmp_path, "article", "-a", f"urls={listing}", "-s", "RETRY_TIMES=1",
                       "-s", "NEWSCRAWL_RETRY_BACKOFF=0", "-s", "CONCURRENT_REQUESTS=1")
    assert result.returncode == 0, result.stderr[-3000:]
    assert site.paths.count("/s/busy-333333333") == 2  # the retry happened
    final = progress(result.stderr)[-1]
    assert (final["done"], final["discovered"], final["share"]) == (len(urls), len(urls), 100), final
    assert final["items"] == 3


def test_an_interval_of_0_logs_no_progress(heute_mirror, tmp_path):
    result = crawl(tmp_path, "heute", "-a", f"base_url={heute_mirror}", interval=0)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Progress:" not in result.stderr and "item_scraped_count" in result.stderr

"""The heute spider: URL handling in-process, and real `scrapy crawl heute` runs against the mirror."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newscrawl.extract.sites.heute import Heute
from newscrawl.spiders.sites import HeuteSpider
from tests.conftest import HEUTE_MIRROR, read_jsonl, run_scrapy

SITE = Heute()
MIRROR_IDS = sorted(p.name.split(".")[0] for p in (HEUTE_MIRROR / "s").glob("*.expected.json"))


@pytest.mark.parametrize(("url", "article_id"), [
    ("https://www.heute.at/s/wadsak-ueber-klima-leugner-100282318", "100282318"),
    ("https://heute.at/s/u1-ubahn-in-wien-faehrt-nicht-problem-in-der-troststrasse-100124532", "100124532"),
    ("https://heute.at/s/-100148088", "100148088"),
    ("https://heute.at/s/hoechste-warnstufe-hagel-gewitter-bedroht-jetzt-wien-120041366/comments", "120041366"),
    ("https://www.heute.at/s/marken-ware-wurde-um-bis-zu-39-prozent-teurer-40001441", "40001441"),
    ("https://www.heute.at/s/slug-100148088/?utm_source=x", "100148088"),
])
def test_article_ids(url, article_id):
    assert SITE.article_id(url) == article_id
    assert SITE.is_article_url(url)


@pytest.mark.parametrize("url", [
    "https://www.heute.at/a/wirtschaft-100000001",
    "https://www.heute.at/i/foto-von-hofer-100170609/doc-1234",
    "https://www.heute.at/s/kurz-1234",
    "https://www.heute.at/",
])
def test_not_article_urls(url):
    assert not SITE.is_article_url(url)


def test_rebase_moves_heute_urls_to_the_mirror_host():
    spider = HeuteSpider(base_url="http://127.0.0.1:9999")
    spider.settings = None
    assert spider.rebase("https://www.heute.at/s/x-100148088") == "http://127.0.0.1:9999/s/x-100148088"
    assert spider.rebase("https://heute.at/s/x-100148088?a=1#c") == "http://127.0.0.1:9999/s/x-100148088?a=1"
    assert spider.rebase("https://example.com/s/x-100148088") == "https://example.com/s/x-100148088"


def test_bad_arguments_give_clear_errors():
    with pytest.raises(ValueError, match="since must be a date"):
        HeuteSpider(since="yesterday")
    with pytest.raises(ValueError, match="discover must be"):
        HeuteSpider(discover="rss")


def crawl(tmp_path: Path, base_url: str, *args: str) -> tuple[list[dict], str]:
    out = tmp_path / "items.jsonl"
    result = run_scrapy("crawl", "heute", "-a", f"base_url={base_url}", *args, "-O", str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    return read_jsonl(out), result.stderr


def test_crawl_through_sitemaps_finds_every_mirror_article_once(tmp_path, heute_mirror):
    items, log = crawl(tmp_path, heute_mirror)
    ids = [it["article_id"] for it in items]
    assert sorted(ids) == MIRROR_IDS  # every article, each once, no section/image pages
    assert all(it["site"] == "heute" and it["headline"] and it["published"] for it in items)
    assert "'newscrawl/sitemap/fetched': 3" in log  # index + two rolling sitemaps
    netflix = next(it for it in items if it["article_id"] == "100283517")
    assert netflix["headline"] == "930.000 Euro Lohn im Jahr – Netflix sucht KI-Manager"
    assert netflix["kicker"] == "Digital" and netflix["source"] == "20 Minuten"
    assert netflix["lead_image"]["credits"] == ["Getty Images"]
    gallery = netflix["galleries"][0]
    assert gallery["size"] == 50 and len(gallery["entries"]) == 50
    first = gallery["entries"][0]
    assert (first["date"], first["linked_article_id"], first["credits"]) == ("2024-11-18", "120072901",
                                                                              ["iStock", "Sabine Hertel"])
    assert first["title"] == '7-jähriger Schüler muss nackt in Papierkorb "machen".'
    assert first["link_url"] == "https://www.heute.at/s/7-jaehriger-schueler-muss-nackt-in-papierkorb-machen-120072901"


def test_since_skips_older_sitemap_entries(tmp_path, heute_mirror):
    all_items, _ = crawl(tmp_path, heute_mirror)
    lastmods = sorted(it["published"][:10] for it in all_items)
    cutoff = lastmods[len(lastmods) // 2]
    recent, log = crawl(tmp_path, heute_mirror, "-a", f"since={cutoff}")
    assert 0 < len(recent) < len(all_items)
    assert "newscrawl/sitemap/skipped_since" in log


def test_section_pages_as_discovery(tmp_path, heute_mirror):
    items, log = crawl(tmp_path, heute_mirror, "-a", "discover=sections")
    assert items, log[-2000:]
    assert {it["article_id"] for it in items} <= set(MIRROR_IDS)
    assert "newscrawl/sections/fetched" in log


def test_one_article_by_url(tmp_path, heute_mirror):
    items, _ = crawl(tmp_path, heute_mirror, "-a", "url=https://heute.at/s/-100148088")
    assert [it["article_id"] for it in items] == ["100148088"]
    assert items[0]["url"] == f"{heute_mirror}/s/-100148088"


def test_default_output_is_a_timestamped_jsonl_per_run(tmp_path, heute_mirror):
    result = run_scrapy("crawl", "heute", "-a", f"base_url={heute_mirror}", "-a", "url=https://heute.at/s/-100148088",
                        env={"NEWSCRAWL_OUTPUT_DIR": str(tmp_path / "out")})
    assert result.returncode == 0, result.stderr[-2000:]
    files = list((tmp_path / "out" / "heute").glob("*.jsonl"))
    assert len(files) == 1
    line = files[0].read_text(encoding="utf-8").splitlines()[0]
    assert json.loads(line)["article_id"] == "100148088"
    assert "Höchste" in line  # UTF-8, not \u-escaped

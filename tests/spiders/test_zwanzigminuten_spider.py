"""The zwanzigminuten spider: URL handling in-process, and real `scrapy crawl zwanzigminuten` runs against a
loopback mirror of the two 20min.ch corpus pages with the news sitemap of ``tests/site/zwanzigminuten``."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest

import newscrawl.mirror
from newscrawl.mirror import serve
from newscrawl.spiders.sites import ZwanzigMinutenSpider
from tests.conftest import PROJECT, SHARED, read_jsonl, run_scrapy

FIXTURES = PROJECT / "tests" / "site" / "zwanzigminuten"
CORPUS = SHARED / "corpus" / "ch"
PAGES = {"103241818": "ZwanzigMinuten_2024_12_17", "103441563": "ZwanzigMinuten_2025_11_06"}


def test_rebase_moves_20min_urls_to_the_mirror_host():
    spider = ZwanzigMinutenSpider(base_url="http://127.0.0.1:9999/")
    assert spider.rebase("https://www.20min.ch/story/x-103241818") == "http://127.0.0.1:9999/story/x-103241818"
    assert (spider.rebase("https://20min.ch/story/x-103241818?utm_source=nl&a=1#top")
            == "http://127.0.0.1:9999/story/x-103241818?a=1")
    assert spider.rebase("https://www.heute.at/s/x-100148088") == "https://www.heute.at/s/x-100148088"
    real = ZwanzigMinutenSpider(base_url="https://www.20min.ch")
    assert real.rebase("https://20min.ch/story/x-103241818?utm_medium=x#c") == "https://20min.ch/story/x-103241818"


def test_bad_arguments_give_clear_errors():
    with pytest.raises(ValueError, match="since must be a date"):
        ZwanzigMinutenSpider(since="gestern")
    with pytest.raises(ValueError, match="not a 20min.ch article URL"):
        ZwanzigMinutenSpider(url="https://www.20min.ch/ausland")


@pytest.fixture(scope="module")
def mirror(tmp_path_factory) -> str:
    """The fixture folder plus the gunzipped corpus pages at ``story/<slug>-<id>``, served on 127.0.0.1.

    The mirror server types files by extension; the extension-less story pages would go out as
    ``application/octet-stream``, so for this module they are served as ``text/html``.
    """
    if not all((CORPUS / f"{name}{ext}").is_file() for name in PAGES.values() for ext in (".html.gz", ".json")):
        pytest.skip(f"shared corpus not available: {CORPUS}")
    root = tmp_path_factory.mktemp("zwanzigminuten")
    shutil.copytree(FIXTURES, root, dirs_exist_ok=True)
    for name in PAGES.values():
        url = json.loads((CORPUS / f"{name}.json").read_text(encoding="utf-8"))["url"]
        target = root / url.split("://", 1)[1].split("/", 1)[1]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(gzip.decompress((CORPUS / f"{name}.html.gz").read_bytes()))
    typed = newscrawl.mirror.content_type
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(newscrawl.mirror, "content_type",
                      lambda path: "text/html; charset=utf-8" if not path.suffix else typed(path))
        with serve(root) as base_url:
            yield base_url


def crawl(tmp_path: Path, *args: str) -> tuple[list[dict], str]:
    out = tmp_path / "items.jsonl"
    result = run_scrapy("crawl", "zwanzigminuten", *args, "-O", str(out),
                        env={"NEWSCRAWL_OUTPUT_DIR": str(tmp_path / "output")})
    assert result.returncode == 0, result.stderr[-3000:]
    return read_jsonl(out), result.stderr


def test_crawl_through_the_news_sitemap(tmp_path, mirror):
    items, log = crawl(tmp_path, "-a", f"base_url={mirror}")
    assert sorted(it["article_id"] for it in items) == sorted(PAGES)
    for item in items:
        label = json.loads((CORPUS / f"{PAGES[item['article_id']]}.json").read_text(encoding="utf-8"))
        assert item["site"] == "zwanzigminuten"
        assert item["url"].startswith(mirror + "/story/")
        assert item["canonical_url"] == label["url"]
        assert item["headline"] == label["expected"]["title"]
        assert item["body"] == label["expected"]["paragraphs"]
    assert "'newscrawl/sitemap/fetched': 1" in log
    assert "'robotstxt/forbidden': 1" in log  # /story/gesperrt-… is disallowed by the mirror's robots.txt
    assert "response_status_count/404" not in log  # the /video/ entry is not an article: never requested


def test_since_uses_the_news_publication_date(tmp_path, mirror):
    items, log = crawl(tmp_path, "-a", f"base_url={mirror}", "-a", "since=2025-01-01")
    assert [it["article_id"] for it in items] == ["103441563"]
    assert "'newscrawl/sitemap/skipped_since': 1" in log


def test_one_article_by_url_with_the_base_url_setting(tmp_path, mirror):
    url = json.loads((CORPUS / f"{PAGES['103241818']}.json").read_text(encoding="utf-8"))["url"]
    items, log = crawl(tmp_path, "-s", f"ZWANZIGMINUTEN_BASE_URL={mirror}", "-a", f"url={url}?utm_source=x")
    assert [it["article_id"] for it in items] == ["103241818"]
    assert items[0]["url"] == mirror + url.removeprefix("https://www.20min.ch")
    assert items[0]["source"] == "dpa"
    assert "newscrawl/sitemap/fetched" not in log

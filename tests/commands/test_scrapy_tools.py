"""Scrapy's own tools on newscrawl's spiders (issue 13): ``scrapy parse <url>`` picks the spider and the callback from
the URL, ``scrapy check`` runs parse_article's contracts on the site's sample article. Real subprocesses against the
heute mirror on loopback; nothing reaches the internet (every check names the mirror as heute's base URL)."""

from __future__ import annotations

import json

import pytest
from scrapy import Request
from scrapy.utils.project import get_project_settings

from newscrawl.extract.sites import Site
from newscrawl.extract.sites.heute import Heute
from newscrawl.mirror import serve
from newscrawl.spiderloader import SpiderLoader
from tests.conftest import run_scrapy

SAMPLE = Heute.SAMPLE_ARTICLE
HEADLINE = "Öffi-Chaos bei der U1 – Tausende Fahrgäste sitzen fest"
SAMPLE_FILE = "s/120014860.html"


def mapped(base: str) -> tuple[str, str]:
    return "-s", "NEWSCRAWL_BASE_URLS=" + json.dumps({"heute": base})


# -- scrapy parse -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("how", ["--spider", "base_urls"])
def test_scrapy_parse_extracts_an_article_url_without_a_callback(heute_mirror, how):
    choose = ("--spider=heute",) if how == "--spider" else mapped(heute_mirror)
    result = run_scrapy("parse", *choose, "--nocolour", f"{heute_mirror}{SAMPLE}", timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"'headline': '{HEADLINE}'" in result.stdout, result.stdout[-3000:] + result.stderr[-3000:]
    assert "'site': 'heute'" in result.stdout  # extracted as heute's page, mirror host or not
    assert "NotImplementedError" not in result.stderr


def test_scrapy_parse_reads_a_sitemap_as_a_sitemap_and_a_section_page_as_one(heute_mirror):
    sitemap = run_scrapy("parse", *mapped(heute_mirror), "--nocolour", f"{heute_mirror}/sitemap/sitemap_2.xml",
                         timeout=120)
    assert sitemap.returncode == 0, sitemap.stderr[-3000:]
    assert f"<GET {heute_mirror}/s/" in sitemap.stdout  # article requests, rebased onto the mirror
    assert "'headline'" not in sitemap.stdout

    front = run_scrapy("parse", *mapped(heute_mirror), "--nocolour", f"{heute_mirror}/", timeout=120)
    assert front.returncode == 0, front.stderr[-3000:]
    assert f"<GET {heute_mirror}/s/" in front.stdout and "Traceback" not in front.stderr


def test_the_spider_of_a_url_is_the_site_serving_its_host_or_the_one_its_base_url_names():
    loader = SpiderLoader(get_project_settings())
    assert loader.find_by_request(Request("https://www.heute.at/s/x-120014860")) == ["heute"]
    assert loader.find_by_request(Request("https://heute.at/s/x-120014860")) == ["heute"]
    assert loader.find_by_request(Request("https://www.derstandard.at/story/3000000218734/x")) == ["derstandard"]
    assert loader.find_by_request(Request("https://www.example.com/news/1")) == []  # --spider=article -a url=
    settings = get_project_settings()
    settings.set("NEWSCRAWL_BASE_URLS", {"heute": "http://127.0.0.1:8765", "nosuchspider": "http://127.0.0.1:9"})
    loader = SpiderLoader(settings)
    assert loader.find_by_request(Request("http://127.0.0.1:8765/s/x-120014860")) == ["heute"]
    assert loader.find_by_request(Request("http://127.0.0.1:8766/s/x-120014860")) == []
    assert loader.find_by_request(Request("http://127.0.0.1:9/x")) == []


# -- scrapy check -----------------------------------------------------------------------------------------
def test_scrapy_check_runs_the_contracts_on_the_sample_article_of_the_mirror(heute_mirror):
    result = run_scrapy("check", "heute", *mapped(heute_mirror), timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Ran 4 contracts" in result.stderr and "\nOK" in result.stderr, result.stderr[-3000:]


@pytest.mark.parametrize("breakage, failure", [
    ("headline", "Returned 0 items, expected 1"),  # no headline: parse_article skips the page
    ("published", "empty fields: published"),
    ("missing", "HttpError"),  # a 404: the check errs, it does not pass with 0 contracts
])
def test_scrapy_check_fails_when_the_sample_article_breaks(mirror_copy, breakage, failure):
    page = mirror_copy / SAMPLE_FILE
    html = page.read_text(encoding="utf-8")
    if breakage == "headline":
        page.write_text(html.replace(HEADLINE, ""), encoding="utf-8")
    elif breakage == "published":
        page.write_text(html.replace("2024-01-17T17:41:00+01:00", "").replace("17.01.2024", ""), encoding="utf-8")
    else:
        page.unlink()
    with serve(mirror_copy) as base:
        result = run_scrapy("check", "heute", *mapped(base), timeout=120)
    assert result.returncode == 1, result.stderr[-3000:]
    assert "FAILED" in result.stderr and failure in result.stderr, result.stderr[-3000:]


def test_only_spiders_of_sites_with_a_sample_article_have_contracts():
    listed = run_scrapy("check", "-l", timeout=120)  # lists, fetches nothing
    assert listed.returncode == 0, listed.stderr[-3000:]
    assert listed.stdout.split() == ["heute", "*", "parse_article"]


def test_a_sample_article_must_be_a_path_of_the_sites_articles():
    class Sampled(Site, register=False):
        NAME = "sampled_test"
        HOSTS = ("sampled.example",)
        ARTICLE_URL = r"^/story/(?P<id>\d+)$"
        SAMPLE_ARTICLE = "/story/42"

    assert Sampled.SAMPLE_ARTICLE == "/story/42"
    for bad in ("/about", "https://sampled.example/story/42", "story/42"):
        with pytest.raises(TypeError, match="SAMPLE_ARTICLE"):
            class Bad(Site, register=False):
                NAME = "bad_sample_test"
                HOSTS = ("bad.example",)
                ARTICLE_URL = r"^/story/(?P<id>\d+)$"
                SAMPLE_ARTICLE = bad

"""derstandard.at and orf.at: their article-URL rules and declarations (the pages: test_heute_fixtures.py)."""

from __future__ import annotations

import re

import pytest

from newscrawl.extract.dates import VIENNA
from newscrawl.extract.sites import all_sites, site_for
from newscrawl.extract.sites.derstandard import DerStandard
from newscrawl.extract.sites.orf import Orf
from newscrawl.extract.sites.sources import Feed, NewsSitemap, Sitemap


@pytest.mark.parametrize(("url", "article_id"), [
    ("https://www.derstandard.at/story/3000000218734/nach-kalifat-rufen-in-hamburg?ref=rss", "3000000218734"),
    ("https://derstandard.at/story/3000000218734", "3000000218734"),
    ("https://www.derstandard.de/story/3000000218734/nach-kalifat-rufen-in-hamburg", "3000000218734"),
    ("https://www.derstandard.at/story/2000141234567/ein-aelterer-artikel", "2000141234567"),
    ("http://127.0.0.1:8765/story/3000000218734/nach-kalifat-rufen-in-hamburg", "3000000218734"),  # a mirror
])
def test_derstandard_article_ids(url, article_id):
    assert DerStandard().article_id(url) == article_id


@pytest.mark.parametrize("url", [
    "https://www.derstandard.at/", "https://www.derstandard.at/panorama", "https://www.derstandard.at/rss",
    "https://www.derstandard.at/sitemaps/news.xml", "https://www.derstandard.at/story/",
    "https://www.derstandard.at/story/12345/zu-kurz",
])
def test_derstandard_not_article_urls(url):
    assert not DerStandard().is_article_url(url)


@pytest.mark.parametrize(("url", "article_id"), [
    ("https://orf.at/stories/3376705/", "3376705"),
    ("https://orf.at/stories/3376705", "3376705"),
    ("https://news.orf.at/stories/3376705/", "3376705"),
    ("https://www.orf.at/stories/3376705/?utm_source=x", "3376705"),
    ("http://127.0.0.1:8765/stories/3376705/", "3376705"),  # a mirror
])
def test_orf_article_ids(url, article_id):
    assert Orf().article_id(url) == article_id


@pytest.mark.parametrize("url", [
    "https://orf.at/", "https://orf.at/stories/", "https://orf.at/stories/impressum-nachrichtenagenturen/",
    "https://rss.orf.at/news.xml",
    # Other ORF newsrooms number their stories themselves: no orf id, so no shared record key.
    "https://debatte.orf.at/stories/1835180/", "https://sport.orf.at/stories/3376705/",
    "https://wien.orf.at/stories/3376705/",
])
def test_orf_not_article_urls(url):
    assert not Orf().is_article_url(url)


def test_registered_and_chosen_by_host():
    assert {"derstandard", "orf"} <= set(all_sites())
    assert site_for("https://www.derstandard.at/story/3000000218734/x").NAME == "derstandard"
    assert site_for("https://www.derstandard.de/story/3000000218734/x").NAME == "derstandard"
    assert site_for("https://orf.at/stories/3376705/").NAME == "orf"
    assert site_for("https://notderstandard.at/story/3000000218734/x").NAME == "generic"


@pytest.mark.parametrize("site", [DerStandard, Orf])
def test_declared_in_vienna_with_a_feed(site):
    assert site.TIMEZONE is VIENNA and site.BASE_URL.startswith("https://")
    assert any(isinstance(source, Feed) for source in site.DISCOVERY)
    assert site().handles(site.BASE_URL)


def test_derstandard_sitemaps_are_the_news_sitemap_and_the_monthly_index():
    kinds = {type(source): source for source in DerStandard.DISCOVERY}
    assert kinds[NewsSitemap].path == "/sitemaps/news.xml"
    assert kinds[Sitemap].path == "/sitemaps/sitemap.xml"
    assert re.search(kinds[Sitemap].children, "https://www.derstandard.at/sitemaps/sitemap-2024-12.xml").group(1) == "2024"

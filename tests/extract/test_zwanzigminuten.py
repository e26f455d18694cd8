"""20min.ch: the site module's URL rules, and the two real pages of the shared corpus against their labels.

The corpus (``../shared/corpus/ch``) is not part of the project: the page tests skip when it is absent.
One test per (page, field), so a failure names both.
"""

from __future__ import annotations

import gzip
import json
from datetime import datetime
from functools import lru_cache
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest

from newscrawl.extract import extract_article
from newscrawl.extract.sites import site_for
from newscrawl.extract.sites.zwanzigminuten import ZwanzigMinuten
from tests.conftest import SHARED

CORPUS = SHARED / "corpus" / "ch"
PAGES = ["ZwanzigMinuten_2024_12_17", "ZwanzigMinuten_2025_11_06"]
SITE = ZwanzigMinuten()


@pytest.mark.parametrize(("url", "article_id"), [
    ("https://www.20min.ch/story/lebensmittel-gegen-erkaeltung-die-richtige-ernaehrung-zur-genesung-103441563",
     "103441563"),
    ("https://20min.ch/story/tiktok-bruessel-103241818/", "103241818"),
    ("https://www.20min.ch/story/tiktok-bruessel-103241818?utm_source=x&b=1", "103241818"),
    ("https://www.20min.ch/story/tiktok-bruessel-103241818/?utm_source=x", "103241818"),
    ("https://www.20min.ch/fr/story/un-titre-103441777", "103441777"),
    ("https://www.20min.ch/story/-103441563", "103441563"),
])
def test_article_ids(url, article_id):
    assert SITE.article_id(url) == article_id
    assert SITE.is_article_url(url)


@pytest.mark.parametrize("url", [
    "https://www.20min.ch/",
    "https://www.20min.ch/ausland",
    "https://www.20min.ch/video/wetter-prognose-103441000",
    "https://www.20min.ch/story/ohne-nummer",
    "https://www.20min.ch/story/kurz-2024",
    "https://www.20min.ch/story/tiktok-103241818/kommentare",
    "https://www.20min.ch/sitemaps/de/news.xml",
])
def test_not_article_urls(url):
    assert not SITE.is_article_url(url)


def test_registered_for_20min_hosts_only():
    assert site_for("https://www.20min.ch/story/x-103241818").NAME == "zwanzigminuten"
    assert site_for("https://20min.ch/story/x-103241818").NAME == "zwanzigminuten"
    assert site_for("https://not20min.ch/story/x-103241818").NAME == "generic"
    assert site_for("https://www.heute.at/s/x-100148088").NAME == "heute"


@lru_cache(maxsize=None)
def page(name: str) -> tuple[dict, dict]:
    """(extracted item, ground truth) of a corpus page."""
    html_path, label_path = CORPUS / f"{name}.html.gz", CORPUS / f"{name}.json"
    if not html_path.is_file() or not label_path.is_file():
        pytest.skip(f"shared corpus not available: {CORPUS}")
    label = json.loads(label_path.read_text(encoding="utf-8"))
    return extract_article(gzip.decompress(html_path.read_bytes()), label["url"]), label


@pytest.fixture(params=PAGES)
def pair(request) -> tuple[dict, dict]:
    return page(request.param)


def test_site_and_id(pair):
    item, label = pair
    assert item["site"] == "zwanzigminuten"
    assert item["article_id"] == label["url"].rsplit("-", 1)[1]


def test_headline(pair):
    item, label = pair
    assert item["headline"] == label["expected"]["title"]


def test_authors_are_people_and_an_agency_is_the_source(pair):
    item, label = pair
    labelled = label["expected"]["authors"]
    people = [a for a in labelled if a.casefold() not in ZwanzigMinuten.SOURCES]
    assert item["authors"] == people
    agencies = [ZwanzigMinuten.SOURCES[a.casefold()] for a in labelled if a.casefold() in ZwanzigMinuten.SOURCES]
    assert item["source"] == (agencies[0] if agencies else None)


def test_dpa_byline_gives_the_source():
    item, _ = page(PAGES[0])
    assert (item["authors"], item["source"]) == (["Konstantin Furrer"], "dpa")


def test_published_within_a_minute_in_zurich_time(pair):
    item, label = pair
    published = datetime.fromisoformat(item["published"])
    expected = datetime.fromisoformat(label["expected"]["published"])
    assert abs((published - expected).total_seconds()) <= 60
    assert published.utcoffset() == expected.astimezone(ZoneInfo("Europe/Zurich")).utcoffset()


def test_lead(pair):
    item, label = pair
    assert item["lead"] == label["expected"]["lead"]


def test_body_paragraphs(pair):
    item, label = pair
    assert item["body"] == label["expected"]["paragraphs"]


def test_subheadings(pair):
    item, label = pair
    assert item["subheadings"] == label["expected"]["subheadings"]


def test_labelled_images_have_their_caption_and_credits(pair):
    item, label = pair
    found = {urlsplit(img["url"]).path: img for img in [item["lead_image"], *item["images"]] if img}
    for expected in label["expected"]["images"]:
        image = found[urlsplit(expected["url"]).path]
        assert image["caption"] == expected["caption"]
        assert image["credits"] == expected["credits"]
        assert image["credit_raw"] not in image["caption"]


def test_every_shown_image_has_a_credit_apart_from_its_caption(pair):
    item, _ = pair
    shown = [img for img in [item["lead_image"], *item["images"]] if img and img["caption"]]
    assert shown
    for image in shown:
        assert image["credits"], image
        assert not image["caption"].endswith(image["credits"][-1]), image


def test_cover_image_is_the_lead_image():
    item, label = page(PAGES[1])
    cover = next(img for img in label["expected"]["images"] if img["is_cover"])
    assert urlsplit(item["lead_image"]["url"]).path == urlsplit(cover["url"]).path
    assert item["lead_image"]["credits"] == ["Getty Images"]

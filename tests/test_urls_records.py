"""URL normalisation, record keys and the content hash."""

import copy

import pytest

from newscrawl.records import content_hash, record_key
from newscrawl.urls import normalise_url, strip_tracking


@pytest.mark.parametrize("url", [
    "https://www.example.com/news/story-1",
    "http://example.com/news/story-1/",
    "https://example.com/news/story-1?utm_source=x&utm_medium=y#top",
    "https://EXAMPLE.com/news//story-1?fbclid=abc",
    "https://example.com/news/story-1/comments",
])
def test_variants_normalise_to_one_url(url):
    assert normalise_url(url, drop_suffixes=("/comments",)) == "https://example.com/news/story-1"


def test_real_query_parameters_survive_sorted():
    assert normalise_url("https://ex.org/a?page=2&id=7&utm_campaign=z") == "https://ex.org/a?id=7&page=2"
    assert strip_tracking("https://ex.org/a?id=7&gclid=1") == "https://ex.org/a?id=7"


def test_keep_www_when_asked():
    assert normalise_url("https://www.ex.org/a/", strip_www=False) == "https://www.ex.org/a"


def test_record_key_prefers_site_id_then_normalised_canonical():
    assert record_key({"site": "heute", "article_id": "100148088", "canonical_url": "x"}) == "heute:100148088"
    assert record_key({"site": "generic", "article_id": None, "canonical_url": "https://www.ex.org/a/"}) == "url:https://ex.org/a"
    assert record_key({"site": "generic"}) is None


ITEM = {"site": "heute", "article_id": "1", "headline": "H", "body": ["a", "b"], "url": "https://heute.at/s/-1",
        "fetched_at": "2025-01-01T00:00:00+00:00", "field_sources": {"headline": "html"}, "comment_count": 3,
        "galleries": [{"title": None, "size": 2, "entries": [{"linked_article_id": "9", "caption": "x"}]}]}


def test_hash_ignores_fetch_metadata_and_injected_news_galleries():
    other = copy.deepcopy(ITEM)
    other.update(url="https://www.heute.at/s/x-1/comments", fetched_at="2026-01-01T00:00:00+00:00",
                 field_sources={}, comment_count=99)
    other["galleries"][0]["entries"][0]["caption"] = "tomorrow's news"
    assert content_hash(other) == content_hash(ITEM)


def test_hash_changes_with_content():
    other = copy.deepcopy(ITEM)
    other["body"][1] = "b changed"
    assert content_hash(other) != content_hash(ITEM)
    photo = copy.deepcopy(ITEM)
    photo["galleries"][0]["entries"][0]["linked_article_id"] = None  # a photo gallery belongs to the article
    changed = copy.deepcopy(photo)
    changed["galleries"][0]["entries"][0]["caption"] = "new caption"
    assert content_hash(photo) != content_hash(changed)

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


def _reference_hash(item) -> str:
    """The content hash as first defined (json.dumps, sorted keys, compact, UTF-8): stored hashes use it."""
    import hashlib
    import json

    from newscrawl.records import content_fields
    payload = json.dumps(content_fields(item), sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _mirror_items():
    import json
    from pathlib import Path
    folder = Path(__file__).parent / "site" / "heute" / "s"
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.expected.json"))]


def test_hash_is_the_same_as_the_json_definition_so_stored_hashes_stay_valid():
    items = [ITEM, *_mirror_items()]
    assert len(items) > 10
    tricky = copy.deepcopy(ITEM)
    tricky["body"] = ["tab\tquote\"back\\slash\nline", "\x01\x1f\x7f\u2028\u2029\ufeff", "é 😀 Jänner", ""]
    tricky["headline"] = "</script><b>&amp;</b>"
    for item in [*items, tricky]:
        assert content_hash(item) == _reference_hash(item)


def test_hash_of_values_orjson_refuses_falls_back_to_the_same_definition():
    big = copy.deepcopy(ITEM)
    big["galleries"][0]["entries"][0]["linked_article_id"] = None  # a photo gallery: part of the hash
    big["galleries"][0]["size"] = 2 ** 70  # beyond 64 bits: orjson refuses, json does not
    lone = copy.deepcopy(big)
    lone["galleries"][0]["size"] = 2
    lone["headline"] = "lone \udc80 surrogate"  # orjson refuses; validate repairs these before dedup
    assert content_hash(big) == _reference_hash(big)
    assert len({content_hash(big), content_hash(lone), content_hash(ITEM)}) == 3


def test_hash_and_dict_of_a_dataclass_item_match_those_of_its_plain_dict():
    from datetime import datetime, timezone

    from newscrawl.extract import extract
    from newscrawl.items import plain
    from newscrawl.records import item_dict
    from tests.conftest import HEUTE_MIRROR
    pages = sorted((HEUTE_MIRROR / "s").glob("*.html"))
    assert len(pages) > 10
    for page in pages:
        article = extract(page.read_bytes(), f"https://www.heute.at/s/x-{page.stem}")
        as_dict = plain(article)
        assert item_dict(article) == as_dict
        assert content_hash(article) == content_hash(as_dict) == _reference_hash(as_dict)
    article.fetched_at = datetime(2025, 1, 5, tzinfo=timezone.utc)  # not a JSON type: kept, not made text
    assert item_dict(article)["fetched_at"] == article.fetched_at

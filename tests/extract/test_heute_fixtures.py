"""Every article of the heute.at mirror against the expected item written beside it.

One parametrised test, one case per (page, field): a failure names the page and the field, and one
broken field does not hide the others.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import pytest

from newscrawl.extract import extract_article

MIRROR = Path(__file__).resolve().parent.parent / "site" / "heute"
EXPECTED = sorted((MIRROR / "s").glob("*.expected.json"))


@lru_cache(maxsize=None)
def extracted(article_id: str) -> dict:
    expected = json.loads((MIRROR / "s" / f"{article_id}.expected.json").read_text(encoding="utf-8"))
    html = (MIRROR / "s" / f"{article_id}.html").read_bytes()
    return extract_article(html, expected["canonical_url"])


def cases():
    for path in EXPECTED:
        expected = json.loads(path.read_text(encoding="utf-8"))
        article_id = path.name.split(".")[0]
        for field, value in expected.items():
            yield pytest.param(article_id, field, value, id=f"{article_id}-{field}")


def test_mirror_has_fixtures():
    assert len(EXPECTED) >= 12, "the heute mirror needs at least 12 articles with expected items"


@pytest.mark.parametrize(("article_id", "field", "expected"), list(cases()))
def test_field(article_id, field, expected):
    assert extracted(article_id)[field] == expected


def test_every_filled_field_has_a_source():
    for path in EXPECTED:
        item = extracted(path.name.split(".")[0])
        for field, value in item.items():
            if field in ("url", "site", "fetched_at", "field_sources", "extractor"):
                continue
            if value not in (None, "", [], {}):
                assert item["field_sources"].get(field) in ("jsonld", "meta", "html", "text"), (path.name, field)

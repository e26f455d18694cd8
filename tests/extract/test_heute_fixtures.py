"""Every article of the heute.at mirror, and the shared-corpus pages of the other declared sites, against the
expected item written for it.

One parametrised test, one case per (page, field): a failure names the page and the field, and one
broken field does not hide the others.

The other sites' pages are real pages of ``../shared/corpus`` (not part of this repository, so never copied into
it): ``tests/site/<site>/<Page>.expected.json`` holds the expected item of ``../shared/corpus/*/<Page>.html.gz``,
written from what the page shows. Their cases skip, saying so, when the shared corpus is absent.
"""

from __future__ import annotations

import gzip
import json
from functools import lru_cache
from pathlib import Path

import pytest

from newscrawl.extract import extract_article
from tests.conftest import SHARED

SITES = Path(__file__).resolve().parent.parent / "site"
MIRROR = SITES / "heute"
EXPECTED = sorted((MIRROR / "s").glob("*.expected.json"))
# Expected items of shared-corpus pages: tests/site/<site>/<Page>.expected.json (heute's mirror keeps its own in s/).
CORPUS_EXPECTED = sorted(SITES.glob("*/*.expected.json"))
CORPUS = SHARED / "corpus"


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


@lru_cache(maxsize=None)
def corpus_page(path: Path) -> tuple[dict, dict]:
    """(expected, extracted) of a shared-corpus page; skips when ../shared/corpus does not hold it."""
    expected = json.loads(path.read_text(encoding="utf-8"))
    name = path.name.split(".")[0]
    pages = sorted(CORPUS.glob(f"*/{name}.html.gz")) if CORPUS.is_dir() else []
    if not pages:
        pytest.skip(f"shared corpus page {name}.html.gz not available under {CORPUS} (../shared is not part of the "
                    f"repository)")
    return expected, extract_article(gzip.decompress(pages[0].read_bytes()), expected["url"])


def corpus_cases():
    for path in CORPUS_EXPECTED:
        for field in json.loads(path.read_text(encoding="utf-8")):
            yield pytest.param(path, field, id=f"{path.parent.name}-{path.name.split('.')[0]}-{field}")


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


def test_the_austrian_sites_have_corpus_fixtures():
    assert {p.parent.name for p in CORPUS_EXPECTED} >= {"derstandard", "orf"}


@pytest.mark.parametrize(("path", "field"), list(corpus_cases()))
def test_corpus_field(path, field):
    expected, item = corpus_page(path)
    assert item[field] == expected[field]


@pytest.mark.parametrize("path", CORPUS_EXPECTED, ids=lambda p: p.parent.name)
def test_corpus_page_every_filled_field_has_a_source(path):
    _, item = corpus_page(path)
    assert item["site"] == path.parent.name
    for field, value in item.items():
        if field in ("url", "site", "fetched_at", "field_sources", "extractor") or value in (None, "", [], {}):
            continue
        assert item["field_sources"].get(field) in ("jsonld", "meta", "html", "text"), field

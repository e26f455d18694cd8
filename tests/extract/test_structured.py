"""Structured-data layer: JSON-LD shapes, OpenGraph and meta, and the agreement rule."""

import json

from newscrawl.extract import extract_article
from newscrawl.extract.document import Page
from newscrawl.extract.merge import Candidates
from newscrawl.extract.structured import from_jsonld, from_meta

URL = "https://news.example.org/politik/some-story-123456"


def page(head: str = "", body: str = "") -> Page:
    return Page(f"<html><head>{head}</head><body>{body}</body></html>", URL)


def ld(obj) -> str:
    return f'<script type="application/ld+json">{json.dumps(obj)}</script>'


def jsonld(obj) -> Candidates:
    cands = Candidates()
    from_jsonld(page(ld(obj) if not isinstance(obj, str) else obj), cands)
    return cands


def test_graph_with_nested_author_and_image_object():
    c = jsonld({"@context": "https://schema.org", "@graph": [
        {"@type": "WebPage", "@id": URL},
        {"@type": ["NewsArticle"], "headline": "Titel", "datePublished": "2025-06-27T20:04:00+02:00",
         "author": [{"@type": "Person", "name": "Anna Muster"}, {"@id": "#bob"}],
         "image": {"@type": "ImageObject", "url": "https://img/1.jpg", "caption": "Bild", "creditText": "APA/Hans Punz"},
         "keywords": "Wien, Wetter", "commentCount": "12"},
        {"@type": "Person", "@id": "#bob", "name": "Bob Beispiel"},
    ]})
    assert c.first("headline") == ("Titel", "jsonld")
    assert c.first("authors")[0] == ["Anna Muster", "Bob Beispiel"]
    assert c.first("lead_image")[0] == {"url": "https://img/1.jpg", "caption": "Bild", "credit_raw": "APA/Hans Punz"}
    assert c.first("keywords")[0] == ["Wien", "Wetter"]
    assert c.first("comment_count")[0] == 12


def test_top_level_array_and_organisation_author():
    c = jsonld([{"@type": "Organization", "name": "X"},
                {"@type": "Article", "headline": "H", "author": {"@type": "Organization", "name": "20 Minuten"}}])
    assert c.first("authors") is None
    assert c.first("source_orgs")[0] == ["20 Minuten"]


def test_broken_json_is_repaired_or_ignored():
    trailing = '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Ok",}</script>'
    assert jsonld(trailing).first("headline")[0] == "Ok"
    broken = '<script type="application/ld+json">{"@type": "NewsArticle", "headline": </script>'
    assert jsonld(broken).first("headline") is None


def test_meta_and_opengraph():
    c = Candidates()
    from_meta(page('<meta property="og:title" content="T | Site"><meta property="og:site_name" content="Site">'
                   '<meta property="article:published_time" content="2025-01-05T10:00:00+01:00">'
                   '<meta name="keywords" content="a, b"><link rel="canonical" href="/c-123456">'), c)
    assert c.first("headline")[0] == "T | Site"
    assert c.first("published_raw")[0] == "2025-01-05T10:00:00+01:00"
    assert c.first("keywords")[0] == ["a", "b"]
    assert c.first("canonical_url")[0] == "https://news.example.org/c-123456"


def test_agreement_beats_source_order():
    c = Candidates()
    c.add("headline", "Stale template title", "jsonld")
    c.add("headline", "Real Headline", "meta")
    c.add("headline", "Real  headline", "html")
    assert c.choose("headline", ("jsonld", "meta", "html"))[0] == "Real Headline"
    c.add("headline", "Site says", "site")
    assert c.choose("headline")[0] == "Site says"


def test_site_suffix_is_cut_from_og_title_and_sources_recorded():
    html = ('<html lang="de"><head><meta property="og:title" content="Die Schlagzeile | Beispielblatt">'
            '<meta property="og:site_name" content="Beispielblatt"></head><body><article>'
            '<p>Ein Absatz mit genug Text, damit es ein Artikel ist, und noch etwas mehr Text dazu.</p></article></body></html>')
    item = extract_article(html, URL)
    assert item["headline"] == "Die Schlagzeile"
    assert item["field_sources"]["headline"] == "meta"
    assert item["language"] == "de"


def test_extraction_never_raises_on_garbage():
    for junk in ["", "   ", "<<<>>>", b"\xff\xfe\x00garbage", "<html><body><h1>", "<?xml version='1.0'?><rss/>", "\x00" * 50]:
        item = extract_article(junk, URL)
        assert item["url"] == URL and item["body"] == []

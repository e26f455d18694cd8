"""Hostile pages: extraction stays linear in the page and never raises (issue 11, D5 and D4).

Each page holds one absurd field — a headline, title, meta tag, JSON-LD value, byline, date line or caption
of a megabyte, filled with title separators (the worst case for cutting "Headline | Site" suffixes) — beside
an ordinary article. Extraction must finish in a small multiple of parsing time (the bound below only
catches quadratic blow-ups: a 300 KB headline took 261 s before) and still find the article's own headline
and text. Extraction runs in a worker process, so a page that hangs fails its test instead of the run.

Deep nesting: JSON-LD nested 100,000 levels (json raises RecursionError) is skipped like malformed JSON-LD
and the rest of the page extracts; HTML nested 100,000 levels is cut by libxml2's depth limit (255) while
parsing, so the recursive walks over the tree never go deeper than that.
"""

from __future__ import annotations

import json
import multiprocessing
import time
from datetime import datetime, timezone

import pytest

from newscrawl.extract import extract

MB = 1_000_000
HANG_GUARD = 10.0  # seconds; these pages extract in well under one
FETCHED = datetime(2025, 7, 3, 8, 0, tzinfo=timezone.utc)
URL = "https://www.example.com/politik/normale-schlagzeile-123456"
HEADLINE = "Normale Schlagzeile"
P1 = ("Der erste Absatz des Artikels erzählt, was geschehen ist, und er ist lang genug, um als Text zu gelten, "
      "auch wenn daneben ein feindseliges Feld von einem Megabyte steht.")
P2 = ("Der zweite Absatz führt die Geschichte weiter und schließt sie mit einem ganzen Satz ab, wie es sich "
      "für einen Artikel gehört, der aus mehr als einem Absatz besteht.")


def separated(sep: str = " - ", n: int = MB) -> str:
    """``n`` characters of short words between title separators."""
    unit = "Wort" + sep
    return (unit * (n // len(unit) + 1))[:n]


def page(head: str = "", before: str = "", after: str = "", h1: str = HEADLINE, body_extra: str = "") -> str:
    return (f'<html lang="de"><head><meta charset="utf-8"><meta property="og:title" content="{HEADLINE}">{head}'
            f'</head><body><article><h1>{h1}</h1>{before}<p>{P1}</p><p>{P2}</p>{after}</article>{body_extra}'
            "</body></html>")


def jsonld(obj) -> str:
    return f'<script type="application/ld+json">{json.dumps(obj)}</script>'


HUGE = separated()
HUGE_PIPES = separated(" | ")
HUGE_NAMES = separated(" und ")
HUGE_DATES = separated(" 12.03.2024, 10:00 ")
HUGE_CREDIT = separated(" Foto: ")

MEGABYTE_FIELDS = {
    "h1": page(h1=HUGE),
    "title element": page(head=f"<title>{HUGE}</title>"),
    "og:title and og:site_name": page(head=f'<meta property="og:site_name" content="{HUGE}">'
                                           f'<meta name="twitter:title" content="{HUGE_PIPES}">'),
    "meta title and description": page(head=f'<meta name="title" content="{HUGE_PIPES}">'
                                            f'<meta name="description" content="{HUGE}">'
                                            f'<meta property="og:description" content="{HUGE}">'),
    "meta author, date, section, keywords": page(head=f'<meta name="author" content="{separated(", ")}">'
                                                      f'<meta property="article:published_time" content="{HUGE_DATES}">'
                                                      f'<meta property="article:section" content="{HUGE}">'
                                                      f'<meta name="keywords" content="{separated(",")}">'),
    "JSON-LD headline, author, date": page(head=jsonld({
        "@context": "https://schema.org", "@type": "NewsArticle", "headline": HUGE, "datePublished": HUGE_DATES,
        "author": [{"@type": "Person", "name": HUGE_NAMES}, "Erika Mustermann"]})),
    "JSON-LD description, keywords, section": page(head=jsonld({
        "@context": "https://schema.org", "@type": "NewsArticle", "headline": HEADLINE, "description": HUGE,
        "keywords": separated(", "), "articleSection": HUGE})),
    "JSON-LD publisher, image": page(head=jsonld({
        "@context": "https://schema.org", "@type": "NewsArticle", "headline": HEADLINE,
        "publisher": {"@type": "Organization", "name": HUGE}, "image": {
            "@type": "ImageObject", "url": "https://www.example.com/a.jpg", "caption": HUGE_CREDIT,
            "creditText": separated("; ")}})),
    "author link": page(before=f'<a rel="author" href="/autor/x">{HUGE_NAMES}</a>'),
    "time element": page(before=f'<time datetime="{HUGE_DATES}">{HUGE_DATES}</time>'),
    "kicker and lead": page(before=f'<span class="kicker">{HUGE}</span><p class="lead">{HUGE}</p>'),
    "figure caption and credit": page(after=f'<figure><img src="/a.jpg" alt="{HUGE}"><figcaption>{HUGE_CREDIT}'
                                            f'<span class="credit">{separated("; ")}</span></figcaption></figure>'),
    "glued caption credit": page(after=f'<figure><img src="/a.jpg"><figcaption>{HUGE_CREDIT}</figcaption></figure>'),
    "gallery slide caption": page(after=f'<div class="gallery"><div class="slide"><img src="/1.jpg">'
                                        f'<span class="caption">{HUGE}</span></div><div class="slide">'
                                        f'<img src="/2.jpg"><span class="credit">{HUGE_CREDIT}</span></div></div>'),
    "comment counter": page(after=f'<span class="comments">{HUGE}</span>'),
    "source line": page(after=f'<p class="source">Quelle: {HUGE}</p>'),
    "breadcrumb": page(before=f'<nav class="breadcrumb"><a href="/">Start</a><a href="/p">{HUGE}</a></nav>'),
    "class attribute": page(before=f'<div class="{separated(" ")}">x</div>'),
}

# Visible text of a megabyte outside any furniture is most of the page's text: it may be read as the body,
# but the page extracts as fast and keeps its headline.
MEGABYTE_TEXT = {
    "h1 with a kicker": page(h1=f'<span class="kicker">{HUGE}</span>{HUGE}'),
    "byline": page(before=f'<div class="byline">Von {HUGE_NAMES}</div>'),
    "date line": page(before=f'<div class="date">Stand: {HUGE_DATES}</div>'),
}


def _timed_extract(html: str, url: str):
    """Runs in the worker process: the article and the seconds its extraction took there."""
    started = time.perf_counter()
    article = extract(html, url, fetched_at=FETCHED)
    return article, time.perf_counter() - started


@pytest.fixture(scope="module")
def worker():
    """One worker process for the module; a page that hangs is abandoned and the worker replaced."""
    holder = {"pool": None}

    def run(html: str, url: str = URL):
        if holder["pool"] is None:
            holder["pool"] = multiprocessing.get_context("spawn").Pool(1)
            holder["pool"].apply(_timed_extract, ("<html><body><h1>x</h1><p>warm-up</p></body></html>", URL))
        try:
            return holder["pool"].apply_async(_timed_extract, (html, url)).get(timeout=HANG_GUARD)
        except multiprocessing.TimeoutError:
            holder["pool"].terminate()  # kills the worker stuck on the page
            holder["pool"] = None
            pytest.fail(f"extraction did not finish within {HANG_GUARD} s")

    yield run
    if holder["pool"] is not None:
        holder["pool"].terminate()


@pytest.mark.parametrize("name", list(MEGABYTE_FIELDS))
def test_a_megabyte_field_extracts_in_linear_time_and_the_article_is_found(worker, name):
    article, seconds = worker(MEGABYTE_FIELDS[name])
    assert seconds < HANG_GUARD
    assert article.headline == HEADLINE
    assert P1 in article.body and P2 in article.body


@pytest.mark.parametrize("name", list(MEGABYTE_TEXT))
def test_a_megabyte_of_visible_text_extracts_in_linear_time(worker, name):
    article, seconds = worker(MEGABYTE_TEXT[name])
    assert seconds < HANG_GUARD
    assert article.headline == HEADLINE
    assert sum(map(len, article.body)) > 0.9 * MB


def test_an_absurd_headline_is_no_headline_and_the_page_has_none_without_another_source(worker):
    html = page(h1=HUGE).replace(f'<meta property="og:title" content="{HEADLINE}">', "")
    article, _ = worker(html)
    assert article.headline is None
    assert P1 in article.body


def test_a_megabyte_paragraph_is_text(worker):
    huge = "Ein langer Satz, der nicht endet und immer weiter geht. " * (MB // 56)
    article, seconds = worker(page(after=f"<p>{huge}</p>"))
    assert seconds < HANG_GUARD
    assert article.headline == HEADLINE
    assert article.body[:2] == [P1, P2] and len(article.body[2]) > 0.9 * MB


def test_a_hundred_thousand_tiny_paragraphs(worker):
    article, seconds = worker(page(after="<p>x</p>" * 100_000))
    assert seconds < HANG_GUARD
    assert article.headline == HEADLINE and article.body[:2] == [P1, P2]


def test_twenty_thousand_dates_are_weighed_in_linear_time(worker):
    """Every date candidate used to be compared with every other one."""
    times = "".join(f'<span><time datetime="2024-03-{1 + i % 28:02d}T10:{i % 60:02d}:00+01:00">x</time></span>'
                    for i in range(20_000))
    article, seconds = worker(page(after=times))
    assert seconds < HANG_GUARD
    assert article.published is not None and article.published.startswith("2024-03-")
    assert P1 in article.body


def test_twenty_thousand_dates_in_one_list_are_read_in_linear_time(worker):
    """Each <time>'s parent was read whole to find a label before it: 8,000 dates in one list took 150 s."""
    times = "".join(f'<time datetime="2024-03-{1 + i % 28:02d}T10:{i % 60:02d}:00+01:00">{1 + i % 28}. März</time> '
                    for i in range(20_000))
    article, seconds = worker(page(after=f'<div class="teasers">{times}</div>'))
    assert seconds < HANG_GUARD
    assert article.published is not None and article.published.startswith("2024-03-")
    assert P1 in article.body


def test_a_page_of_twenty_thousand_headings_gets_no_second_opinion(worker):
    """trafilatura's main pass removes trailing headings one by one, counting its result each time
    (quadratic); a page this large is read by the generic layers alone."""
    article, seconds = worker(page(after="<h2>Zwischentitel</h2>" * 20_000))
    assert seconds < HANG_GUARD
    assert article.headline == HEADLINE and P1 in article.body
    assert "second_opinion" not in article.extractor


# -- D4: deep nesting ---------------------------------------------------------------------------------

DEEP = 100_000
ARTICLE_LD = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": HEADLINE,
              "author": {"@type": "Person", "name": "Erika Mustermann"}, "datePublished": "2025-07-01T10:00:00+02:00"}
DEEP_JSONLD = {
    "arrays": "[" * DEEP + "]" * DEEP,
    "objects": '{"a":' * DEEP + "1" + "}" * DEEP,
    "arrays and objects": '[{"@graph":' * DEEP + "[]" + "}]" * DEEP,
    "inside an article": json.dumps(ARTICLE_LD)[:-1] + ', "about": ' + '[{"a":' * DEEP + "1" + "}]" * DEEP + "}",
}


@pytest.mark.parametrize("name", list(DEEP_JSONLD))
def test_deeply_nested_jsonld_is_skipped_and_the_rest_of_the_page_extracts(name):
    deep = f'<script type="application/ld+json">{DEEP_JSONLD[name]}</script>'
    html = page(head=deep + jsonld(ARTICLE_LD))
    article = extract(html, URL, fetched_at=FETCHED)
    assert article.headline == HEADLINE
    assert article.body == [P1, P2]
    # the page's other JSON-LD block is still read
    assert article.authors == ["Erika Mustermann"] and article.field_sources["authors"] == "jsonld"
    assert article.published == "2025-07-01T10:00:00+02:00"


def test_a_jsonld_block_over_the_size_limit_is_skipped_and_the_rest_of_the_page_extracts():
    from newscrawl.extract.structured import MAX_JSONLD_CHARS

    huge = jsonld(dict(ARTICLE_LD, author={"@type": "Person", "name": "Max Groß"}, articleBody=HUGE * 5))
    assert len(huge) > MAX_JSONLD_CHARS
    article = extract(page(head=huge + jsonld(ARTICLE_LD)), URL, fetched_at=FETCHED)
    assert article.headline == HEADLINE and article.body == [P1, P2]
    assert article.authors == ["Erika Mustermann"]


def test_jsonld_nested_a_few_hundred_levels_is_read_to_the_depth_that_matters():
    """Below the interpreter's recursion limit json parses it; the walks read only the first levels."""
    nested = dict(ARTICLE_LD, about=json.loads('[{"a":' * 300 + "1" + "}]" * 300))
    article = extract(page(head=jsonld(nested)), URL, fetched_at=FETCHED)
    assert article.authors == ["Erika Mustermann"] and article.body == [P1, P2]


@pytest.mark.parametrize("tag", ["div", "span", "b", "table", "li", "section"])
def test_html_nested_a_hundred_thousand_levels_extracts_what_precedes_the_cut(tag):
    """libxml2 stops building the tree at depth 255 (its limit without XML_PARSE_HUGE): the text after
    such a page's nesting is lost, but no walk over the tree recurses deeper than that, and what came
    before is the article."""
    html = page(after=f"<{tag}>" * DEEP + "tief" + f"</{tag}>" * DEEP)
    article = extract(html, URL, fetched_at=FETCHED)
    assert article.headline == HEADLINE
    assert article.body[:2] == [P1, P2]


def test_html_nested_to_the_parser_limit_inside_the_article():
    """The deepest tree libxml2 builds, with the text at the bottom: every recursive walk (the scan, the
    text of an element, text without bylines, trafilatura's second opinion) reaches it without raising."""
    html = (f'<html><head><meta property="og:title" content="{HEADLINE}"></head><body><article><h1>{HEADLINE}</h1>'
            '<div class="byline"><span>Von Erika Mustermann</span></div>' + "<div>" * 240
            + f"<p>{P1}</p><p>{P2}</p>" + "</div>" * 240 + "</article></body></html>")
    article = extract(html, URL, fetched_at=FETCHED)
    assert article.headline == HEADLINE
    assert article.body == [P1, P2]
    assert article.authors == ["Erika Mustermann"]

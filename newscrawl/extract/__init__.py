"""Article extraction: pure functions of (html, url).

``extract_article(html, url)`` parses the page once, lets each layer propose candidates — structured data
(:mod:`.structured`), generic DOM rules (:mod:`.dom`), then the site module chosen from the URL
(:mod:`.sites`) — and assembles one :class:`~newscrawl.items.Article` from the agreed values, recording
in ``field_sources`` where every filled field came from. It never raises on bad input: it returns what it
could find.
"""

from __future__ import annotations

from datetime import datetime, timezone

from .. import __version__
from ..items import Article
from . import assemble, dom, second_opinion, structured
from .document import Page
from .dom import SlideMemo
from .merge import Candidates
from .sites import Site, site_for

EXTRACTOR_NAME = "newscrawl"


def extract(html: str | bytes, url: str, *, site: Site | None = None, fetched_at: datetime | None = None,
            ask_second_opinion: bool = True, slides: SlideMemo | None = None) -> Article:
    """Extract an :class:`Article` from a page.

    ``site`` defaults to the module for the host of ``url``, the URL the page was fetched from; a page
    fetched from a mirror is a site's only when the caller says so (the site spiders do for their
    ``base_url``). The page's canonical link never chooses the site: any page can declare any canonical, and
    one on another publisher's host is kept as ``canonical_claim`` only (:meth:`Site.may_claim`), so that it
    cannot give the article another publisher's key. ``fetched_at`` anchors relative dates ("vor 2
    Stunden"). On a page without a site module whose text the generic layers found on weak evidence,
    trafilatura is asked for a second opinion (:mod:`.second_opinion`) unless ``ask_second_opinion`` is
    false. ``slides`` remembers gallery slides across the pages of a crawl (:class:`SlideMemo`); without it
    every slide is read afresh.
    """
    fetched_at = fetched_at or datetime.now(timezone.utc)
    page = Page(html, url)
    site = site or site_for(url)
    cands = Candidates()
    structured.from_jsonld(page, cands)
    structured.from_meta(page, cands)
    scan = dom.extract(page, cands, article_id_of=site.article_id, slides=slides)
    site.refine(page, cands)
    asked = _second_opinion(page, cands, scan.evidence) if ask_second_opinion and site.NAME == "generic" else None
    article = assemble.article(page, cands, site, fetched_at)
    article.extractor = {"name": EXTRACTOR_NAME, "version": __version__, "site": site.NAME}
    if asked:
        article.extractor["second_opinion"] = asked
    return article


def _second_opinion(page: Page, cands: Candidates, evidence: dict) -> str | None:
    """None when the evidence was clear; "kept" or "taken" when trafilatura was asked (and its text taken)."""
    found = cands.first("body", ("html",))
    paragraphs = found[0] if found else []
    if not second_opinion.needed(evidence, paragraphs):
        return None
    better = second_opinion.decide(paragraphs, second_opinion.text_of(page.html, page.url))
    if better is None:
        return "kept"
    cands.replace("body", better, "trafilatura")
    cands.replace("subheadings", [], "trafilatura")  # trafilatura's text holds its headings as lines
    return "taken"


def extract_article(html: str | bytes, url: str) -> dict:
    """The item as a plain JSON-serialisable dict; the site module is chosen from the URL."""
    return extract(html, url).to_dict()


def clear_caches() -> None:
    """Forget the gallery captions parsed so far (benchmarks: every pass sees the pages as new)."""
    from .galleries import _parse_caption

    _parse_caption.cache_clear()


__all__ = ["SlideMemo", "clear_caches", "extract", "extract_article"]

"""What every newscrawl spider shares: turning a fetched article page into an item, and Scrapy's own tools.

Spiders only discover and fetch; :meth:`ArticleSpider.parse_article` hands the page to
:func:`newscrawl.extract.extract` (in worker processes: :mod:`newscrawl.extract_workers`) and counts what happened in
the crawl stats. It holds no selectors.

Scrapy's tools work on every spider: ``scrapy parse <url>`` finds the spider whose site serves the URL's host
(:meth:`ArticleSpider.handles_request`; a mirror's address through ``NEWSCRAWL_BASE_URLS``:
:mod:`newscrawl.spiderloader`) and :meth:`ArticleSpider.parse` picks the callback from the page: a sitemap,
a feed, an article URL of the site or one of its section pages. ``scrapy check <spider>`` fetches the site's
sample article (``Site.SAMPLE_ARTICLE``) and checks what ``parse_article`` makes of it (:mod:`newscrawl.contracts`).
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any, Callable

import scrapy
from scrapy.http import Request, Response, TextResponse

from ..extract.sites import Site, site_for
from ..records import same_publisher
from ..extract_workers import ExtractionCrashed, ExtractionTimedOut, ExtractionWorkers
from .entries import document_body


# Less body text than this is a section, image or error page served at an article URL, or an empty page.
MIN_BODY_CHARS = 150
# The first element of an XML document (after the declaration, comments and doctype): what kind of source it is.
FIRST_ELEMENT = re.compile(rb"<([A-Za-z_][\w.:-]*)")
SITEMAP_ROOTS = frozenset({b"urlset", b"sitemapindex"})
FEED_ROOTS = frozenset({b"rss", b"feed", b"rdf"})
SNIFF_BYTES = 4096

# The contracts of parse_article on a spider whose site declares a sample article (``scrapy check``).
CONTRACTS = """
        @sample_article
        @returns items 1 1
        @returns requests 0 0
        @filled headline body published
"""


def document_kind(body: bytes, max_size: int) -> str | None:
    """``"sitemap"``, ``"feed"`` or None (a page) from the first element of a (possibly gzipped) document."""
    m = FIRST_ELEMENT.search((document_body(body, max_size) or b"")[:SNIFF_BYTES])
    root = m.group(1).rsplit(b":", 1)[-1].lower() if m else b""
    return "sitemap" if root in SITEMAP_ROOTS else "feed" if root in FEED_ROOTS else None


def with_contracts(parse_article: Callable) -> Callable:
    """``parse_article`` again, with the contracts that ``scrapy check`` runs against the site's sample article."""
    async def checked_parse_article(self, response: Response, site: Site | None = None):
        async for out in parse_article(self, response, site):
            yield out

    checked_parse_article.__name__ = checked_parse_article.__qualname__ = "parse_article"
    checked_parse_article.__doc__ = (
        "The article of a page, checked by ``scrapy check`` on the site's sample article:\n" + CONTRACTS)
    return checked_parse_article


class ArticleSpider(scrapy.Spider):
    """Base class: subclasses discover article URLs and use :meth:`parse_article` as their callback."""

    site: Site | None = None  # None: chosen from each URL
    extraction: ExtractionWorkers | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """A spider of a site that declares a sample article gets ``parse_article`` with contracts; a spider
        without one has none (``scrapy check`` then leaves it out instead of failing to start it)."""
        super().__init_subclass__(**kwargs)
        site = cls.__dict__.get("site")
        if site is not None and site.SAMPLE_ARTICLE and "parse_article" not in cls.__dict__:
            cls.parse_article = with_contracts(cls.parse_article)

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.extraction = ExtractionWorkers.from_crawler(crawler)
        return spider

    @classmethod
    def handles_request(cls, request: Request) -> bool:
        """Whether this spider's site serves the request's host (``scrapy parse <url>`` picks the spider so);
        the generic spider claims no URL by itself (``--spider=article -a url=<url>``)."""
        return cls.site is not None and cls.site.handles(request.url)

    def site_of(self, url: str) -> Site:
        """The site a page fetched from ``url`` is extracted and keyed as: this spider's site for the site's
        own hosts and for the mirror host the operator mapped onto it (``base_url``), else the module of the
        URL's host (the generic one for hosts no module serves). Never what the page says about itself."""
        site = self.site
        if site is not None and (site.handles(url) or same_publisher(url, getattr(self, "base_url", None))):
            return site
        return site_for(url)

    # -- a request without a callback (scrapy parse <url>, scrapy shell) ----------------------------------
    def callback_for(self, response: Response) -> Callable:
        """The callback for a page no request named one for: a sitemap or feed is read as one (by spiders that
        read them), a page at an article URL of the site as an article, another page of a site that declares
        section pages as a section page, anything else as an article."""
        kind = document_kind(response.body, self.settings.getint("DOWNLOAD_MAXSIZE"))
        if kind == "sitemap" and hasattr(self, "parse_sitemap"):
            return self.parse_sitemap
        if kind == "feed" and hasattr(self, "parse_feed"):
            return self.parse_feed
        site = self.site
        if (site is not None and site.article_pattern is not None and not site.is_article_url(response.url)
                and hasattr(self, "parse_section") and any(s.KIND == "sections" for s in site.DISCOVERY)):
            return self.parse_section
        return self.parse_article

    def parse(self, response: Response, **kwargs: Any):
        """Scrapy's default callback: the callback :meth:`callback_for` picks. An article page is extracted as
        this spider's site: whoever asked (``scrapy parse --spider=heute <mirror URL>``) chose the spider for it."""
        callback = self.callback_for(response)
        if callback == self.parse_article:
            return self.parse_article(response, site=self.site, **kwargs)
        if callback == getattr(self, "parse_section", None):
            from .site import SECTIONS_META  # the site spider's own meta key (site.py imports this module)

            first = next(i for i, source in enumerate(self.site.DISCOVERY) if source.KIND == "sections")
            response.meta.setdefault(SECTIONS_META, first)
        return callback(response, **kwargs)

    # -- the article ---------------------------------------------------------------------------------------
    async def parse_article(self, response: Response, site: Site | None = None):
        """The article of a page (one item), or nothing when the page is none (counted, logged).

        ``site``: the site to extract it as (default: :meth:`site_of` the URL)."""
        stats = self.crawler.stats
        if not isinstance(response, TextResponse):
            stats.inc_value("newscrawl/skipped/not_html")
            self.logger.info("Skipped %s: not an HTML page (%s)", response.url,
                             response.headers.get("Content-Type", b"?").decode("latin-1"))
            return
        site = site or self.site_of(response.url)
        workers = self.extraction or ExtractionWorkers(0)
        try:
            article = await workers.extract(response.text, response.url, site=site,
                                            fetched_at=datetime.now(timezone.utc))
        except ExtractionCrashed as exc:
            stats.inc_value("newscrawl/skipped/extract_crashed")
            self.logger.error("Skipped %s: %s", response.url, exc)
            return
        except ExtractionTimedOut as exc:
            stats.inc_value("newscrawl/skipped/extract_timeout")
            self.logger.error("Skipped %s: %s", response.url, exc)
            return
        body_chars = sum(len(p) for p in article.body)
        if not article.headline or body_chars < MIN_BODY_CHARS:
            stats.inc_value("newscrawl/skipped/not_article")
            self.logger.info("Skipped %s: not an article page (headline %s, %d characters of body text)",
                             response.url, "found" if article.headline else "missing", body_chars)
            return
        stats.inc_value("newscrawl/articles_extracted")
        yield article

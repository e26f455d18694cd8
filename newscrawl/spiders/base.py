"""What every newscrawl spider shares: turning a fetched article page into an item.

Spiders only discover and fetch; this callback hands the page to :func:`newscrawl.extract.extract` (in
worker processes: :mod:`newscrawl.extract_workers`) and counts what happened in the crawl stats. It holds
no selectors.
"""

from __future__ import annotations

from datetime import datetime, timezone

import scrapy
from scrapy.http import Response, TextResponse

from ..extract.sites import Site, site_for
from ..records import same_publisher
from ..extract_workers import ExtractionCrashed, ExtractionTimedOut, ExtractionWorkers


# Less body text than this is a section, image or error page served at an article URL, or an empty page.
MIN_BODY_CHARS = 150


class ArticleSpider(scrapy.Spider):
    """Base class: subclasses discover article URLs and use :meth:`parse_article` as their callback."""

    site: Site | None = None  # None: chosen from each URL
    extraction: ExtractionWorkers | None = None

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.extraction = ExtractionWorkers.from_crawler(crawler)
        return spider

    def site_of(self, url: str) -> Site:
        """The site a page fetched from ``url`` is extracted and keyed as: this spider's site for the site's
        own hosts and for the mirror host the operator mapped onto it (``base_url``), else the module of the
        URL's host (the generic one for hosts no module serves). Never what the page says about itself."""
        site = self.site
        if site is not None and (site.handles(url) or same_publisher(url, getattr(self, "base_url", None))):
            return site
        return site_for(url)

    async def parse_article(self, response: Response):
        stats = self.crawler.stats
        if not isinstance(response, TextResponse):
            stats.inc_value("newscrawl/skipped/not_html")
            self.logger.info("Skipped %s: not an HTML page (%s)", response.url,
                             response.headers.get("Content-Type", b"?").decode("latin-1"))
            return
        site = self.site_of(response.url)
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

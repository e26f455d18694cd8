"""What every newscrawl spider shares: turning a fetched article page into an item.

Spiders only discover and fetch; this callback hands the page to :func:`newscrawl.extract.extract` and
counts what happened in the crawl stats. It holds no selectors.
"""

from __future__ import annotations

from datetime import datetime, timezone

import scrapy
from scrapy.http import Response, TextResponse

from ..extract import extract
from ..extract.sites import Site, site_for


class ArticleSpider(scrapy.Spider):
    """Base class: subclasses discover article URLs and use :meth:`parse_article` as their callback."""

    site: Site | None = None  # None: chosen from each URL

    def parse_article(self, response: Response):
        stats = self.crawler.stats
        if not isinstance(response, TextResponse):
            stats.inc_value("newscrawl/skipped/not_html")
            self.logger.info("Skipped %s: not an HTML page (%s)", response.url,
                             response.headers.get("Content-Type", b"?").decode("latin-1"))
            return
        site = self.site or site_for(response.url)
        article = extract(response.text, response.url, site=site, fetched_at=datetime.now(timezone.utc))
        if not article.headline and not article.body:
            stats.inc_value("newscrawl/skipped/not_article")
            self.logger.info("Skipped %s: no headline and no body text, not an article page", response.url)
            return
        stats.inc_value("newscrawl/articles_extracted")
        yield article

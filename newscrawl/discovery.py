"""A bounded discovery: at most ``NEWSCRAWL_MAX_ARTICLES_PER_RUN`` article requests per run.

A sitemap index can name millions of URLs; a request for each would hold the scheduler's memory (a red-team
index of 1,000,000 URLs queued 360,051 requests, 984 MB, in two minutes). :class:`DiscoveryCapMiddleware`, a
spider middleware next to the engine (after :mod:`newscrawl.incremental`, so entries skipped as unchanged cost
nothing), lets through at most that many article requests (requests for the spider's ``parse_article``) and then
tells the spider (``spider.discovery_full``), which stops making requests: the entries of the sitemaps it is
reading are only counted (when incremental, requests are still made, a chunk at a time, so that entries skipped
as unchanged are not counted as left), further child sitemaps are not read (``NEWSCRAWL_MAX_SITEMAPS`` bounds
those anyway).

The sitemap spiders hand out article requests newest first (by ``<lastmod>``), so a capped run takes the newest;
with incremental crawling the next run skips what this one fetched and goes on with the rest.

Stats: ``newscrawl/discovery/queued`` (article requests let through), ``newscrawl/discovery/capped`` (article
requests and sitemap entries left for the next run; when incremental, only entries it would have fetched, while
``newscrawl/incremental/fetched`` counts all it chose, the capped ones too), ``newscrawl/discovery/sitemaps_capped``
(child sitemaps not read). One WARNING line at the end of a capped run says how many were left.
"""

from __future__ import annotations

import logging

from scrapy import Request, signals

logger = logging.getLogger(__name__)

QUEUED = "newscrawl/discovery/queued"
CAPPED = "newscrawl/discovery/capped"
SITEMAPS_CAPPED = "newscrawl/discovery/sitemaps_capped"


def left_for_next_run(crawler, entries: int) -> None:
    """Count article requests or sitemap entries this run leaves for the next one."""
    if entries:
        crawler.stats.inc_value(CAPPED, entries)


def sitemaps_left_for_next_run(crawler, sitemaps: int) -> None:
    if sitemaps:
        crawler.stats.inc_value(SITEMAPS_CAPPED, sitemaps)


class DiscoveryCapMiddleware:
    """Spider middleware: at most ``NEWSCRAWL_MAX_ARTICLES_PER_RUN`` article requests leave the spider (0: no cap)."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.cap = max(0, crawler.settings.getint("NEWSCRAWL_MAX_ARTICLES_PER_RUN"))
        self.max_sitemaps = crawler.settings.getint("NEWSCRAWL_MAX_SITEMAPS")
        self.queued = 0
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def is_article(self, request: Request) -> bool:
        callback = getattr(self.crawler.spider, "parse_article", None)
        return callback is not None and request.callback == callback

    async def process_spider_output(self, response, result):
        spider = self.crawler.spider
        async for out in result:
            if self.cap and isinstance(out, Request) and self.is_article(out):
                if self.queued >= self.cap:
                    left_for_next_run(self.crawler, 1)  # made before the spider saw the cap reached
                    continue
                self.queued += 1
                self.crawler.stats.inc_value(QUEUED)
                if self.queued >= self.cap:
                    spider.discovery_full = True  # the spider stops making requests, it only counts
            yield out

    def spider_closed(self, spider, reason):
        stats = self.crawler.stats
        entries, sitemaps = stats.get_value(CAPPED, 0), stats.get_value(SITEMAPS_CAPPED, 0)
        if entries or sitemaps:
            logger.warning("Discovery capped (NEWSCRAWL_MAX_ARTICLES_PER_RUN=%d, NEWSCRAWL_MAX_SITEMAPS=%d): %d sitemap "
                           "entries and %d sitemaps left for the next run", self.cap, self.max_sitemaps, entries,
                           sitemaps)

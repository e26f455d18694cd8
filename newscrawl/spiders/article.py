"""Any site: one article, a list of article URLs, or every entry of a sitemap or a feed.

    scrapy crawl article -a url=https://www.example.com/news/some-story-123456
    scrapy crawl article -a urls=urls.txt           # one URL per line; blank lines and # comments ignored
    scrapy crawl article -a sitemap=https://www.example.com/sitemap.xml   # index, urlset, news sitemap, .gz
    scrapy crawl article -a feed=https://www.example.com/rss.xml          # RSS 2.0, RSS 1.0 or Atom
    scrapy crawl article -a sitemap=... -a since=2025-01-31                # skip entries dated before

The site module is chosen per page from its URL (else its canonical URL; the generic one when no module
matches). Requests stay on the origins named on the command line: a URL on a default port allows its site
(``www.`` folded, subdomains, http or https on their default ports), one on another port (a mirror) exactly
that scheme, host and port. Sitemap or feed entries, links and redirects elsewhere (another port or scheme of the
same host too) are dropped and counted (``newscrawl/dropped/offsite_origin``; :mod:`newscrawl.middlewares`).
Sitemaps and feeds are read as :mod:`newscrawl.spiders.discovery` describes (newest first, bounded per run).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import scrapy

from ..urls import Origin, Origins, http_url
from .discovery import DiscoverySpider, parse_since, site_domain
from .entries import SitemapDrops, news_dates, newest_first

# The discovery base under its name before issue 12 (it was a SitemapSpider then).
SitemapArticleSpider = DiscoverySpider


class GenericArticleSpider(DiscoverySpider):
    name = "article"

    def __init__(self, url: str | None = None, urls: str | None = None, sitemap: str | None = None,
                 feed: str | None = None, since: str | None = None, **kwargs: Any):
        super().__init__(since=since, **kwargs)
        if sum(bool(a) for a in (url, urls, sitemap, feed)) != 1:
            raise ValueError("give exactly one of -a url=URL, -a urls=FILE, -a sitemap=URL or -a feed=URL")
        if since and not (sitemap or feed):
            raise ValueError("since filters sitemap and feed entries: use it with -a sitemap=URL or -a feed=URL")
        self.article_urls = [url] if url else self._read_urls(urls) if urls else []
        self.sitemap_url, self.feed_url = sitemap, feed
        targets = self.article_urls or [sitemap or feed]
        for u in targets:
            if http_url(u) is None:
                raise ValueError(f"not an http(s) URL: {u!r}")
        self.allowed_domains = sorted({site_domain(u) for u in targets})
        self.allowed_origins = Origins(Origin.of(u) for u in targets)

    @staticmethod
    def _read_urls(path: str) -> list[str]:
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            raise ValueError(f"URL list not found: {path}") from None
        found = list(dict.fromkeys(s for s in (line.strip() for line in lines) if s and not s.startswith("#")))
        if not found:
            raise ValueError(f"URL list {path} names no URLs")
        return found

    async def start(self):
        if self.sitemap_url:
            yield self.sitemap_request(self.sitemap_url)
        if self.feed_url:
            yield self.feed_request(self.feed_url)
        for url in self.article_urls:
            yield scrapy.Request(url, callback=self.parse_article)


__all__ = ["GenericArticleSpider", "SitemapArticleSpider", "SitemapDrops", "news_dates", "newest_first",
           "parse_since", "site_domain"]

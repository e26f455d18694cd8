"""heute.at: discovery through the sitemap index, with section pages as the fallback.

    scrapy crawl heute                              # sitemap index, newest rolling sitemap first
    scrapy crawl heute -a since=2025-01-01          # skip sitemap entries whose lastmod is older
    scrapy crawl heute -a url=https://www.heute.at/s/<slug>-<id>   # one article
    scrapy crawl heute -a discover=sections         # section pages instead of sitemaps
    scrapy crawl heute -a base_url=http://127.0.0.1:8765           # the same paths on another host

URLs found in sitemaps and on pages name ``www.heute.at``; with ``base_url`` (or the ``HEUTE_BASE_URL``
setting) they are rewritten onto that host, so the offline mirror is crawled exactly like the site.
"""

from __future__ import annotations

import re
from typing import Any, Iterable
from urllib.parse import urlsplit

import scrapy

from ..extract.sites.heute import Heute
from .article import SitemapArticleSpider

SITEMAP_CHILD = re.compile(r"/sitemap/sitemap_(\d{1,18})\.xml")  # bounded: int() of 5,000 digits raises
SECTION_PATH = re.compile(r"^/a/[^/]+/?$")
HEUTE_HOSTS = ("heute.at", "www.heute.at")


class HeuteSpider(SitemapArticleSpider):
    name = "heute"
    site = Heute()
    sitemap_rules = [(r"/s/[^/?#]*-\d{8,9}(?:/comments)?/?(?:[?#]|$)", "parse_article")]
    sitemap_follow = [r"/sitemap"]

    def __init__(self, url: str | None = None, since: str | None = None, base_url: str | None = None,
                 discover: str = "sitemap", max_sections: str | int = 20, **kwargs: Any):
        super().__init__(since=since, **kwargs)
        self.start_url = url
        self.base_url_arg = base_url
        if discover not in ("sitemap", "sections"):
            raise ValueError(f"discover must be 'sitemap' or 'sections', got {discover!r}")
        self.discover = discover
        self.max_sections = int(max_sections)
        self._sections_seen: set[str] = set()

    @property
    def base_url(self) -> str:
        base = self.base_url_arg or self.settings.get("HEUTE_BASE_URL") or "https://www.heute.at"
        return base.rstrip("/")

    async def start(self):
        host = urlsplit(self.base_url).hostname or "www.heute.at"
        self.allowed_domains = sorted({host, *HEUTE_HOSTS})
        self.allowed_origins = self.site_origins()
        if self.start_url:
            if not self.site.is_article_url(self.start_url):
                raise ValueError(f"not a heute.at article URL (/s/<slug>-<id>): {self.start_url}")
            yield scrapy.Request(self.rebase(self.start_url), callback=self.parse_article)
        elif self.discover == "sections":
            yield self._home_request()
        else:
            yield scrapy.Request(f"{self.base_url}/sitemap.xml", callback=self._parse_sitemap,
                                 errback=self._sitemap_failed, meta={"sitemap_index": True})

    # -- sitemaps -------------------------------------------------------------------------------------
    def order_children(self, entries: Iterable[dict[str, Any]]) -> Iterable[dict[str, Any]]:
        """Rolling sitemaps highest number (newest) first, then any other entries in the order listed."""
        numbered, others = [], []
        for entry in entries:
            m = SITEMAP_CHILD.search(entry["loc"])
            (numbered if m else others).append((-int(m.group(1)) if m else 0, entry))
        numbered.sort(key=lambda pair: pair[0])  # stable: equal numbers keep their order
        return [entry for _, entry in numbered + others]

    def _parse_sitemap(self, response):
        followed = 0
        for request in super()._parse_sitemap(response):
            followed += 1
            yield request
        if response.meta.get("sitemap_index") and not followed:
            self.logger.warning("Sitemap index %s gave no sitemaps; falling back to section pages", response.url)
            yield self._home_request()

    def _sitemap_failed(self, failure):
        self.logger.warning("Sitemap index failed (%s); falling back to section pages", failure.value)
        self.crawler.stats.inc_value("newscrawl/sitemap/failed")
        yield self._home_request()

    # -- section pages --------------------------------------------------------------------------------
    def _home_request(self) -> scrapy.Request:
        return scrapy.Request(f"{self.base_url}/", callback=self.parse_section, dont_filter=True)

    def parse_section(self, response):
        self.crawler.stats.inc_value("newscrawl/sections/fetched")
        hosts = (*HEUTE_HOSTS, urlsplit(self.base_url).hostname)
        for href in response.css("a::attr(href)").getall():
            url = response.urljoin(href.strip())
            if (urlsplit(url).hostname or "") not in hosts:
                continue
            if self.site.is_article_url(url):
                yield scrapy.Request(self.rebase(url), callback=self.parse_article)
            elif SECTION_PATH.match(urlsplit(url).path) and url not in self._sections_seen \
                    and len(self._sections_seen) < self.max_sections:
                self._sections_seen.add(url)
                yield scrapy.Request(self.rebase(url), callback=self.parse_section)

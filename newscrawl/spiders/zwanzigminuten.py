"""20min.ch: discovery through the Google News sitemap.

    scrapy crawl zwanzigminuten                          # https://www.20min.ch/sitemaps/de/news.xml
    scrapy crawl zwanzigminuten -a since=2025-11-01      # skip entries published (or modified) earlier
    scrapy crawl zwanzigminuten -a url=https://www.20min.ch/story/<slug>-<id>   # one article
    scrapy crawl zwanzigminuten -a base_url=http://127.0.0.1:8765               # the same paths on a mirror

With ``base_url`` (or the ``ZWANZIGMINUTEN_BASE_URL`` setting, read from the environment) 20min.ch URLs are
rewritten onto that host. Articles are ``/story/<slug>-<id>``; other sitemap entries are not fetched.
"""

from __future__ import annotations

from typing import Any

import scrapy

from ..extract.sites.zwanzigminuten import ZwanzigMinuten
from .article import SitemapArticleSpider, site_domain

NEWS_SITEMAP = "/sitemaps/de/news.xml"


class ZwanzigMinutenSpider(SitemapArticleSpider):
    name = "zwanzigminuten"
    site = ZwanzigMinuten()
    sitemap_rules = [(r"/story/[^/?#]*-\d{6,}/?(?:[?#]|$)", "parse_article")]

    def __init__(self, url: str | None = None, since: str | None = None, base_url: str | None = None,
                 **kwargs: Any):
        super().__init__(since=since, **kwargs)
        if url and not self.site.is_article_url(url):
            raise ValueError(f"not a 20min.ch article URL (/story/<slug>-<id>): {url}")
        self.start_url, self.base_url_arg = url, base_url

    @property
    def base_url(self) -> str:
        base = self.base_url_arg or self.settings.get("ZWANZIGMINUTEN_BASE_URL") or "https://www.20min.ch"
        return base.rstrip("/")

    async def start(self):
        self.allowed_domains = [site_domain(self.base_url)]
        self.allowed_origins = self.site_origins()
        if self.start_url:
            yield scrapy.Request(self.rebase(self.start_url), callback=self.parse_article)
        else:
            yield scrapy.Request(self.base_url + NEWS_SITEMAP, callback=self._parse_sitemap)

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
from typing import Any, Mapping

import scrapy

from ..urls import Origin, Origins, http_url
from .discovery import DiscoverySpider, parse_since, site_domain
from .entries import SitemapDrops, news_dates, newest_first

# The discovery base under its name before issue 12 (it was a SitemapSpider then).
SitemapArticleSpider = DiscoverySpider


class GenericArticleSpider(DiscoverySpider):
    name = "article"

    ARGUMENTS = ("url", "urls", "sitemap", "feed")
    EXAMPLES = {"url": "https://www.example.com/news/some-story-123456",
                "sitemap": "https://www.example.com/sitemap.xml", "feed": "https://www.example.com/rss"}

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)  # checks every argument (check_arguments)
        args = self.arguments
        self.article_urls = [args["url"]] if args["url"] else args["urls"] or []
        self.sitemap_url, self.feed_url = args["sitemap"], args["feed"]
        targets = self.article_urls or [self.sitemap_url or self.feed_url]
        self.allowed_domains = sorted({site_domain(u) for u in targets})
        self.allowed_origins = Origins(Origin.of(u) for u in targets)

    @classmethod
    def check_arguments(cls, args: Mapping[str, Any], settings: Any = None) -> dict[str, Any]:
        parsed = super().check_arguments(args, settings)
        url, urls, sitemap, feed = (args.get(name) or None for name in ("url", "urls", "sitemap", "feed"))
        if sum(bool(a) for a in (url, urls, sitemap, feed)) != 1:
            raise ValueError("give exactly one of -a url=URL, -a urls=FILE, -a sitemap=URL or -a feed=URL "
                             f"(e.g. -a url={cls.EXAMPLES['url']})")
        if args.get("since") and not (sitemap or feed):
            raise ValueError("-a since filters sitemap and feed entries: use it with -a sitemap=URL or -a feed=URL")
        for name, value in (("url", url), ("sitemap", sitemap), ("feed", feed)):
            if value and http_url(value) is None:
                raise ValueError(f"-a {name} is not an http(s) URL like {cls.EXAMPLES[name]}, got {value!r}")
        parsed.update(url=url, urls=cls._read_urls(urls) if urls else None, sitemap=sitemap, feed=feed)
        return parsed

    @staticmethod
    def _read_urls(path: str) -> list[str]:
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            raise ValueError(f"-a urls: URL list not found: {path}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"-a urls: cannot read the URL list {path}: {exc}") from None
        found = list(dict.fromkeys(s for s in (line.strip() for line in lines) if s and not s.startswith("#")))
        if not found:
            raise ValueError(f"-a urls: the URL list {path} names no URLs (one http(s) URL per line)")
        for u in found:
            if http_url(u) is None:
                raise ValueError(f"-a urls: {path} holds a line that is not an http(s) URL, {u[:200]!r} (one URL "
                                 "per line like https://www.example.com/news/some-story-123456; # for comments)")
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

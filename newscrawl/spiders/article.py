"""Any site: one article, a list of article URLs, or every ``<loc>`` of a sitemap.

    scrapy crawl article -a url=https://www.example.com/news/some-story-123456
    scrapy crawl article -a urls=urls.txt           # one URL per line; blank lines and # comments ignored
    scrapy crawl article -a sitemap=https://www.example.com/sitemap.xml   # index, urlset, news sitemap, .gz
    scrapy crawl article -a sitemap=... -a since=2025-01-31                # skip entries dated before

The site module is chosen per page from its URL (else its canonical URL; the generic one when no module
matches). Requests stay on the hosts named on the command line (or the sitemap's host, ``www.`` folded):
Scrapy's offsite middleware drops sitemap entries and redirects that lead elsewhere.

:class:`SitemapArticleSpider` is the discovery shared with the site spiders (``zwanzigminuten``): Scrapy's
sitemap machinery, a ``since`` filter on ``<lastmod>`` or ``<news:publication_date>``, and the rewriting
of a site's URLs onto a mirror host (``base_url``). With incremental crawling on (``-a incremental=1``,
``NEWSCRAWL_INCREMENTAL``; ``-a recheck=2d``, ``-a recheck_every=6h``) a site spider marks its sitemap article
requests with their record key and entry date, and :mod:`newscrawl.incremental` skips the unchanged ones.
"""

from __future__ import annotations

from datetime import date, datetime, time, timezone, tzinfo
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import urlsplit, urlunsplit

import lxml.etree
import scrapy
from scrapy.spiders import SitemapSpider

from ..extract.dates import parse_date
from ..incremental import META as INCREMENTAL_META
from ..incremental import entry_date, parse_duration, parse_flag
from ..urls import strip_tracking
from .base import ArticleSpider

XML_PARSER = lxml.etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=True)


def parse_since(since: str | None, tz: tzinfo) -> datetime | None:
    if not since:
        return None
    try:
        return datetime.combine(date.fromisoformat(since), time(), tz)
    except ValueError:
        raise ValueError(f"since must be a date like 2025-01-31, got {since!r}") from None


def site_domain(url: str) -> str:
    """The host of ``url`` for ``allowed_domains``: ``www.`` folded, so ``example.com`` and its
    subdomains stay allowed."""
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


def news_dates(body: bytes) -> dict[str, str]:
    """``<loc>`` -> ``<news:publication_date>`` of a Google News sitemap (Scrapy drops nested elements)."""
    root = lxml.etree.fromstring(body, parser=XML_PARSER) if body.strip() else None
    if root is None:
        return {}
    return {loc.strip(): when.strip() for url in root.iterfind("{*}url")
            if (loc := url.findtext("{*}loc")) and (when := url.findtext("{*}news/{*}publication_date"))}


class SitemapArticleSpider(ArticleSpider, SitemapSpider):
    """Sitemap discovery for article spiders; subclasses say where to start and which locs are articles."""

    sitemap_rules = [("", "parse_article")]  # every <loc> of a urlset is an article candidate
    base_url: str | None = None  # a mirror host the site's URLs are rewritten onto (None: fetch as given)

    def __init__(self, since: str | None = None, incremental: str | None = None, recheck: str | None = None,
                 recheck_every: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.timezone = (self.site and self.site.TIMEZONE) or timezone.utc
        self.since = parse_since(since, self.timezone)
        self._published: dict[str, str] = {}
        # Incremental crawling (newscrawl.incremental): the arguments override the NEWSCRAWL_INCREMENTAL,
        # NEWSCRAWL_RECHECK and NEWSCRAWL_RECHECK_EVERY settings; they are checked here, used by the middleware.
        self.incremental_arg = parse_flag(incremental, "incremental")
        parse_duration(recheck, "recheck")
        parse_duration(recheck_every, "recheck_every")
        self.recheck_arg, self.recheck_every_arg = recheck, recheck_every
        self._entry_dates: dict[str, str | None] = {}

    @property
    def incremental_enabled(self) -> bool:
        if self.incremental_arg is not None:
            return self.incremental_arg
        settings = getattr(self, "settings", None)
        return bool(settings is not None and settings.getbool("NEWSCRAWL_INCREMENTAL", False))

    def incremental_key(self, url: str) -> str | None:
        """The record key of the article at ``url`` (``<site>:<article_id>``), None without a site or id."""
        article_id = self.site.article_id(url) if self.site else None
        return f"{self.site.NAME}:{article_id}" if article_id else None

    def rebase(self, url: str) -> str:
        """Put a URL of this spider's site onto ``base_url`` (identity without one), without tracking
        parameters or fragment: they never change the page, and robots.txt often forbids them."""
        if not self.base_url or not self.site or not self.site.handles(url):
            return url
        parts = urlsplit(strip_tracking(url))._replace(fragment="")
        if not self.site.handles(self.base_url):
            base = urlsplit(self.base_url)
            parts = parts._replace(scheme=base.scheme, netloc=base.netloc)
        return urlunsplit(parts)

    def _get_sitemap_body(self, response) -> bytes | None:
        body = super()._get_sitemap_body(response)
        if body:
            self.crawler.stats.inc_value("newscrawl/sitemap/fetched")
        self._published = news_dates(body) if body and (self.since or self.incremental_enabled) else {}
        return body

    def _parse_sitemap(self, response):
        """Scrapy's sitemap parsing; when incremental, article requests carry their key and entry date."""
        self._entry_dates = {}
        requests = super()._parse_sitemap(response)
        if not self.incremental_enabled:
            return requests
        return [self._mark_incremental(r) for r in requests]

    def _later(self, when: str | None, other: str | None) -> str | None:
        """Of two entry dates of one article (two URLs of it in a sitemap), the later; a missing one loses."""
        if not when or not other:
            return when or other
        first, second = entry_date(when, self.timezone), entry_date(other, self.timezone)
        return when if first and (not second or first >= second) else other

    def _mark_incremental(self, request: scrapy.Request) -> scrapy.Request:
        key = self.incremental_key(request.url) if request.callback != self._parse_sitemap else None
        if key:
            when = entry_date(self._entry_dates.get(key), self.timezone)
            request.meta[INCREMENTAL_META] = {"key": key, "lastmod": when.isoformat() if when else None}
        return request

    def sitemap_filter(self, entries: Iterable[dict[str, Any]]) -> Iterable[dict[str, Any]]:
        for entry in entries:
            loc = entry.get("loc") or ""
            when = entry.get("lastmod") or self._published.get(loc)
            if self.since and (dated := parse_date(when, default_tz=self.timezone)) and dated < self.since:
                self.crawler.stats.inc_value("newscrawl/sitemap/skipped_since")
                continue
            entry["loc"] = self.rebase(loc)
            if self.incremental_enabled and (key := self.incremental_key(loc)):
                self._entry_dates[key] = self._later(when, self._entry_dates.get(key))
            yield entry


class GenericArticleSpider(SitemapArticleSpider):
    name = "article"

    def __init__(self, url: str | None = None, urls: str | None = None, sitemap: str | None = None,
                 since: str | None = None, **kwargs: Any):
        super().__init__(since=since, **kwargs)
        if sum(bool(a) for a in (url, urls, sitemap)) != 1:
            raise ValueError("give exactly one of -a url=URL, -a urls=FILE or -a sitemap=URL")
        if since and not sitemap:
            raise ValueError("since filters sitemap entries: use it with -a sitemap=URL")
        self.article_urls = [url] if url else self._read_urls(urls) if urls else []
        self.sitemap_url = sitemap
        targets = self.article_urls or [sitemap]
        for u in targets:
            if urlsplit(u).scheme not in ("http", "https") or not urlsplit(u).hostname:
                raise ValueError(f"not an http(s) URL: {u!r}")
        self.allowed_domains = sorted({site_domain(u) for u in targets})

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
            yield scrapy.Request(self.sitemap_url, callback=self._parse_sitemap)
        for url in self.article_urls:
            yield scrapy.Request(url, callback=self.parse_article)

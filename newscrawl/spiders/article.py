"""Any site: one article, a list of article URLs, or every ``<loc>`` of a sitemap.

    scrapy crawl article -a url=https://www.example.com/news/some-story-123456
    scrapy crawl article -a urls=urls.txt           # one URL per line; blank lines and # comments ignored
    scrapy crawl article -a sitemap=https://www.example.com/sitemap.xml   # index, urlset, news sitemap, .gz
    scrapy crawl article -a sitemap=... -a since=2025-01-31                # skip entries dated before

The site module is chosen per page from its URL (else its canonical URL; the generic one when no module
matches). Requests stay on the origins named on the command line: a URL on a default port allows its site
(``www.`` folded, subdomains, http or https on their default ports), one on another port (a mirror) exactly
that scheme, host and port. Sitemap entries, links and redirects elsewhere (another port or scheme of the same
host too) are dropped and counted (``newscrawl/dropped/offsite_origin``; :mod:`newscrawl.middlewares`).

:class:`SitemapArticleSpider` is the discovery shared with the site spiders (``heute``, ``zwanzigminuten``):
Scrapy's sitemap parser (``<loc>`` entries streamed, not a tree), a ``since`` filter on ``<lastmod>`` or
``<news:publication_date>``, and the rewriting of a site's URLs onto a mirror host (``base_url``). Hostile
sitemaps cost only their bad parts: a relative ``<loc>`` is resolved against the sitemap's URL
(``newscrawl/sitemap/relative_loc``), one that is no http(s) URL is skipped (``newscrawl/dropped/invalid_loc``),
a body that is no sitemap (or over ``DOWNLOAD_MAXSIZE`` unpacked) is skipped (``newscrawl/sitemap/invalid``);
each sitemap logs one INFO line with what it lost. Memory stays bounded: article requests leave a sitemap newest
first (``<lastmod>``, else undated in document order), at most ``NEWSCRAWL_MAX_ARTICLES_PER_RUN`` per run
(:mod:`newscrawl.discovery` counts the rest for the next run) and at most ``NEWSCRAWL_MAX_SITEMAPS`` child
sitemaps are followed, the first listed (heute: the newest) first. With incremental crawling on (``-a incremental=1``,
``NEWSCRAWL_INCREMENTAL``; ``-a recheck=2d``, ``-a recheck_every=6h``) a site spider marks its sitemap article
requests with their record key and entry date, and :mod:`newscrawl.incremental` skips the unchanged ones.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timezone, tzinfo
from io import BytesIO
from pathlib import Path
from typing import Any, Iterable, Iterator
from urllib.parse import urlsplit, urlunsplit

import lxml.etree
import scrapy
from scrapy.spiders import SitemapSpider
from scrapy.utils.sitemap import Sitemap

from ..discovery import left_for_next_run, sitemaps_left_for_next_run
from ..incremental import META as INCREMENTAL_META
from ..incremental import entry_date, parse_duration, parse_flag
from ..middlewares import OFFSITE_ORIGIN
from ..urls import Origin, Origins, http_url, strip_tracking
from .base import ArticleSpider

INVALID_LOC = "newscrawl/dropped/invalid_loc"
LOG_CHARS = 200  # of a dropped <loc> in the log: a hostile one may be megabytes long


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
    """``<loc>`` -> ``<news:publication_date>`` of a Google News sitemap (Scrapy drops nested elements).

    Streamed: each ``<url>`` is cleared once read, so a large sitemap never becomes a tree in memory."""
    dates: dict[str, str] = {}
    if not body.strip():
        return dates
    events = lxml.etree.iterparse(BytesIO(body), tag="{*}url", recover=True, resolve_entities=False,
                                  no_network=True, huge_tree=True)
    try:
        for _, url in events:
            if (loc := url.findtext("{*}loc")) and (when := url.findtext("{*}news/{*}publication_date")):
                dates[loc.strip()] = when.strip()
            url.clear()
            while url.getprevious() is not None:
                del url.getparent()[0]
    except lxml.etree.XMLSyntaxError:  # no element at all (recover mode repairs everything else)
        pass
    return dates


def newest_first(when: str | None, tz: tzinfo) -> tuple[int, float]:
    """Sort key of a sitemap entry: dated entries (a W3C/ISO date) newest first, then the undated ones (a stable
    sort keeps their document order). Only ISO dates are read here: a per-entry dateparser call on a hostile
    sitemap of a million odd dates would take hours."""
    if when:
        try:
            dated = datetime.fromisoformat(when.strip())
            return 0, -(dated if dated.tzinfo else dated.replace(tzinfo=tz)).timestamp()
        except (ValueError, OverflowError):
            pass
    return 1, 0.0


def other_scheme(url: str) -> bool:
    """Whether ``url`` is a well-formed absolute URL with a host, of a scheme other than http(s)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 — raises ValueError for a malformed port
        return bool(parts.scheme) and parts.scheme not in ("http", "https") and bool(parts.hostname)
    except ValueError:
        return False


class SitemapDrops:
    """What one sitemap lost, by reason: each entry counted at once (``newscrawl/dropped/<reason>``) and logged
    at DEBUG, the sitemap's total in one INFO line with an example of each reason."""

    def __init__(self, spider: scrapy.Spider, url: str):
        self.spider, self.url = spider, url
        self.counts: Counter[str] = Counter()
        self.examples: dict[str, str] = {}

    def drop(self, stat: str, loc: str) -> None:
        reason = stat.rsplit("/", 1)[1]
        self.spider.crawler.stats.inc_value(stat)
        self.counts[reason] += 1
        self.examples.setdefault(reason, loc[:LOG_CHARS])
        self.spider.logger.debug("Dropped sitemap entry %r of %s: %s", loc[:LOG_CHARS], self.url, reason)

    def log(self) -> None:
        if self.counts:
            self.spider.logger.info("Sitemap %s: dropped %s", self.url, "; ".join(
                f"{n} {reason} (e.g. {self.examples[reason]!r})" for reason, n in sorted(self.counts.items())))


class SitemapArticleSpider(ArticleSpider, SitemapSpider):
    """Sitemap discovery for article spiders; subclasses say where to start and which locs are articles."""

    sitemap_rules = [("", "parse_article")]  # every <loc> of a urlset is an article candidate
    base_url: str | None = None  # a mirror host the site's URLs are rewritten onto (None: fetch as given)
    allowed_origins: Origins | None = None  # where requests may go (newscrawl.middlewares.OriginMiddleware)
    discovery_full = False  # set by newscrawl.discovery.DiscoveryCapMiddleware when this run's cap is reached

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
        self._sitemaps_followed = 0

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

    def site_origins(self) -> Origins:
        """The site's own hosts (default ports, http or https) and the operator's ``base_url`` origin."""
        hosts = self.site.HOSTS if self.site else ()
        return Origins([*(Origin.site(h) for h in hosts), *([Origin.of(self.base_url)] if self.base_url else [])])

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

    def _parse_sitemap(self, response) -> Iterator[scrapy.Request]:
        """Requests for a sitemap's children or articles, made one at a time as the engine takes them.

        Replaces Scrapy's ``SitemapSpider._parse_sitemap``, which builds every request of a sitemap up front and
        loses the rest of the sitemap to the first ``<loc>`` a request cannot be made of. When incremental,
        article requests carry their key and entry date (:mod:`newscrawl.incremental`)."""
        if response.url.endswith("/robots.txt"):
            yield from super()._parse_sitemap(response)
            return
        sitemap = self._open_sitemap(response)
        if sitemap is None:
            return
        published = self._published  # this sitemap's: another one's parse may run between two requests
        if sitemap.type == "urlset" and self._only_counting:
            left_for_next_run(self.crawler, sum(1 for _ in sitemap))
            return
        drops = SitemapDrops(self, response.url)
        try:
            entries = self.sitemap_filter(self._checked_entries(sitemap, response.url, published, drops))
            if sitemap.type == "sitemapindex":
                yield from self._child_requests(entries, drops)
            else:
                yield from self._article_requests(entries, drops)
        finally:
            drops.log()

    @property
    def _only_counting(self) -> bool:
        """Whether the run's cap is reached and the entries of a sitemap are only to be counted, not requested.
        Not when incremental: then the requests go on to the middlewares, so that entries skipped as unchanged
        are not counted as left for the next run (their requests are made and dropped one chunk at a time)."""
        return self.discovery_full and not self.incremental_enabled

    def _open_sitemap(self, response) -> Sitemap | None:
        body = self._get_sitemap_body(response)
        try:
            sitemap = Sitemap(body) if body else None
        except (StopIteration, lxml.etree.XMLSyntaxError):  # not a single XML element in it
            sitemap = None
        if sitemap is None or sitemap.type not in ("sitemapindex", "urlset"):
            self.crawler.stats.inc_value("newscrawl/sitemap/invalid")
            self.logger.warning("Ignoring %s: not a sitemap, or larger than DOWNLOAD_MAXSIZE (%d bytes) unpacked",
                                response.url, self._max_size)
            return None
        return sitemap

    def _checked_entries(self, sitemap: Sitemap, url: str, published: dict[str, str],
                         drops: SitemapDrops) -> Iterator[dict[str, Any]]:
        """The entries whose ``<loc>`` is an http(s) URL, relative ones resolved against the sitemap's URL."""
        try:
            for entry in sitemap:
                loc = entry.get("loc") or ""
                absolute = http_url(loc, url) if loc.strip() else None
                if absolute is None:  # a well-formed URL of another scheme (ftp://host/...) is another origin
                    drops.drop(OFFSITE_ORIGIN if other_scheme(loc) else INVALID_LOC, loc)
                    continue
                if absolute != loc:
                    self.crawler.stats.inc_value("newscrawl/sitemap/relative_loc")
                    self.logger.debug("Sitemap %s: relative <loc> %r read as %s", url, loc[:LOG_CHARS], absolute)
                entry["when"] = entry.get("lastmod") or published.get(loc)
                entry["loc"] = absolute
                yield entry
        except lxml.etree.XMLSyntaxError as exc:  # recover mode repairs nearly everything; the entries so far stay
            self.crawler.stats.inc_value("newscrawl/sitemap/invalid")
            self.logger.warning("Sitemap %s: unreadable from here on (%s)", url, exc)

    def _request(self, loc: str, callback, drops: SitemapDrops, **kwargs: Any) -> scrapy.Request | None:
        if self.allowed_origins is not None and not self.allowed_origins.allows(loc):
            drops.drop(OFFSITE_ORIGIN, loc)
            return None
        try:
            return scrapy.Request(loc, callback=callback, **kwargs)
        except ValueError:  # a URL http_url accepts but Scrapy cannot make a request of
            drops.drop(INVALID_LOC, loc)
            return None

    def _child_requests(self, entries: Iterable[dict[str, Any]], drops: SitemapDrops) -> Iterator[scrapy.Request]:
        """Child sitemaps in the order listed, the first read first (a lower priority for each later one; article
        requests, priority 0, go before any further sitemap), at most NEWSCRAWL_MAX_SITEMAPS per run."""
        limit = self.settings.getint("NEWSCRAWL_MAX_SITEMAPS")
        for entry in self.order_children(entries):
            loc = entry["loc"]
            if not any(pattern.search(loc) for pattern in self._follow):
                continue
            if self.discovery_full or (limit > 0 and self._sitemaps_followed >= limit):
                sitemaps_left_for_next_run(self.crawler, 1)
                continue
            request = self._request(loc, self._parse_sitemap, drops, priority=-1 - self._sitemaps_followed)
            if request is not None:
                self._sitemaps_followed += 1
                yield request

    def order_children(self, entries: Iterable[dict[str, Any]]) -> Iterable[dict[str, Any]]:
        """The entries of a sitemap index in the order to read them (a site spider puts its newest first)."""
        return entries

    def _article_requests(self, entries: Iterable[dict[str, Any]], drops: SitemapDrops) -> Iterator[scrapy.Request]:
        """Article requests newest first; once the run's cap is reached the rest are only counted."""
        # Filled by sitemap_filter while the entries are read below; kept here for the requests made later,
        # when another sitemap's parse may have started a dict of its own.
        entry_dates = self._entry_dates = {}
        picked = []
        for entry in entries:
            loc = entry["loc"]
            callback = next((c for pattern, c in self._cbs if pattern.search(loc)), None)
            if callback is not None:
                picked.append((newest_first(entry.get("when"), self.timezone), loc, callback))
        picked.sort(key=lambda p: p[0])
        for done, (_, loc, callback) in enumerate(picked):
            if self._only_counting:
                left_for_next_run(self.crawler, len(picked) - done)
                return
            request = self._request(loc, callback, drops)
            if request is not None:
                yield self._mark_incremental(request, entry_dates) if self.incremental_enabled else request

    def _later(self, when: str | None, other: str | None) -> str | None:
        """Of two entry dates of one article (two URLs of it in a sitemap), the later; a missing one loses."""
        if not when or not other:
            return when or other
        first, second = entry_date(when, self.timezone), entry_date(other, self.timezone)
        return when if first and (not second or first >= second) else other

    def _mark_incremental(self, request: scrapy.Request, entry_dates: dict[str, str | None]) -> scrapy.Request:
        key = self.incremental_key(request.url) if request.callback != self._parse_sitemap else None
        if key:
            when = entry_date(entry_dates.get(key), self.timezone)
            request.meta[INCREMENTAL_META] = {"key": key, "lastmod": when.isoformat() if when else None}
        return request

    def sitemap_filter(self, entries: Iterable[dict[str, Any]]) -> Iterable[dict[str, Any]]:
        for entry in entries:
            loc = entry.get("loc") or ""
            when = entry.get("when")
            if self.since and (dated := entry_date(when, self.timezone)) and dated < self.since:
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
            yield scrapy.Request(self.sitemap_url, callback=self._parse_sitemap)
        for url in self.article_urls:
            yield scrapy.Request(url, callback=self.parse_article)

"""Discovery from sitemaps and feeds, in public callbacks of our own: :class:`DiscoverySpider`.

Shared by the generic ``article`` spider and every site spider (:mod:`newscrawl.spiders.site`). A sitemap is read
with Scrapy's streaming parser (:class:`scrapy.utils.sitemap.Sitemap`, ``<loc>`` entries, not a tree), a feed with
:func:`newscrawl.feeds.parse_feed`; a ``since`` date filters entries on ``<lastmod>``, ``<news:publication_date>``
or the feed entry's date; a site's URLs are rewritten onto a mirror host (``base_url``).

Hostile sources cost only their bad parts: a relative ``<loc>`` is resolved against the sitemap's URL
(``newscrawl/sitemap/relative_loc``), one that is no http(s) URL is skipped (``newscrawl/dropped/invalid_loc``),
a body that is no sitemap (or over ``DOWNLOAD_MAXSIZE`` unpacked) is skipped (``newscrawl/sitemap/invalid``;
feeds: ``newscrawl/feed/invalid``, their skipped entries in ``newscrawl/feed/skipped/<reason>``); each source logs
one INFO line with what it lost. Entries elsewhere than the spider's origins are dropped
(``newscrawl/dropped/offsite_origin``). Memory stays bounded: article requests leave a source newest first (its
date, else undated in document order), at most ``NEWSCRAWL_MAX_ARTICLES_PER_RUN`` per run
(:mod:`newscrawl.discovery` counts the rest for the next run), and at most ``NEWSCRAWL_MAX_SITEMAPS`` child
sitemaps are followed, the first in the index's order first (a site's rolling sitemaps: the newest). With
incremental crawling on (``-a incremental=1``, ``NEWSCRAWL_INCREMENTAL``; ``-a recheck=2d``,
``-a recheck_every=6h``) a site spider marks its article requests from sitemaps and feeds with their record key
and entry date, and :mod:`newscrawl.incremental` skips the unchanged ones.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timezone, tzinfo
from typing import Any, Iterable, Iterator, Mapping
from urllib.parse import urlsplit, urlunsplit

import lxml.etree
import scrapy
from scrapy.utils.sitemap import Sitemap

from ..discovery import left_for_next_run, sitemaps_left_for_next_run
from ..feeds import FeedError, parse_feed
from ..incremental import META as INCREMENTAL_META
from ..incremental import entry_date, parse_duration, parse_flag
from ..middlewares import FAIL_FAST_META, OFFSITE_ORIGIN
from ..urls import Origin, Origins, http_url, strip_tracking
from .base import ArticleSpider
from .entries import LOG_CHARS, SitemapDrops, document_body, news_dates, newest_first, other_scheme

INVALID_LOC = "newscrawl/dropped/invalid_loc"
NEWS_META = "newscrawl_news_sitemap"  # request.meta: read <news:publication_date> too
CHILDREN_META = "newscrawl_sitemap_children"  # request.meta: regex ordering an index's children (group 1, highest first)


# Spider attributes Scrapy's own components read, which ``-a`` may set as Scrapy documents (``-a user_agent=...``),
# and scrapyd's ``_job`` (any name starting with ``_``): passed on as attributes; any other unknown argument is refused.
SCRAPY_SPIDER_ATTRIBUTES = frozenset({"user_agent", "download_delay", "download_timeout", "download_maxsize",
                                      "download_warnsize", "max_concurrent_requests", "http_user", "http_pass",
                                      "http_auth_domain", "handle_httpstatus_list", "handle_httpstatus_all"})


def parse_since(since: str | None, tz: tzinfo, name: str = "since") -> datetime | None:
    if not since:
        return None
    try:
        return datetime.combine(date.fromisoformat(since), time(), tz)
    except ValueError:
        raise ValueError(f"{name} must be a date like 2025-01-31, got {since!r}") from None


def site_domain(url: str) -> str:
    """The host of ``url`` for ``allowed_domains``: ``www.`` folded, so ``example.com`` and its
    subdomains stay allowed."""
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


def order_children(entries: Iterable[dict[str, Any]], pattern: str | None) -> Iterable[dict[str, Any]]:
    """An index's children in the order to read them: with ``pattern`` (a site's ``Sitemap.children``) those it
    numbers highest (newest) first, its groups compared left to right (``sitemap-(2024)-(05)``: year, then
    month), then the others in the order listed; without, as listed."""
    if not pattern:
        return entries
    numbering = re.compile(pattern)
    numbered, others = [], []
    for entry in entries:
        m = numbering.search(entry["loc"])
        groups = m.groups() if m else ()
        if groups and all(g and g.isdigit() and len(g) <= 18 for g in groups):  # bounded: int() of 5,000 digits
            numbered.append((tuple(map(int, groups)), entry))
        else:
            others.append(entry)
    numbered.sort(key=lambda pair: pair[0], reverse=True)  # stable: equal numbers keep their order
    return [entry for _, entry in numbered] + others


class DiscoverySpider(ArticleSpider):
    """Sitemap and feed discovery for article spiders; subclasses say where to start and which entries are
    articles (:meth:`is_article_entry`)."""

    base_url: str | None = None  # a mirror host the site's URLs are rewritten onto (None: fetch as given)
    allowed_origins: Origins | None = None  # where requests may go (newscrawl.middlewares.OriginMiddleware)
    discovery_full = False  # set by newscrawl.discovery.DiscoveryCapMiddleware when this run's cap is reached

    # The spider's arguments (``-a name=value``); each subclass names its own, :meth:`check_arguments` reads them.
    ARGUMENTS: tuple[str, ...] = ("since", "incremental", "recheck", "recheck_every")

    def __init__(self, **kwargs: Any):
        # One code path for the arguments: the same check `scrapy crawl` and `scrapy cronrun` make before the crawl
        # starts (newscrawl.commands.checks), here without the settings (the crawler sets them later).
        self.arguments = self.check_arguments(kwargs)
        super().__init__(**{name: value for name, value in kwargs.items() if name not in self.known_arguments()})
        self.timezone = self.zone()
        self.since = self.arguments["since"]
        # Incremental crawling (newscrawl.incremental): the arguments override the NEWSCRAWL_INCREMENTAL,
        # NEWSCRAWL_RECHECK and NEWSCRAWL_RECHECK_EVERY settings; they are checked here, used by the middleware.
        self.incremental_arg = self.arguments["incremental"]
        self.recheck_arg, self.recheck_every_arg = kwargs.get("recheck"), kwargs.get("recheck_every")
        self._entry_dates: dict[str, str | None] = {}
        self._sitemaps_followed = 0

    # -- the arguments --------------------------------------------------------------------------------
    @classmethod
    def zone(cls) -> tzinfo:
        return (cls.site and cls.site.TIMEZONE) or timezone.utc

    @classmethod
    def known_arguments(cls) -> tuple[str, ...]:
        """Every argument of this spider class (its own and its bases'), in declaration order."""
        names: dict[str, None] = {}
        for klass in reversed(cls.__mro__):
            names.update(dict.fromkeys(vars(klass).get("ARGUMENTS", ())))
        return tuple(names)

    @classmethod
    def check_arguments(cls, args: Mapping[str, Any], settings: Any = None) -> dict[str, Any]:
        """The spider's ``-a`` arguments, checked and parsed: ``{name: value}`` for every known argument (None when
        not given). Raises ValueError with one line that names the argument and shows a valid value. With
        ``settings`` (what the commands pass before the crawl starts) the settings the spider reads are checked
        too. Subclasses extend it (``super().check_arguments(...)`` first)."""
        known = cls.known_arguments()
        for name in args:
            if name not in known and not name.startswith("_") and name not in SCRAPY_SPIDER_ATTRIBUTES:
                raise ValueError(f"-a {name} is no argument of the {getattr(cls, 'name', cls.__name__)} spider (its arguments: "
                                 f"{', '.join(known)})")
        parsed = dict.fromkeys(known)
        parsed["since"] = parse_since(args.get("since"), cls.zone(), "-a since")
        parsed["incremental"] = parse_flag(args.get("incremental"), "-a incremental")
        parsed["recheck"] = parse_duration(args.get("recheck"), "-a recheck")
        parsed["recheck_every"] = parse_duration(args.get("recheck_every"), "-a recheck_every")
        if settings is not None:  # read by newscrawl.incremental when the spider opens
            parse_duration(settings.get("NEWSCRAWL_RECHECK"), "NEWSCRAWL_RECHECK")
            parse_duration(settings.get("NEWSCRAWL_RECHECK_EVERY"), "NEWSCRAWL_RECHECK_EVERY")
        return parsed

    @property
    def incremental_enabled(self) -> bool:
        if self.incremental_arg is not None:
            return self.incremental_arg
        settings = getattr(self, "settings", None)
        return bool(settings is not None and settings.getbool("NEWSCRAWL_INCREMENTAL"))

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

    def is_article_entry(self, url: str) -> bool:
        """Whether a sitemap or feed entry is an article to fetch (the generic spider: every entry)."""
        return True

    def source_finished(self, request: scrapy.Request, produced: int) -> Iterable[scrapy.Request]:
        """Called when a sitemap or feed was read (``produced`` requests made of it) or failed (0): a site spider
        falls back to its section pages here."""
        return ()

    @property
    def max_size(self) -> int:
        return getattr(self, "download_maxsize", None) or self.settings.getint("DOWNLOAD_MAXSIZE")

    # -- sitemaps -------------------------------------------------------------------------------------
    def sitemap_request(self, url: str, *, news: bool = False, children: str | None = None,
                        **kwargs: Any) -> scrapy.Request:
        meta = {**kwargs.pop("meta", {}), NEWS_META: news, CHILDREN_META: children, FAIL_FAST_META: True}
        kwargs.setdefault("errback", self.discovery_failed)
        return scrapy.Request(url, callback=self.parse_sitemap, meta=meta, **kwargs)

    def discovery_failed(self, failure) -> None:
        """A sitemap or feed that could not be fetched: counted, one WARNING line (no traceback)."""
        self.note_failure(failure, "feed" if failure.request.callback == self.parse_feed else "sitemap")

    def note_failure(self, failure, kind: str, stat: str | None = None) -> None:
        """Count a discovery request that failed (``newscrawl/<stat or kind>/failed``) and say why in one line.
        Discovery requests are marked :data:`~newscrawl.middlewares.FAIL_FAST_META`: once their origin has
        refused connections or its host was not found after every retry, they are tried once
        (:class:`~newscrawl.middlewares.RetryBackoffMiddleware`)."""
        self.crawler.stats.inc_value(f"newscrawl/{stat or kind}/failed")
        self.logger.warning("%s %s failed (%s)", kind, failure.request.url, failure.getErrorMessage()[:300])

    def parse_sitemap(self, response) -> Iterator[scrapy.Request]:
        """Requests for a sitemap's children or articles, made one at a time as the engine takes them (Scrapy's
        ``SitemapSpider`` builds every request of a sitemap up front and loses the rest of it to the first
        ``<loc>`` a request cannot be made of). When incremental, article requests carry their key and entry
        date (:mod:`newscrawl.incremental`)."""
        produced = 0
        for request in self.sitemap_requests(response):
            produced += 1
            yield request
        yield from self.source_finished(response.request, produced)

    def sitemap_requests(self, response) -> Iterator[scrapy.Request]:
        body = document_body(response.body, response.meta.get("download_maxsize", self.max_size))
        sitemap = self._open_sitemap(response, body)
        if sitemap is None:
            return
        self.crawler.stats.inc_value("newscrawl/sitemap/fetched")
        wants_dates = response.meta.get(NEWS_META) or self.since or self.incremental_enabled
        published = news_dates(body) if wants_dates else {}
        if sitemap.type == "urlset" and self._only_counting:
            left_for_next_run(self.crawler, sum(1 for _ in sitemap))
            return
        drops = SitemapDrops(self, response.url)
        try:
            entries = self.entry_filter(self._checked_entries(sitemap, response.url, published, drops), "sitemap")
            if sitemap.type == "sitemapindex":
                yield from self._child_requests(order_children(entries, response.meta.get(CHILDREN_META)), drops)
            else:
                yield from self._article_requests(entries, drops)
        finally:
            drops.log()

    @property
    def _only_counting(self) -> bool:
        """Whether the run's cap is reached and the entries of a source are only to be counted, not requested.
        Not when incremental: then the requests go on to the middlewares, so that entries skipped as unchanged
        are not counted as left for the next run (their requests are made and dropped one chunk at a time)."""
        return self.discovery_full and not self.incremental_enabled

    def _open_sitemap(self, response, body: bytes | None) -> Sitemap | None:
        try:
            sitemap = Sitemap(body) if body else None
        except (StopIteration, lxml.etree.XMLSyntaxError):  # not a single XML element in it
            sitemap = None
        if sitemap is None or sitemap.type not in ("sitemapindex", "urlset"):
            self.crawler.stats.inc_value("newscrawl/sitemap/invalid")
            self.logger.warning("Ignoring %s: not a sitemap, or larger than DOWNLOAD_MAXSIZE (%d bytes) unpacked",
                                response.url, self.max_size)
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
                yield {"loc": absolute, "when": entry.get("lastmod") or published.get(loc)}
        except lxml.etree.XMLSyntaxError as exc:  # recover mode repairs nearly everything; the entries so far stay
            self.crawler.stats.inc_value("newscrawl/sitemap/invalid")
            self.logger.warning("Sitemap %s: unreadable from here on (%s)", url, exc)

    def _child_requests(self, entries: Iterable[dict[str, Any]], drops: SitemapDrops) -> Iterator[scrapy.Request]:
        """Child sitemaps in the order given, the first read first (a lower priority for each later one; article
        requests, priority 0, go before any further sitemap), at most NEWSCRAWL_MAX_SITEMAPS per run."""
        limit = self.settings.getint("NEWSCRAWL_MAX_SITEMAPS")
        for entry in entries:
            if self.discovery_full or (limit > 0 and self._sitemaps_followed >= limit):
                sitemaps_left_for_next_run(self.crawler, 1)
                continue
            request = self._request(entry["loc"], drops, lambda loc: self.sitemap_request(
                loc, priority=-1 - self._sitemaps_followed))
            if request is not None:
                self._sitemaps_followed += 1
                yield request

    # -- feeds ------------------------------------------------------------------------------------------
    def feed_request(self, url: str, **kwargs: Any) -> scrapy.Request:
        kwargs["meta"] = {**kwargs.get("meta", {}), FAIL_FAST_META: True}
        kwargs.setdefault("errback", self.discovery_failed)
        return scrapy.Request(url, callback=self.parse_feed, **kwargs)

    def parse_feed(self, response) -> Iterator[scrapy.Request]:
        """Article requests for the entries of an RSS 2.0, RSS 1.0 or Atom feed, newest first."""
        produced = 0
        for request in self.feed_requests(response):
            produced += 1
            yield request
        yield from self.source_finished(response.request, produced)

    def feed_requests(self, response) -> Iterator[scrapy.Request]:
        stats = self.crawler.stats
        limit = response.meta.get("download_maxsize", self.max_size)
        body = document_body(response.body, limit)
        try:
            if body is None:
                raise FeedError(f"larger than DOWNLOAD_MAXSIZE ({limit} bytes) unpacked")
            feed = parse_feed(body, response.url, self.timezone, max_bytes=limit or None)
        except FeedError as exc:
            stats.inc_value("newscrawl/feed/invalid")
            self.logger.warning("Ignoring feed %s: %s", response.url, exc)
            return
        stats.inc_value("newscrawl/feed/fetched")
        for reason, count in sorted(feed.skipped.items()):
            stats.inc_value(f"newscrawl/feed/skipped/{reason}", count)
        entries = [{"loc": e.url, "when": e.published.isoformat() if e.published else None} for e in feed.entries]
        if self._only_counting:
            left_for_next_run(self.crawler, sum(1 for e in entries if self.is_article_entry(e["loc"])))
            return
        drops = SitemapDrops(self, response.url, "Feed")
        try:
            yield from self._article_requests(self.entry_filter(entries, "feed"), drops)
        finally:
            drops.log()

    # -- article requests ------------------------------------------------------------------------------
    def _request(self, loc: str, drops: SitemapDrops, make) -> scrapy.Request | None:
        if self.allowed_origins is not None and not self.allowed_origins.allows(loc):
            drops.drop(OFFSITE_ORIGIN, loc)
            return None
        try:
            return make(loc)
        except ValueError:  # a URL http_url accepts but Scrapy cannot make a request of
            drops.drop(INVALID_LOC, loc)
            return None

    def _article_requests(self, entries: Iterable[dict[str, Any]], drops: SitemapDrops) -> Iterator[scrapy.Request]:
        """Article requests newest first; once the run's cap is reached the rest are only counted."""
        # Filled by entry_filter while the entries are read below; kept here for the requests made later,
        # when another source's parse may have started a dict of its own.
        entry_dates = self._entry_dates = {}
        # Whether an entry is an article is read off the URL the source gave, before it was rebased onto a
        # mirror: another newsroom's URL (debatte.orf.at/stories/<n>) would look like the site's own there.
        picked = [(newest_first(e.get("when"), self.timezone), e["loc"]) for e in entries
                  if self.is_article_entry(e.get("listed", e["loc"]))]
        picked.sort(key=lambda p: p[0])
        for done, (_, loc) in enumerate(picked):
            if self._only_counting:
                left_for_next_run(self.crawler, len(picked) - done)
                return
            request = self._request(loc, drops, lambda url: scrapy.Request(url, callback=self.parse_article))
            if request is not None:
                yield self._mark_incremental(request, entry_dates) if self.incremental_enabled else request

    def _later(self, when: str | None, other: str | None) -> str | None:
        """Of two entry dates of one article (two URLs of it in a source), the later; a missing one loses."""
        if not when or not other:
            return when or other
        first, second = entry_date(when, self.timezone), entry_date(other, self.timezone)
        return when if first and (not second or first >= second) else other

    def _mark_incremental(self, request: scrapy.Request, entry_dates: dict[str, str | None]) -> scrapy.Request:
        if key := self.incremental_key(request.url):
            when = entry_date(entry_dates.get(key), self.timezone)
            request.meta[INCREMENTAL_META] = {"key": key, "lastmod": when.isoformat() if when else None}
        return request

    def entry_filter(self, entries: Iterable[dict[str, Any]], kind: str) -> Iterator[dict[str, Any]]:
        """Entries dated before ``since`` skipped (``newscrawl/<kind>/skipped_since``), the rest rebased."""
        for entry in entries:
            loc, when = entry["loc"], entry.get("when")
            if self.since and (dated := entry_date(when, self.timezone)) and dated < self.since:
                self.crawler.stats.inc_value(f"newscrawl/{kind}/skipped_since")
                continue
            entry["listed"], entry["loc"] = loc, self.rebase(loc)
            if self.incremental_enabled and (key := self.incremental_key(loc)):
                self._entry_dates[key] = self._later(when, self._entry_dates.get(key))
            yield entry

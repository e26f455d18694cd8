"""The site spider: one generic spider that crawls what a site declares (:mod:`newscrawl.extract.sites`).

    scrapy crawl heute                                  # every declared source (heute: the sitemap index)
    scrapy crawl heute -a since=2025-01-01              # skip entries dated earlier (lastmod, news or feed date)
    scrapy crawl heute -a url=https://www.heute.at/s/<slug>-<id>   # one article (its path must match ARTICLE_URL)
    scrapy crawl heute -a discover=sections             # only the sources of one kind: sitemap, news_sitemap,
                                                        # feed or sections
    scrapy crawl heute -a base_url=http://127.0.0.1:8765           # the same paths on another host (a mirror)

:mod:`newscrawl.spiders.sites` makes one spider class per declared site; a site that needs more subclasses
:class:`SiteSpider` in a few lines. The base URL crawled is ``-a base_url=``, else the site's entry in the
``NEWSCRAWL_BASE_URLS`` setting (``{"heute": "http://127.0.0.1:8765"}``), else the site's ``BASE_URL``; the old
``HEUTE_BASE_URL`` and ``ZWANZIGMINUTEN_BASE_URL`` settings still work this release, with a warning. URLs of the
site found in sitemaps, feeds and pages are rewritten onto the base URL's host, so a mirror is crawled exactly
like the site, and requests go only to the site's hosts and the base URL's origin.

Every declared sitemap, news sitemap and feed is read (the dupefilter drops repeats); the declared section pages
are the fallback, read when all of those failed or gave nothing, or when they are the only source.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Mapping
from urllib.parse import urlsplit

import scrapy

from ..extract.sites.sources import KINDS, Feed, NewsSitemap, Sections, Sitemap, Source
from ..middlewares import FAIL_FAST_META
from ..urls import http_url
from .discovery import DiscoverySpider, site_domain

SOURCE_META = "newscrawl_source"  # request.meta of a declared source's own request: its kind
SECTIONS_META = "newscrawl_sections"  # request.meta of a section page: index of its Sections in DISCOVERY
# Settings of one release before NEWSCRAWL_BASE_URLS; read with a deprecation warning.
LEGACY_BASE_URL_SETTINGS = {"heute": "HEUTE_BASE_URL", "zwanzigminuten": "ZWANZIGMINUTEN_BASE_URL"}


class SiteSpider(DiscoverySpider):
    """Crawls one declared site (``site``, a :class:`~newscrawl.extract.sites.Site`); subclasses set ``name`` and
    ``site``."""

    ARGUMENTS = ("url", "base_url", "discover", "max_sections")

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)  # checks every argument (check_arguments)
        args = self.arguments
        self.max_sections = args["max_sections"]
        self.start_url = args["url"]
        self.base_url_arg = args["base_url"]
        self.discover = args["discover"]
        self._resolved_base: str | None = None
        self._sources_pending = 0
        self._sources_productive = False
        self._fell_back = False
        self._sections_seen: dict[int, set[str]] = {}

    @classmethod
    def check_arguments(cls, args: Mapping[str, Any], settings: Any = None) -> dict[str, Any]:
        parsed = super().check_arguments(args, settings)
        site = cls.site
        url, base_url, discover = (args.get(name) or None for name in ("url", "base_url", "discover"))
        if url and not site.is_article_url(url):
            sample = getattr(site, "SAMPLE_ARTICLE", None)
            example = (f"like {site.BASE_URL.rstrip('/')}{sample}" if sample else
                       f"{site.BASE_URL.rstrip('/')} and a path matching {site.ARTICLE_URL}")
            raise ValueError(f"-a url is not a {site.HOSTS[0]} article URL ({example}), got {url!r}")
        if base_url and http_url(base_url) is None:
            raise ValueError(f"-a base_url must be an http(s) URL like http://127.0.0.1:8765, got {base_url!r}")
        declared = sorted({source.KIND for source in site.DISCOVERY})
        if discover and discover not in KINDS:
            raise ValueError(f"-a discover must be one of {', '.join(KINDS)}, got {discover!r}")
        if discover and discover not in declared:
            raise ValueError(f"-a discover={discover}: {cls.name} declares no {discover} source (it has: "
                             f"{', '.join(declared) or 'none'})")
        max_sections = args.get("max_sections")
        try:
            parsed["max_sections"] = None if max_sections in (None, "") else int(max_sections)
        except (TypeError, ValueError):
            parsed["max_sections"] = -1
        if parsed["max_sections"] is not None and parsed["max_sections"] < 0:
            raise ValueError(f"-a max_sections must be a whole number like 5, got {max_sections!r}")
        parsed.update(url=url, base_url=base_url.rstrip("/") if base_url else None, discover=discover)
        if settings is not None:  # the base URL the settings give, when -a base_url= does not
            cls.configured_base(settings)
        return parsed

    # -- the base URL -----------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        if self.base_url_arg:
            return self.base_url_arg
        if self._resolved_base is None:
            settings = getattr(self, "settings", None)
            if settings is None:  # not started by a crawler: the declaration alone
                return self.site.BASE_URL.rstrip("/")
            self._resolved_base = self._configured_base(settings).rstrip("/")
        return self._resolved_base

    def _configured_base(self, settings) -> str:
        base, legacy = self.configured_base(settings)
        if legacy:
            self.logger.warning("The %s setting is deprecated and goes in the next release: use -a base_url=%s or "
                                "NEWSCRAWL_BASE_URLS={\"%s\": \"%s\"}", legacy, base, self.site.NAME, base)
        return base

    @classmethod
    def configured_base(cls, settings) -> tuple[str, str | None]:
        """The base URL the settings give this site (``NEWSCRAWL_BASE_URLS``, else the deprecated setting named
        second, else the declaration's), checked; raises ValueError naming the setting."""
        name, declared = cls.site.NAME, cls.site.BASE_URL
        try:
            configured = settings.getdict("NEWSCRAWL_BASE_URLS").get(name)
        except ValueError:
            raise ValueError('NEWSCRAWL_BASE_URLS must be a JSON object like {"heute": "http://127.0.0.1:8765"}, '
                             f"got {settings.get('NEWSCRAWL_BASE_URLS')!r}") from None
        if configured:
            return cls._checked(configured, f"NEWSCRAWL_BASE_URLS[{name!r}]"), None
        legacy = LEGACY_BASE_URL_SETTINGS.get(name)
        value = settings.get(legacy) if legacy else None
        if value and value.rstrip("/") != declared.rstrip("/"):
            return cls._checked(value, legacy), legacy
        return declared, None

    @staticmethod
    def _checked(url: str, where: str) -> str:
        if not isinstance(url, str) or http_url(url) is None:
            raise ValueError(f"{where} must be an http(s) URL like http://127.0.0.1:8765, got {url!r}")
        return url

    # -- what to crawl ----------------------------------------------------------------------------------
    def is_article_entry(self, url: str) -> bool:
        return self.site.is_article_url(url)

    def source_url(self, path: str) -> str:
        """A declared path on the base URL; an absolute URL of the site rebased onto it."""
        if http_url(path) is not None:
            return self.rebase(path)
        return f"{self.base_url}/{path.lstrip('/')}"

    async def start(self):
        self.allowed_domains = sorted({site_domain(self.base_url), *self.site.HOSTS})
        self.allowed_origins = self.site_origins()
        if self.start_url:
            yield scrapy.Request(self.rebase(self.start_url), callback=self.parse_article)
            return
        for request in self.discovery_requests():
            yield request

    def discovery_requests(self) -> Iterable[scrapy.Request]:
        sources = [s for s in self.site.DISCOVERY if self.discover in (None, s.KIND)]
        primary = [s for s in sources if not isinstance(s, Sections)]
        if not primary:
            yield from self.section_requests()
            return
        self._sources_pending = len(primary)
        for source in primary:
            yield self.source_request(source)

    def source_request(self, source: Source) -> scrapy.Request:
        url = self.source_url(source.path)
        common = {"errback": self.source_failed, "meta": {SOURCE_META: source.KIND}}  # deduplicated: in Redis mode
        # a second worker's seed is dropped, as any request the shared queue has seen
        if isinstance(source, Feed):
            return self.feed_request(url, **common)
        if isinstance(source, NewsSitemap):
            return self.sitemap_request(url, news=True, **common)
        if isinstance(source, Sitemap):
            return self.sitemap_request(url, children=source.children, **common)
        raise TypeError(f"no request for {source!r}")

    # -- the fallback -----------------------------------------------------------------------------------
    def source_failed(self, failure):
        kind = failure.request.meta.get(SOURCE_META, "sitemap")
        self.note_failure(failure, kind, "feed" if kind == Feed.KIND else "sitemap")
        yield from self.source_finished(failure.request, 0)

    def source_finished(self, request: scrapy.Request, produced: int) -> Iterable[scrapy.Request]:
        """Counts down the declared sources; when all are done and none gave a request, the section pages."""
        if SOURCE_META not in request.meta or self._sources_pending <= 0:
            return
        self._sources_pending -= 1
        self._sources_productive = self._sources_productive or produced > 0 or self.discovery_full
        if self._sources_pending == 0 and not self._sources_productive and not self.discover:
            sections = list(self.section_requests())
            if sections:
                self.logger.warning("The declared sitemaps and feeds gave no articles; falling back to section pages")
            yield from sections

    # -- section pages ----------------------------------------------------------------------------------
    def section_requests(self) -> Iterable[scrapy.Request]:
        if self._fell_back:
            return
        self._fell_back = True
        for index, source in enumerate(self.site.DISCOVERY):
            if isinstance(source, Sections):
                for path in source.paths:
                    yield scrapy.Request(self.source_url(path), callback=self.parse_section, dont_filter=True,
                                         errback=self.section_failed, meta={SECTIONS_META: index, FAIL_FAST_META: True})

    def section_failed(self, failure) -> None:
        self.note_failure(failure, "section page", "sections")

    def parse_section(self, response):
        """Article links of a section page, and the further section pages its ``follow`` pattern names."""
        self.crawler.stats.inc_value("newscrawl/sections/fetched")
        index = response.meta.get(SECTIONS_META, 0)
        source = self.site.DISCOVERY[index]
        follow = re.compile(source.follow) if source.follow else None
        limit = source.max_pages if self.max_sections is None else self.max_sections
        seen = self._sections_seen.setdefault(index, set())
        base_host = urlsplit(self.base_url).hostname
        for href in response.css("a::attr(href)").getall():
            url = http_url(href.strip(), response.url)
            if url is None or not (self.site.handles(url) or urlsplit(url).hostname == base_host):
                continue  # another site's link; one elsewhere on the base host is dropped by OriginMiddleware
            if self.site.is_article_url(url):
                yield scrapy.Request(self.rebase(url), callback=self.parse_article)
            elif follow and follow.search(urlsplit(url).path):
                target = self.rebase(url)
                if target not in seen and len(seen) < limit:
                    seen.add(target)
                    yield scrapy.Request(target, callback=self.parse_section, errback=self.section_failed,
                                         meta={SECTIONS_META: index, FAIL_FAST_META: True})

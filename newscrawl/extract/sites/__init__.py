"""Site modules: what differs per publisher, and nothing else. One file per site.

A site module subclasses :class:`Site` and declares the publisher: its ``NAME`` (spider name, record-key prefix),
``HOSTS``, ``BASE_URL``, ``ARTICLE_URL`` (the article-URL pattern with the id, written once), ``TIMEZONE`` and
``DISCOVERY`` (:mod:`.sources`: sitemaps, news sitemaps, feeds, section pages). It overrides only the extraction
that differs (:meth:`Site.refine`); everything else comes from the generic layers.

Sites register themselves: defining a subclass with a ``NAME`` of its own adds it to the registry, and
:func:`all_sites` imports every module of this package once. Adding a site is adding one file here (plus its
test fixtures): :func:`site_for` chooses it by host, ``scrapy list`` shows its spider
(:mod:`newscrawl.spiders.sites`), and the offline mirror (:mod:`newscrawl.mirror`) routes its article URLs.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from typing import ClassVar

from ...records import GENERIC, same_publisher
from ...urls import http_url
from ..document import Page, split_url
from ..merge import Candidates
from .sources import Feed, NewsSitemap, Sections, Sitemap, Source

TRAILING_ID = re.compile(r"[-/_](\d{6,12})(?:\.html?)?/?$")
SITE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")  # a spider name, a record-key prefix, a folder name

_registry: dict[str, type[Site]] = {}
_loaded = False


class Site:
    """The generic site: no overrides. Subclasses declare the publisher and override what differs."""

    NAME = GENERIC
    HOSTS: tuple[str, ...] = ()
    # The origin crawled by default ("https://www.heute.at"); -a base_url= or NEWSCRAWL_BASE_URLS name a mirror.
    BASE_URL: str | None = None
    # Regex searched in an article URL's path (then in "path?query"), with a named group ``id``: the article id.
    ARTICLE_URL: str | None = None
    # Where articles are found (newscrawl.extract.sites.sources), all read; Sections only as the fallback.
    DISCOVERY: tuple[Source, ...] = ()
    # Byline names that are a newsroom or partner rather than a person, mapped to the ``source`` to report.
    SOURCES: dict[str, str] = {}
    # Path suffixes that render the same article (e.g. heute's ``/comments``); dropped from canonical URLs.
    URL_SUFFIXES: tuple[str, ...] = ()
    # The site's own time zone: dates are reported in it (None keeps the offset the page gives).
    TIMEZONE = None
    # The path of one of the site's articles ("/s/<slug>-<id>"), for ``scrapy check`` (newscrawl.contracts): fetched
    # from the base URL the spider crawls (a mirror's too) and extracted with the site's contracts. None: no check.
    SAMPLE_ARTICLE: str | None = None

    article_pattern: ClassVar[re.Pattern[str] | None] = None  # ARTICLE_URL compiled

    def __init_subclass__(cls, register: bool = True, **kwargs) -> None:
        """Check the declaration once, when the module is imported, and register a class that names a site.
        ``class X(Site, register=False)`` declares a site that :func:`site_for` never picks by itself (a test's
        site, passed explicitly): a registered one would take over its hosts in the whole process."""
        super().__init_subclass__(**kwargs)
        if "ARTICLE_URL" in cls.__dict__ and cls.ARTICLE_URL is not None:
            try:
                cls.article_pattern = re.compile(cls.ARTICLE_URL)
            except re.error as exc:
                raise TypeError(f"{cls.__qualname__}.ARTICLE_URL is no regular expression: {exc}") from None
            if "id" not in cls.article_pattern.groupindex:
                raise TypeError(f"{cls.__qualname__}.ARTICLE_URL needs a named group (?P<id>...): {cls.ARTICLE_URL}")
        if "NAME" not in cls.__dict__:
            return
        if not SITE_NAME.match(cls.NAME) or cls.NAME == GENERIC:
            raise TypeError(f"{cls.__qualname__}.NAME must be lower-case letters, digits and _, got {cls.NAME!r}")
        if not cls.HOSTS:
            raise TypeError(f"{cls.__qualname__} names no HOSTS")
        if cls.BASE_URL is not None and http_url(cls.BASE_URL) is None:
            raise TypeError(f"{cls.__qualname__}.BASE_URL is no http(s) URL: {cls.BASE_URL!r}")
        sample = cls.SAMPLE_ARTICLE
        if sample is not None and not (sample.startswith("/") and (cls.article_pattern is None or cls.match_article(
                split_url(sample).path, split_url(sample).query))):
            raise TypeError(f"{cls.__qualname__}.SAMPLE_ARTICLE must be the path of one of its articles (matching "
                            f"ARTICLE_URL), got {sample!r}")
        for source in cls.DISCOVERY:
            if not isinstance(source, (Sitemap, NewsSitemap, Feed, Sections)):
                raise TypeError(f"{cls.__qualname__}.DISCOVERY: {source!r} is no Sitemap, NewsSitemap, Feed or Sections")
        if not register:
            return
        for other in _registry.values():
            shared = set(other.HOSTS) & set(cls.HOSTS)
            if shared and other.NAME != cls.NAME:
                raise TypeError(f"{cls.__qualname__} and {other.__qualname__} both serve {sorted(shared)[0]}: "
                                "one host, one site")
        known = _registry.get(cls.NAME)
        if known is not None and (known.__module__, known.__qualname__) != (cls.__module__, cls.__qualname__):
            raise TypeError(f"two sites named {cls.NAME!r}: {known.__module__}.{known.__qualname__} and "
                            f"{cls.__module__}.{cls.__qualname__}")
        _registry[cls.NAME] = cls  # the same class again (a module reloaded) replaces itself

    @classmethod
    def handles(cls, url: str) -> bool:
        host = (split_url(url).hostname or "").lower()
        return any(host == h or host.endswith("." + h) for h in cls.HOSTS)

    def may_claim(self, url: str, fetched: str) -> bool:
        """Whether a page fetched from ``fetched`` and extracted as this site's may name ``url`` as its
        canonical URL (and so its record key and article id): a URL of this site's own hosts, or of the
        fetched URL's publisher (host without ``www.``, port; :func:`newscrawl.records.publisher`). Any page
        can declare any canonical: another publisher's is only a claim. The site itself is the fetcher's
        choice (:func:`site_for` of the fetched URL, or a mirror host the operator mapped onto a site)."""
        return (bool(self.HOSTS) and self.handles(url)) or same_publisher(url, fetched)

    def is_article_url(self, url: str) -> bool:
        return self.article_id(url) is not None

    @classmethod
    def match_article(cls, path: str, query: str = "") -> re.Match[str] | None:
        """``ARTICLE_URL`` searched in a URL's path, then (when there is one) in ``path?query``."""
        pattern = cls.article_pattern
        if pattern is None:
            return None
        return pattern.search(path) or (pattern.search(f"{path}?{query}") if query else None)

    def article_id(self, url: str | None) -> str | None:
        """The site's stable article id from a URL: ``ARTICLE_URL``'s group ``id``; for a site without one (the
        generic site) a long trailing number, if any (reported, but no record key:
        :func:`newscrawl.records.record_key` keys generic pages by URL)."""
        if not url:
            return None
        parts = split_url(url)
        if self.article_pattern is not None:
            m = self.match_article(parts.path, parts.query)
            return m.group("id") if m else None
        m = TRAILING_ID.search(parts.path)
        return m.group(1) if m else None

    def refine(self, page: Page, cands: Candidates) -> None:
        """Adjust the generic candidates for this site (propose with source ``site`` to override)."""


def all_sites() -> dict[str, type[Site]]:
    """Every declared site by name: the modules of this package are imported once (they register themselves),
    plus any other module that defined a :class:`Site` subclass with a ``NAME``."""
    global _loaded
    if not _loaded:
        for module in pkgutil.iter_modules(__path__):
            importlib.import_module(f"{__name__}.{module.name}")
        _loaded = True
    return dict(sorted(_registry.items()))


def site_for(url: str) -> Site:
    """The module of the site whose hosts serve ``url``, else the generic one. Only ever called with the URL
    a page was fetched from: what the page says about itself (its canonical link) chooses no site."""
    for cls in all_sites().values():
        if cls.handles(url):
            return cls()
    return Site()


__all__ = ["Site", "all_sites", "site_for", "Sitemap", "NewsSitemap", "Feed", "Sections"]

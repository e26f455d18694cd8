"""Where a site's articles are found: the discovery sources a :class:`~newscrawl.extract.sites.Site` declares.

A site lists them in ``DISCOVERY``; the generic site spider (:mod:`newscrawl.spiders.site`) reads every one.
Paths are relative to the base URL crawled (the site, or the mirror the operator names with ``-a base_url=``);
an absolute URL is allowed too (and rebased onto a mirror like any URL of the site)::

    DISCOVERY = (Sitemap("/sitemap.xml", children=r"/sitemap_(\\d{1,9})\\.xml"),
                 Feed("/rss"),
                 Sections(("/",), follow=r"^/a/[^/]+/?$"))

:class:`Sections` is the fallback: read when every other source failed or gave nothing, or when it is the only
source. ``-a discover=<kind>`` reads only the sources of that kind (:attr:`KIND`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar


def _check_pattern(pattern: str | None, what: str, groups: int = 0) -> None:
    """A declaration's regex is compiled once at class definition, so a typo fails at import, not mid-crawl."""
    if pattern is None:
        return
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"{what}: not a regular expression ({exc}): {pattern!r}") from None
    if compiled.groups < groups:
        raise ValueError(f"{what} needs a group (the number that orders children): {pattern!r}")


def _check_path(path: str, what: str) -> None:
    if not isinstance(path, str) or not path.strip():
        raise ValueError(f"{what}: a path like /sitemap.xml or an absolute URL, got {path!r}")


@dataclass(frozen=True)
class Sitemap:
    """A sitemap or a sitemap index. ``children``: optional regex whose groups are numbers ordering rolling child
    sitemaps (highest, the newest, read first; several groups compared left to right, e.g. year then month);
    other children follow in the order listed."""

    path: str
    children: str | None = None
    KIND: ClassVar[str] = "sitemap"

    def __post_init__(self) -> None:
        _check_path(self.path, "Sitemap")
        _check_pattern(self.children, "Sitemap children", groups=1)


@dataclass(frozen=True)
class NewsSitemap:
    """A Google News sitemap: ``<news:publication_date>`` dates its entries (``since``, newest first)."""

    path: str
    KIND: ClassVar[str] = "news_sitemap"

    def __post_init__(self) -> None:
        _check_path(self.path, "NewsSitemap")


@dataclass(frozen=True)
class Feed:
    """An RSS 2.0, Atom or RSS 1.0 feed (:func:`newscrawl.feeds.parse_feed`)."""

    path: str
    KIND: ClassVar[str] = "feed"

    def __post_init__(self) -> None:
        _check_path(self.path, "Feed")


@dataclass(frozen=True)
class Sections:
    """Section pages: the article links on them are fetched; links whose path matches ``follow`` are further
    section pages, at most ``max_pages`` of them per run."""

    paths: tuple[str, ...] = ("/",)
    follow: str | None = None
    max_pages: int = 20
    KIND: ClassVar[str] = "sections"

    def __post_init__(self) -> None:
        if isinstance(self.paths, str):  # Sections("/") would iterate its characters
            object.__setattr__(self, "paths", (self.paths,))
        for path in self.paths:
            _check_path(path, "Sections")
        _check_pattern(self.follow, "Sections follow")
        if not isinstance(self.max_pages, int) or self.max_pages < 0:
            raise ValueError(f"Sections max_pages must be a whole number >= 0, got {self.max_pages!r}")


Source = Sitemap | NewsSitemap | Feed | Sections
KINDS = tuple(cls.KIND for cls in (Sitemap, NewsSitemap, Feed, Sections))

__all__ = ["Sitemap", "NewsSitemap", "Feed", "Sections", "Source", "KINDS"]

"""Site modules: what differs per publisher, and nothing else.

A site module subclasses :class:`Site`, names the hosts it serves, says how its article URLs look and
what their stable id is, and may adjust the generic candidates in :meth:`Site.refine`. Everything a site
does not override comes from the generic layers. Register a new site by adding it to ``SITES``.
"""

from __future__ import annotations

import re

from ...records import GENERIC, same_publisher
from ..document import Page, split_url
from ..merge import Candidates

TRAILING_ID = re.compile(r"[-/_](\d{6,12})(?:\.html?)?/?$")


class Site:
    """The generic site: no overrides. Subclasses set NAME and HOSTS and override what differs."""

    NAME = GENERIC
    HOSTS: tuple[str, ...] = ()
    # Byline names that are a newsroom or partner rather than a person, mapped to the ``source`` to report.
    SOURCES: dict[str, str] = {}
    # Path suffixes that render the same article (e.g. heute's ``/comments``); dropped from canonical URLs.
    URL_SUFFIXES: tuple[str, ...] = ()
    # The site's own time zone: dates are reported in it (None keeps the offset the page gives).
    TIMEZONE = None

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

    def article_id(self, url: str | None) -> str | None:
        """The site's stable article id from a URL; generically a long trailing number, if any (reported,
        but no record key: :func:`newscrawl.records.record_key` keys generic pages by URL)."""
        if not url:
            return None
        m = TRAILING_ID.search(split_url(url).path)
        return m.group(1) if m else None

    def refine(self, page: Page, cands: Candidates) -> None:
        """Adjust the generic candidates for this site (propose with source ``site`` to override)."""


def site_for(url: str) -> Site:
    """The module of the site whose hosts serve ``url``, else the generic one. Only ever called with the URL
    a page was fetched from: what the page says about itself (its canonical link) chooses no site."""
    from .heute import Heute
    from .zwanzigminuten import ZwanzigMinuten

    for cls in (Heute, ZwanzigMinuten):
        if cls.handles(url):
            return cls()
    return Site()

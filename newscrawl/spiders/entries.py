"""The pieces of discovery that need no spider: a sitemap's body (gunzipped within a size limit), the dates of a
Google News sitemap, the newest-first order of entries, and the per-source tally of dropped entries.
"""

from __future__ import annotations

import gzip
import struct
import zlib
from collections import Counter
from datetime import datetime, tzinfo
from io import BytesIO
from urllib.parse import urlsplit

import lxml.etree

LOG_CHARS = 200  # of a dropped <loc> in the log: a hostile one may be megabytes long
GZIP_MAGIC = b"\x1f\x8b\x08"
GUNZIP_CHUNK = 64 * 1024


def gunzip(data: bytes, max_size: int) -> bytes | None:
    """``data`` gunzipped, None when it unpacks to more than ``max_size`` bytes (0: no limit) or is no gzip at all.

    Read a chunk at a time, so a gzip bomb stops at the limit instead of filling memory; a truncated or
    corrupt end keeps what was read before it (as Scrapy's own gunzip does)."""
    stream = gzip.GzipFile(fileobj=BytesIO(data))
    out = BytesIO()
    while True:
        try:
            chunk = stream.read1(GUNZIP_CHUNK)
        except (OSError, EOFError, struct.error, zlib.error):
            if out.tell():
                break
            return None
        if not chunk:
            break
        if max_size and out.tell() + len(chunk) > max_size:
            return None
        out.write(chunk)
    return out.getvalue()


def document_body(body: bytes, max_size: int) -> bytes | None:
    """A sitemap's or feed's bytes: gunzipped when it is a gzip file (``.xml.gz``; a body sent with
    ``Content-Encoding: gzip`` was unpacked by Scrapy already), None when that is over ``max_size``."""
    if body[:3] == GZIP_MAGIC:
        return gunzip(body, max_size)
    return body


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
    """Sort key of an entry: dated entries (a W3C/ISO date) newest first, then the undated ones (a stable sort
    keeps their document order). Only ISO dates are read here: a per-entry dateparser call on a hostile sitemap
    of a million odd dates would take hours."""
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
    """What one sitemap or feed lost, by reason: each entry counted at once (``newscrawl/dropped/<reason>``) and
    logged at DEBUG, the source's total in one INFO line with an example of each reason."""

    def __init__(self, spider, url: str, what: str = "Sitemap"):
        self.spider, self.url, self.what = spider, url, what
        self.counts: Counter[str] = Counter()
        self.examples: dict[str, str] = {}

    def drop(self, stat: str, loc: str) -> None:
        reason = stat.rsplit("/", 1)[1]
        self.spider.crawler.stats.inc_value(stat)
        self.counts[reason] += 1
        self.examples.setdefault(reason, loc[:LOG_CHARS])
        self.spider.logger.debug("Dropped %s entry %r of %s: %s", self.what.lower(), loc[:LOG_CHARS], self.url,
                                 reason)

    def log(self) -> None:
        if self.counts:
            self.spider.logger.info("%s %s: dropped %s", self.what, self.url, "; ".join(
                f"{n} {reason} (e.g. {self.examples[reason]!r})" for reason, n in sorted(self.counts.items())))

"""Downloader middlewares.

:class:`OriginMiddleware` keeps every request on the spider's origins (``spider.allowed_origins``, a
:class:`newscrawl.urls.Origins`): scheme, host and port, http(s) only. Scrapy's offsite middleware compares host
names only, so a sitemap entry, link or redirect to another port of the same host (an internal service on
127.0.0.1, say) or to ``ftp://`` was fetched. A request elsewhere is dropped before it is scheduled (Scrapy's
``request_scheduled`` signal: redirect and meta-refresh follow-ups, sitemap entries, links) or, for requests that
bypass the scheduler (robots.txt and its redirects), before it is downloaded; robots.txt is fetched per origin
only for requests that passed, so no robots.txt of another origin is asked for either. Counted in
``newscrawl/dropped/offsite_origin``, the URL logged (INFO for the first ones of a run, DEBUG after).

:class:`RetryBackoffMiddleware` adds exponential backoff to Scrapy's ``RetryMiddleware``, which (in Scrapy
2.19) re-schedules a failed request at once. A retry request (``retry_times`` = n in its meta) waits
``NEWSCRAWL_RETRY_BACKOFF * 2**(n-1)`` seconds, at most ``NEWSCRAWL_RETRY_BACKOFF_MAX``, before it is
downloaded; a ``Retry-After`` header (seconds or an HTTP date) on a 429 or 503 response replaces that
delay, capped the same way. The wait is an ``asyncio.sleep`` of that request only: other requests go on.
Stats: ``newscrawl/retry/backoff_count`` and ``newscrawl/retry/backoff_seconds`` (their sum).

Which responses and errors are retried, and how often, stays Scrapy's (``RETRY_HTTP_CODES``,
``RETRY_EXCEPTIONS``, ``RETRY_TIMES``; ``retry/count``, ``retry/reason_count/<reason>``,
``retry/max_reached``). 404 and 410 are not retried; ``HttpErrorMiddleware`` logs and counts them
(``httperror/response_ignored_status_count/<code>``).

A site that is down costs one request's retries, not every discovery step's: when a request to an origin
(scheme, host, port) has used up its retries on a refused connection or a host that cannot be resolved, the
origin counts as unreachable (one WARNING line, ``newscrawl/origins_unreachable``) until any response comes from
it; meanwhile the requests marked :data:`FAIL_FAST_META` (a spider's sitemaps, feeds and section pages) are tried
once. Article requests keep their retries. Scrapy's robots.txt middleware logs a failed robots.txt with the
exception's traceback; for the network errors Scrapy retries (``RETRY_EXCEPTIONS``) that traceback says nothing
the line does not, so it is left out (:class:`NetworkErrorLine`).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from scrapy import signals
from scrapy.exceptions import CannotResolveHostError, DownloadConnectionRefusedError, IgnoreRequest, NotConfigured
from scrapy.utils.misc import load_object
from twisted.internet.error import ConnectError, DNSLookupError

from .urls import Origin

logger = logging.getLogger(__name__)

RETRY_AFTER_META = "newscrawl_retry_after"
DONE_META = "newscrawl_backoff_done"
FAIL_FAST_META = "newscrawl_fail_fast"  # request.meta: tried once while its origin is unreachable
UNREACHABLE_STAT = "newscrawl/origins_unreachable"
# Errors that say the origin itself is not there (as opposed to a slow or broken response).
UNREACHABLE = (DownloadConnectionRefusedError, CannotResolveHostError, ConnectError, DNSLookupError)
ROBOTSTXT_LOGGER = "scrapy.downloadermiddlewares.robotstxt"
OFFSITE_ORIGIN = "newscrawl/dropped/offsite_origin"
LOG_FIRST = 20  # dropped requests logged at INFO per run; a hostile sitemap may name a million, the rest DEBUG


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks for (delta-seconds or HTTP-date), None when absent or unreadable."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


class NetworkErrorLine(logging.Filter):
    """Keeps a log record's line and drops its traceback when the exception is a network error (one of
    ``errors``): installed on Scrapy's robots.txt logger for the life of a crawl."""

    def __init__(self, errors: tuple[type[BaseException], ...]):
        super().__init__()
        self.errors = errors

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], self.errors):
            record.exc_info = record.exc_text = None
        return True


def origin_key(url: str) -> str:
    """``scheme://host:port`` of a request's URL (the URL itself when it is no http(s) URL)."""
    try:
        return str(Origin.exact(url))
    except ValueError:
        return url


class RetryBackoffMiddleware:
    def __init__(self, crawler, base: float, maximum: float):
        self.crawler = crawler
        self.base = base
        self.maximum = maximum
        settings = crawler.settings
        self.max_retry_times = settings.getint("RETRY_TIMES")
        self.unreachable: dict[str, str] = {}  # origin -> why, until a response comes from it
        errors = tuple(load_object(e) if isinstance(e, str) else e for e in settings.getlist("RETRY_EXCEPTIONS"))
        self.quiet = NetworkErrorLine(errors + UNREACHABLE)
        logging.getLogger(ROBOTSTXT_LOGGER).addFilter(self.quiet)
        crawler.signals.connect(self.engine_stopped, signal=signals.engine_stopped)

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        base = settings.getfloat("NEWSCRAWL_RETRY_BACKOFF")
        if not settings.getbool("RETRY_ENABLED") or base <= 0:
            raise NotConfigured("retries or their backoff are off")
        return cls(crawler, base, max(0.0, settings.getfloat("NEWSCRAWL_RETRY_BACKOFF_MAX")))

    def engine_stopped(self):
        logging.getLogger(ROBOTSTXT_LOGGER).removeFilter(self.quiet)

    def delay(self, retry_times: int, retry_after: float | None = None) -> float:
        wanted = retry_after if retry_after is not None else self.base * 2 ** (retry_times - 1)
        return min(self.maximum, wanted)

    def process_response(self, request, response):
        origin = origin_key(request.url)
        if self.unreachable.pop(origin, None) is not None:
            logger.info("%s answers again: its requests are retried as usual", origin)
        # Runs before RetryMiddleware builds the retry request (a copy of this one's meta).
        if response.status in (429, 503):
            seconds = retry_after_seconds(response.headers.get(b"Retry-After"))
            if seconds is not None:
                request.meta[RETRY_AFTER_META] = seconds
        return response

    async def process_request(self, request):
        retry_times = request.meta.get("retry_times", 0)
        if not retry_times or request.meta.get(DONE_META) == retry_times:
            self.fail_fast(request)
            return None  # not a retry, or this retry already waited (a redirect of it, say)
        request.meta[DONE_META] = retry_times
        seconds = self.delay(retry_times, request.meta.pop(RETRY_AFTER_META, None))
        stats = self.crawler.stats
        stats.inc_value("newscrawl/retry/backoff_count")
        stats.inc_value("newscrawl/retry/backoff_seconds", seconds)
        if seconds > 0:
            await asyncio.sleep(seconds)
        self.fail_fast(request)
        return None

    def fail_fast(self, request) -> None:
        if request.meta.get(FAIL_FAST_META) and origin_key(request.url) in self.unreachable:
            request.meta["dont_retry"] = True  # Scrapy's RetryMiddleware leaves it alone (and logs nothing)

    def process_exception(self, request, exception):
        """Runs before RetryMiddleware: an unreachable-origin error on a request's last attempt marks its origin."""
        if not isinstance(exception, UNREACHABLE) or (
                request.meta.get("retry_times", 0) < request.meta.get("max_retry_times", self.max_retry_times)
                and not request.meta.get("dont_retry")):
            return None
        origin = origin_key(request.url)
        if origin not in self.unreachable:
            self.unreachable[origin] = why = str(exception)[:200]
            self.crawler.stats.inc_value(UNREACHABLE_STAT)
            logger.warning("%s is unreachable (%s): until it answers, its sitemaps, feeds and section pages are "
                           "tried once", origin, why)
        return None


class OriginMiddleware:
    """Drops requests to anything but the spider's origins; inert for spiders without ``allowed_origins``."""

    def __init__(self, crawler):
        self.crawler = crawler
        # Raising IgnoreRequest from this signal drops the request before the scheduler holds it (Scrapy >= 2.11.2).
        crawler.signals.connect(self.request_scheduled, signal=signals.request_scheduled)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def request_scheduled(self, request, spider):
        self.process_request(request)

    def process_request(self, request):
        origins = getattr(self.crawler.spider, "allowed_origins", None)
        if origins is None or origins.allows(request.url):
            return None
        stats = self.crawler.stats
        stats.inc_value(OFFSITE_ORIGIN)
        came_from = (request.meta.get("redirect_urls") or [None])[-1]
        logger.log(logging.INFO if stats.get_value(OFFSITE_ORIGIN) <= LOG_FIRST else logging.DEBUG,
                   "Dropped %s (offsite_origin%s): only %s may be fetched", request.url[:300],
                   f", redirected from {came_from[:300]}" if came_from else "", origins)
        raise IgnoreRequest(f"offsite_origin: {request.url[:300]}")

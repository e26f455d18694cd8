"""Progress of a crawl: every ``NEWSCRAWL_PROGRESS_INTERVAL`` seconds (30; 0: never) one INFO line, numbers only,
and the same line once more when the spider closes (the final tally)::

    Progress: 12/40 articles (30%), 8.5/min, ETA 0:03:24; 57 pages, 11 items

- ``12/40 articles``: article requests done / discovered. Discovered: the article requests the discovery queued
  (sitemap and feed entries, section-page links, ``-a url=``) that the scheduler took — not those the incremental
  middleware skipped, the run's cap left for the next run, the duplicate filter dropped or another origin's; a
  retry or a redirect of one is the same article. Done: its response went on to the spider, or it failed for good
  (retries used up, robots.txt; a 404 is a response); counted by :class:`ProgressMiddleware`, the downloader
  middleware next to the engine, which sees only what the others let through.
- ``8.5/min``: articles done per minute since the first article request was queued.
- ``ETA 0:03:24``: (discovered - done) at that rate, as H:MM:SS; ``-:--:--`` while no article is done. Discovery
  may still be reading sitemaps, so the total can grow.
- ``57 pages, 11 items``: responses and exported items so far (Scrapy's ``response_received_count`` and
  ``item_scraped_count``).

This line replaces Scrapy's LogStats ("Crawled N pages (at M pages/min), scraped K items ..." every 60 s):
``LOGSTATS_INTERVAL = 0`` in settings.py, so a crawl logs one progress line, not two of different rhythms, and
the stats hold numbers only (LogStats leaves ``responses_per_minute``/``items_per_minute`` None after a run shorter
than a second). ``-s LOGSTATS_INTERVAL=60`` brings it back. In a distributed crawl each worker counts what it
queued and fetched itself.
"""

from __future__ import annotations

import logging
import time

from scrapy import Request, signals
from scrapy.exceptions import NotConfigured
from twisted.internet.task import LoopingCall

logger = logging.getLogger(__name__)

FOLLOW_UPS = ("retry_times", "redirect_times")  # request.meta of a retry or a redirect: the same article again


def clock(seconds: float) -> str:
    seconds = round(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class Progress:
    """The extension: counts article requests from the engine's signals and logs the progress line."""

    def __init__(self, crawler, interval: float):
        self.crawler = crawler
        self.interval = interval
        self.discovered = 0
        self.done = 0
        self.started: float | None = None  # monotonic time of the first article request queued
        self.task: LoopingCall | None = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.request_scheduled, signal=signals.request_scheduled)
        crawler.signals.connect(self.request_dropped, signal=signals.request_dropped)

    @classmethod
    def from_crawler(cls, crawler):
        interval = crawler.settings.getfloat("NEWSCRAWL_PROGRESS_INTERVAL")
        if interval <= 0:
            raise NotConfigured  # switched off: no WARNING line for it
        return cls(crawler, interval)

    # -- counting -------------------------------------------------------------------------------------------
    def is_article(self, request: Request) -> bool:
        callback = getattr(self.crawler.spider, "parse_article", None)
        return callback is not None and request.callback == callback

    def request_scheduled(self, request: Request, spider) -> None:
        if not self.is_article(request):
            return
        origins = getattr(spider, "allowed_origins", None)
        offsite = origins is not None and not origins.allows(request.url)  # OriginMiddleware refuses it next
        if any(name in request.meta for name in FOLLOW_UPS):
            self.done += offsite  # a redirect elsewhere ends its article
            return
        if not offsite:
            self.discovered += 1
            if self.started is None:
                self.started = time.monotonic()

    def request_dropped(self, request: Request, spider) -> None:
        """The scheduler refused it (seen before): not discovered after all, or, for a redirect, done."""
        if self.is_article(request):
            if any(name in request.meta for name in FOLLOW_UPS):
                self.done += 1
            else:
                self.discovered -= 1

    def finished(self, request: Request) -> None:
        if self.is_article(request):
            self.done += 1

    # -- the line -------------------------------------------------------------------------------------------
    def line(self, now: float | None = None) -> str:
        now = time.monotonic() if now is None else now
        minutes = (now - self.started) / 60 if self.started is not None else 0.0
        rate = self.done / minutes if minutes > 0 else 0.0
        left = max(0, self.discovered - self.done)
        eta = clock(left / rate * 60) if rate > 0 else "-:--:--"
        share = 100 * self.done // self.discovered if self.discovered else 0
        stats = self.crawler.stats
        return (f"Progress: {self.done}/{self.discovered} articles ({share}%), {rate:.1f}/min, ETA {eta}; "
                f"{stats.get_value('response_received_count', 0)} pages, {stats.get_value('item_scraped_count', 0)} items")

    def log(self) -> None:
        logger.info(self.line())

    def spider_opened(self, spider) -> None:
        self.task = LoopingCall(self.log)
        self.task.start(self.interval, now=False)

    def spider_closed(self, spider, reason) -> None:
        if self.task is not None and self.task.running:
            self.task.stop()
        self.log()  # the final tally


class ProgressMiddleware:
    """Downloader middleware next to the engine (the lowest priority number): an article request whose response
    passes every other middleware, or whose failure none of them turned into a retry, is done."""

    def __init__(self, progress: Progress):
        self.progress = progress

    @classmethod
    def from_crawler(cls, crawler):
        progress = crawler.get_extension(Progress)
        if progress is None:
            raise NotConfigured
        return cls(progress)

    def process_response(self, request, response):
        self.progress.finished(request)
        return response

    def process_exception(self, request, exception):
        self.progress.finished(request)
        return None

"""Extraction in worker processes, so the crawl's reactor thread only fetches and runs the pipelines.

Parsing and extracting a news page with a 50-slide gallery costs several milliseconds of CPU, more than
Scrapy spends fetching it; in the crawl process that work blocks the reactor and caps a crawl at what one
core extracts. With ``NEWSCRAWL_EXTRACT_PROCESSES = N`` (default: one less than the machine's cores, at
most 4; ``0`` extracts in the crawl process as before) :meth:`ExtractionWorkers.extract` sends the page to
one of N processes started with ``spawn`` (never ``fork`` from a running reactor) and awaits the
:class:`~newscrawl.items.Article`; the result is the same as in-process extraction.

A worker that dies (a crash in a C library, the OOM killer) breaks the pool: every page in flight fails
with it. The pool is restarted and those pages are submitted again, each at most ``MAX_ATTEMPTS`` times;
a page that keeps killing workers is reported by :class:`ExtractionCrashed` and skipped by the spider
with the recorded reason ``newscrawl/skipped/extract_crashed``. Counted in the stats:
``newscrawl/extract_workers/{processes,restarts}``.

A page whose extraction runs longer than ``NEWSCRAWL_EXTRACT_TIME_BUDGET`` seconds (default 30; 0: no
limit; ordinary pages take milliseconds) is interrupted by a timer signal in the process extracting it and
reported by :class:`ExtractionTimedOut`; the spider skips it with ``newscrawl/skipped/extract_timeout``.
Every text step is meant to be linear in the page (issue 11, D5), so the budget is a backstop for a step
that is not, not a limit ordinary pages meet. It interrupts Python code between bytecodes: libxml2's
parsing of one document is bounded by ``NEWSCRAWL_MAX_DOCUMENT_BYTES`` instead. Workers ignore Ctrl-C (the crawl stops them when it
closes) and end by themselves within a second when the crawl process is killed.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime

from scrapy import signals

from .extract import SlideMemo, extract
from .extract.sites import Site
from .items import Article

logger = logging.getLogger(__name__)

MAX_PROCESSES = 4
MAX_ATTEMPTS = 3


class ExtractionCrashed(RuntimeError):
    """A page whose extraction killed a worker process ``MAX_ATTEMPTS`` times."""


class ExtractionTimedOut(RuntimeError):
    """A page whose extraction ran longer than its time budget and was interrupted."""


def _within_budget(budget: float, url: str, fn, *args, **kwargs):
    """``fn(*args, **kwargs)``, interrupted by :class:`ExtractionTimedOut` after ``budget`` seconds (SIGALRM
    with an interval timer: only a process's main thread receives signals, so elsewhere, and with a budget of
    0, ``fn`` runs unbounded)."""
    if budget <= 0 or threading.current_thread() is not threading.main_thread():
        return fn(*args, **kwargs)

    def expire(signum, frame):
        raise ExtractionTimedOut(f"extraction of {url} took longer than its budget of {budget:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, budget)
    try:
        return fn(*args, **kwargs)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def default_processes() -> int:
    return max(0, min((os.cpu_count() or 1) - 1, MAX_PROCESSES))


def parse_processes(value) -> int:
    """``NEWSCRAWL_EXTRACT_PROCESSES``: empty or ``auto`` = :func:`default_processes`; else a count >= 0."""
    text = str(value if value is not None else "").strip().lower()
    if text in ("", "auto"):
        return default_processes()
    try:
        count = int(text)
    except ValueError:
        count = -1
    if count < 0:
        raise ValueError(f"NEWSCRAWL_EXTRACT_PROCESSES must be 'auto' or a whole number >= 0, got {value!r}")
    return count


def _watch_parent(parent: int, interval: float = 1.0) -> None:
    """End this worker when the crawl process is gone (killed with SIGKILL, say, so it could not stop us)."""
    while os.getppid() == parent:
        time.sleep(interval)
    os._exit(0)


# The gallery slides this worker process has read (one memo per process, for the process's lifetime).
_worker_slides = SlideMemo()


def _init_worker(parent: int) -> None:
    """Worker initialiser: Ctrl-C is the crawl's to handle (it stops the pool); the worker ends with its crawl;
    one extraction runs first, so imports and compiled patterns are ready before the real pages."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_watch_parent, args=(parent,), name="watch-crawl", daemon=True).start()
    extract("<html><body><h1>x</h1><p>warm-up</p></body></html>", "https://example.com/warm-up")


def _extract_in_worker(html: str, url: str, site: Site, fetched_at: datetime, second_opinion: bool,
                       budget: float) -> Article:
    return _within_budget(budget, url, extract, html, url, site=site, fetched_at=fetched_at,
                          ask_second_opinion=second_opinion, slides=_worker_slides)


class ExtractionWorkers:
    """Extraction in ``processes`` worker processes (0: in the calling thread). One per crawler."""

    def __init__(self, processes: int, crawler=None, second_opinion: bool = True, time_budget: float = 0.0):
        self.processes = processes
        self.second_opinion = second_opinion  # NEWSCRAWL_SECOND_OPINION
        self.time_budget = time_budget  # NEWSCRAWL_EXTRACT_TIME_BUDGET, seconds a page; 0: unbounded
        self.crawler = crawler  # for its stats, which exist only once the crawl runs
        self._pool: ProcessPoolExecutor | None = None
        self._generation = 0  # bumped on every restart, so concurrent failures restart the pool once
        self._slides = SlideMemo()  # for extraction in this process

    @classmethod
    def from_crawler(cls, crawler) -> "ExtractionWorkers":
        settings = crawler.settings
        budget = settings.getfloat("NEWSCRAWL_EXTRACT_TIME_BUDGET")
        if budget < 0:
            raise ValueError(f"NEWSCRAWL_EXTRACT_TIME_BUDGET must be seconds >= 0 (0: no limit), got {budget!r}")
        workers = cls(parse_processes(settings.get("NEWSCRAWL_EXTRACT_PROCESSES")), crawler,
                      settings.getbool("NEWSCRAWL_SECOND_OPINION"), budget)
        crawler.signals.connect(workers.close, signal=signals.spider_closed)
        return workers

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.processes, mp_context=multiprocessing.get_context("spawn"),
                                             initializer=_init_worker, initargs=(os.getpid(),))
            self._count("processes", self.processes, set_value=True)
            logger.info("Extracting pages in %d worker process(es)", self.processes)
        return self._pool

    def _count(self, what: str, n: int, set_value: bool = False) -> None:
        if self.crawler is not None and self.crawler.stats is not None:
            stats = self.crawler.stats
            (stats.set_value if set_value else stats.inc_value)(f"newscrawl/extract_workers/{what}", n)

    def _restart(self, generation: int) -> None:
        if generation != self._generation:
            return  # another page in flight already restarted the pool after the same crash
        self._generation += 1
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = None
        self._count("restarts", 1)

    async def extract(self, html: str, url: str, *, site: Site, fetched_at: datetime) -> Article:
        """The page's :class:`Article`; raises what extraction raises, :class:`ExtractionCrashed` or
        :class:`ExtractionTimedOut`."""
        if self.processes:
            try:
                asyncio.get_running_loop()
            except RuntimeError:  # a Twisted reactor other than asyncio's: no loop to await the workers in
                logger.warning("NEWSCRAWL_EXTRACT_PROCESSES needs the asyncio reactor; extracting in the crawl process")
                self.processes = 0
        if not self.processes:
            return _within_budget(self.time_budget, url, extract, html, url, site=site, fetched_at=fetched_at,
                                  ask_second_opinion=self.second_opinion, slides=self._slides)
        for attempt in range(1, MAX_ATTEMPTS + 1):
            generation = self._generation
            try:
                future = self._executor().submit(_extract_in_worker, html, url, site, fetched_at,
                                                 self.second_opinion, self.time_budget)
                return await asyncio.wrap_future(future)
            except BrokenProcessPool:
                logger.warning("An extraction worker died while %s was in flight (attempt %d of %d); "
                               "restarting the workers", url, attempt, MAX_ATTEMPTS)
                self._restart(generation)
        raise ExtractionCrashed(f"extraction of {url} killed a worker process {MAX_ATTEMPTS} times")

    def close(self, spider=None) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

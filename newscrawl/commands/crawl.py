"""``scrapy crawl`` with the honesty of ``scrapy cronrun``: checked before it starts, one summary line, a true exit code.

Scrapy's ``crawl`` exits 0 whenever the spider ran, and reports a bad argument as a traceback once the crawl has
started. This one

1. refuses, before Scrapy logs its first line, an unknown spider, an invalid ``-a`` argument, a setting given
   as text that does not read as its type, and a store configuration that can never work (a malformed
   ``MONGO_URI``): one line on stderr naming the argument or setting with a valid value, exit code 2
   (:mod:`newscrawl.commands.checks`, the same checks ``scrapy cronrun`` makes);
2. runs the crawl, then prints one summary line on stdout (the Scrapy log stays on stderr)::

       crawl heute: OK exit=0 fetched=20 skipped=0 extracted=19 new=19 changed=0 unchanged=0 dropped=0 written=19 spooled=0 errors=0 duration=2.1s output=output/heute/<run id>.jsonl

   (``output=none (0 new articles)`` when the run exported nothing);
3. exits with the code of the most severe failed check of :func:`newscrawl.cron.evaluate` — ``cronrun``'s checks
   without its error count, coverage floors and drift, which are cron's policy:

   ==== ========================================================================================================
   code meaning
   ==== ========================================================================================================
   0    the crawl finished and fetched what it was asked for (also when nothing was new)
   1    the store did not take everything: unreachable, a write failed, items spooled (``scrapy replay``), lost
   2    refused before starting: unknown spider, invalid ``-a`` argument or setting, malformed ``MONGO_URI``
   4    nothing fetched: the site could not be reached, discovery found no article, every article request failed
   5    the crawl could not start, or did not finish (SIGTERM/SIGINT, a spider that failed to start)
   8    the shared Redis queue was unreachable for ``NEWSCRAWL_REDIS_LOST_TIMEOUT`` and the run gave up
   ==== ========================================================================================================

   Code 1 is ``cronrun``'s 3 (``scrapy crawl`` has exited 1 for it since the spool existed); the others are
   ``cronrun``'s codes.
"""

from __future__ import annotations

import logging

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

from ..cron import EXIT_NOTHING_FETCHED, EXIT_QUEUE_LOST, EXIT_UNFINISHED, STORE_FAILURE_STATS, summary_line
from .checks import EXIT_USAGE, Run, check_crawl, report, scrapy_options

logger = logging.getLogger(__name__)

STORE_FAILURE_EXIT = 1
FAILURE_STATS = STORE_FAILURE_STATS  # one list for `crawl` and `cronrun` (spool/corrupt, lost_touches included)
EXIT_CODES = {
    0: "the crawl finished and fetched what it was asked for (also when nothing was new)",
    STORE_FAILURE_EXIT: "the store did not take everything (unreachable, failed writes, spooled or lost items: "
                        "see scrapy replay)",
    EXIT_USAGE: "refused before starting: unknown spider, invalid -a argument or setting, malformed MONGO_URI",
    EXIT_NOTHING_FETCHED: "nothing fetched: the site could not be reached, discovery found no article, or every "
                          "article request failed",
    EXIT_UNFINISHED: "the crawl could not start or did not finish (SIGTERM/SIGINT)",
    EXIT_QUEUE_LOST: "the shared Redis queue was unreachable for NEWSCRAWL_REDIS_LOST_TIMEOUT and the run gave up",
}


def store_failures(stats: dict) -> list[str]:
    """The failure stats set in a finished run's stats (empty: the store took everything)."""
    return [name if isinstance(stats[name], str) else f"{name}={stats[name]}" for name in FAILURE_STATS
            if stats.get(name)]


class Command(ScrapyCrawlCommand):
    def long_desc(self) -> str:
        codes = "; ".join(f"{code} {meaning}" for code, meaning in sorted(EXIT_CODES.items()))
        return (super().long_desc().rstrip(".") + ". Prints one summary line on stdout. Exit codes: " + codes + ".")

    def process_options(self, args, opts) -> None:
        scrapy_options("crawl", super().process_options, args, opts)
        check_crawl("crawl", args, opts, self.settings)

    def run(self, args, opts) -> None:
        if len(args) != 1:
            raise UsageError("scrapy crawl takes exactly one spider name" if args else "")
        run = Run.crawl(self.crawler_process, args[0], opts.spargs)
        summary = run.summary(run.problems(self.settings, cron=False, store_exit=STORE_FAILURE_EXIT))
        self.exitcode = report(summary, summary_line(summary, command="crawl", coverage=False), "crawl")

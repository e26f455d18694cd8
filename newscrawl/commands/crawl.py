"""``scrapy crawl`` with an honest exit code: Scrapy's own command, plus exit code 1 when the store failed.

Scrapy's ``crawl`` exits 0 whenever the spider ran. This one also exits 1 when the run left work for the
spool — the store was unreachable at open (``newscrawl/store/unavailable``), items or sightings went to
the spool (``newscrawl/store/spooled``, ``newscrawl/store/spooled_touches``), a write failed
(``newscrawl/store/write_errors``), the spool could not be fully drained at open
(``newscrawl/spool/remaining``) or items were lost (``newscrawl/store/lost``) — so a plain
``scrapy crawl`` from cron or a script does not report success while articles wait outside the store. ``scrapy cronrun`` applies its own health checks on the same stats.

It exits 8 (``EXIT_QUEUE_LOST``, as ``scrapy cronrun`` does) when a distributed crawl gave up on an unreachable
Redis (``finish_reason`` ``redis_lost``; :mod:`newscrawl.distributed` has logged the one ERROR line) — unless the
store failed too, which exits 1 first.
"""

from __future__ import annotations

import logging

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

from ..cron import EXIT_QUEUE_LOST, QUEUE_LOST_REASON, STORE_FAILURE_STATS

logger = logging.getLogger(__name__)

STORE_FAILURE_EXIT = 1
FAILURE_STATS = STORE_FAILURE_STATS  # one list for `crawl` and `cronrun` (spool/corrupt, lost_touches included)


def store_failures(stats: dict) -> list[str]:
    """The failure stats set in a finished run's stats (empty: the store took everything)."""
    return [name if isinstance(stats[name], str) else f"{name}={stats[name]}" for name in FAILURE_STATS
            if stats.get(name)]


class Command(ScrapyCrawlCommand):
    def long_desc(self) -> str:
        return (super().long_desc() + " Exits 1 when the store failed and items are waiting in the spool "
                "(see `scrapy replay`), 8 when the shared Redis queue was lost (NEWSCRAWL_REDIS_LOST_TIMEOUT).")

    def run(self, args, opts) -> None:
        if len(args) != 1:
            raise UsageError("scrapy crawl takes exactly one spider name" if args else "")
        crawler = self.crawler_process.create_crawler(args[0])
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = 1
            return
        stats = crawler.stats.get_stats() if crawler.stats else {}
        failures = store_failures(stats)
        if failures:
            logger.error("Exit code %d: the store did not take everything (%s)", STORE_FAILURE_EXIT,
                         ", ".join(failures))
            self.exitcode = STORE_FAILURE_EXIT
        elif stats.get("finish_reason") == QUEUE_LOST_REASON:
            self.exitcode = EXIT_QUEUE_LOST  # the ERROR line that says why is already in the log

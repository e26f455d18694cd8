"""``scrapy cronrun <spider>``: one crawl for cron — locked, incremental, summarised, with an honest exit code.

    scrapy cronrun heute                               # what the crontab runs
    scrapy cronrun heute -a recheck=2d                 # also re-fetch the last two days' articles (every 6 h)
    scrapy cronrun heute -s NEWSCRAWL_MAX_ERRORS=5     # -a and -s (and -o/-O) work as for `scrapy crawl`

1. Takes the spider's lock (``<NEWSCRAWL_LOCK_DIR or the folder of NEWSCRAWL_STATE>/<spider>.lock``); when
   another run holds it, says so on stderr and exits 75 at once.
2. Runs the crawl in this process with the project settings, incremental crawling switched on
   (``NEWSCRAWL_INCREMENTAL``; ``-s NEWSCRAWL_INCREMENTAL=0`` or ``-a incremental=0`` switch it off).
3. Writes the run summary next to the run's JSONL (``output/<spider>/<timestamp>.summary.json``), prints one
   summary line on stdout and exits with the code of the most severe failed check
   (:mod:`newscrawl.cron`): 0 healthy, 3 store, 8 Redis queue lost, 4 nothing fetched, 5 unfinished, 6 errors,
   7 coverage, 9 coverage drift against the median of the spider's previous runs (:mod:`newscrawl.drift`).
   The lock is released however the crawl ends (a killed process's flock goes with it).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from scrapy import signals
from scrapy.commands import BaseRunSpiderCommand
from scrapy.exceptions import UsageError
from scrapy.extensions.feedexport import FeedExporter
from scrapy.settings import SETTINGS_PRIORITIES

from ..paths import setting_path
from ..drift import check_drift, drift_settings
from ..cron import (EXIT_LOCKED, SEVERITY, LockHeld, RunCollector, RunLock, build_summary, evaluate, lock_path,
                    parse_floors, print_line, summary_line)

logger = logging.getLogger(__name__)


class FeedFile:
    """The local JSON Lines file this run exports to, if any: the crawler's FeedExporter, taken when the spider
    opened (a crawl that never started has none)."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.exporter: FeedExporter | None = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)

    def spider_opened(self, spider):
        self.exporter = self.crawler.get_extension(FeedExporter)

    def path(self) -> Path | None:
        """The file, when the run wrote one: a run that exported nothing leaves none (store_empty False)."""
        for slot in getattr(self.exporter, "slots", None) or []:
            path = getattr(slot.storage, "path", None)
            if path and slot.format in ("jsonlines", "jsonl", "jl") and Path(path).is_file():
                return Path(path)
        return None


def summary_file(jsonl: Path | None, output_dir: str | Path, spider: str, started_at: datetime) -> Path:
    if jsonl is not None:
        return jsonl.with_name(jsonl.name.removesuffix(".jsonl").removesuffix(".jl") + ".summary.json")
    stamp = started_at.replace(microsecond=0).isoformat().replace(":", "-")
    return Path(output_dir) / spider / f"{stamp}.summary.json"


def write_json(path: Path, data: dict) -> None:
    """Write ``data`` whole or not at all (a temporary file renamed into place)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


class Command(BaseRunSpiderCommand):
    requires_project = True

    def syntax(self) -> str:
        return "[options] <spider>"

    def short_desc(self) -> str:
        return "Run a spider for cron: one run at a time, incremental, a run summary and an honest exit code"

    def long_desc(self) -> str:
        return (self.short_desc() + ". Exit codes: 0 healthy; 3 the store was unreachable, failed or items were "
                "spooled; 4 no article could be fetched; 5 the crawl did not finish; 6 more ERROR log lines than "
                "NEWSCRAWL_MAX_ERRORS; 7 field coverage below NEWSCRAWL_COVERAGE_FLOORS; 8 the shared Redis queue was "
                "unreachable for NEWSCRAWL_REDIS_LOST_TIMEOUT and the run gave up; 9 a field's coverage fell more than "
                "NEWSCRAWL_DRIFT_MARGIN below its median over the spider's previous runs; 75 another run of the "
                "spider is active. See the README, 'Running from cron'.")

    def process_options(self, args, opts) -> None:
        super().process_options(args, opts)
        settings = self.settings
        if ("NEWSCRAWL_INCREMENTAL" not in settings.getdict("NEWSCRAWL_FROM_ENVIRONMENT")
                and settings.getpriority("NEWSCRAWL_INCREMENTAL") < SETTINGS_PRIORITIES["cmdline"]):
            settings.set("NEWSCRAWL_INCREMENTAL", True, priority="cmdline")
        try:
            self.floors = parse_floors(settings.get("NEWSCRAWL_COVERAGE_FLOORS"))
        except ValueError as exc:
            raise UsageError(f"NEWSCRAWL_COVERAGE_FLOORS: {exc}", print_help=False) from None
        try:
            self.drift = drift_settings(settings)
        except ValueError as exc:
            raise UsageError(str(exc), print_help=False) from None

    def run(self, args, opts) -> None:
        if len(args) != 1:
            raise UsageError("scrapy cronrun takes exactly one spider name" if args else "")
        name = args[0]
        assert self.crawler_process is not None and self.settings is not None
        settings = self.settings
        if name not in self.crawler_process.spider_loader.list():
            raise UsageError(f"no spider named {name!r} (scrapy list shows them)", print_help=False)

        lock = RunLock(lock_path(settings, name))
        try:
            lock.acquire()
        except LockHeld as exc:
            sys.stderr.write(f"cronrun {name}: another run is active ({exc.holder or 'PID not written yet'}; "
                             f"lock file {exc.path}); not starting, exit code {EXIT_LOCKED}\n")
            sys.stderr.flush()
            self.exitcode = EXIT_LOCKED
            return
        try:
            if lock.stale:
                logger.warning("Took over the stale lock %s: the run that held it (%s) ended without releasing it",
                               lock.path, lock.stale)
            self.exitcode = self._crawl(name, opts, self.floors)
        finally:
            lock.release()

    def _crawl(self, name: str, opts, floors: dict[str, float]) -> int:
        settings = self.settings
        started_at = datetime.now(timezone.utc)
        t0 = time.monotonic()
        crawler = self.crawler_process.create_crawler(name)
        collector, feed = RunCollector(crawler), FeedFile(crawler)
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        duration = time.monotonic() - t0

        try:
            stats = crawler.stats.get_stats()
        except RuntimeError:  # the crawl never started, so it has no stats
            stats = {}
        problems = evaluate(stats, collector.coverage(), max_errors=settings.getint("NEWSCRAWL_MAX_ERRORS"),
                            floors=floors, min_items=settings.getint("NEWSCRAWL_COVERAGE_MIN_ITEMS"),
                            started=not self.crawler_process.bootstrap_failed)
        drifted, drift = check_drift(collector.coverage(), setting_path(settings, "NEWSCRAWL_OUTPUT_DIR") / name, name,
                                     min_items=settings.getint("NEWSCRAWL_COVERAGE_MIN_ITEMS"), **self.drift)
        problems = sorted(problems + drifted, key=lambda p: SEVERITY.index(p.code))
        jsonl = feed.path()
        summary = build_summary(name, stats, collector, problems, duration=duration,
                                jsonl=str(jsonl) if jsonl else None, started_at=started_at)
        summary["drift"] = drift  # the baseline used and the figures compared (newscrawl.drift)
        path = summary_file(jsonl, setting_path(settings, "NEWSCRAWL_OUTPUT_DIR"), name, started_at)
        try:
            write_json(path, summary)
        except OSError as exc:
            logger.error("Cannot write the run summary %s: %s", path, exc)
            path = None
        for problem in problems:
            logger.error("Run check failed (exit code %d): %s", problem.code, problem.message)
        print_line(summary_line(summary, path))
        return summary["exit_code"]

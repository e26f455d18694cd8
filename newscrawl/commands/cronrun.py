"""``scrapy cronrun <spider>``: one crawl for cron — locked, incremental, summarised, with an honest exit code.

    scrapy cronrun heute                               # what the crontab runs
    scrapy cronrun heute -a recheck=2d                 # also re-fetch the last two days' articles (every 6 h)
    scrapy cronrun heute -s NEWSCRAWL_MAX_ERRORS=5     # -a and -s (and -o/-O) work as for `scrapy crawl`

1. Takes the spider's lock (``<NEWSCRAWL_LOCK_DIR or the folder of NEWSCRAWL_STATE>/<spider>.lock``); when
   another run holds it, says so on stderr and exits 75 at once.
2. Runs the crawl in this process with the project settings, incremental crawling switched on
   (``NEWSCRAWL_INCREMENTAL``; ``-s NEWSCRAWL_INCREMENTAL=0`` or ``-a incremental=0`` switch it off).
3. Writes the run summary to ``output/<spider>/<run id>.summary.json`` (beside the run's JSONL), prints one
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
import uuid
from datetime import datetime
from pathlib import Path

from scrapy.commands import BaseRunSpiderCommand
from scrapy.exceptions import UsageError
from scrapy.settings import SETTINGS_PRIORITIES

from ..paths import setting_path
from ..drift import check_drift, drift_settings
from ..cron import EXIT_LOCKED, SEVERITY, LockHeld, RunLock, lock_path, parse_floors, summary_line
from .checks import FeedFile, Run, check_crawl, refuse, report, scrapy_options

logger = logging.getLogger(__name__)

__all__ = ["Command", "FeedFile", "summary_file", "write_json"]


def summary_file(jsonl: Path | None, output_dir: str | Path, spider: str, started_at: datetime) -> Path:
    """``<output dir>/<spider>/<run id>.summary.json``, always in that folder (the drift alarm reads the earlier
    runs' summaries there, :mod:`newscrawl.drift`): named as the run's default JSONL when it wrote one, else by
    a run id of its own like the JSONL's (start time to the microsecond, pid, random part), so runs that
    exported nothing never share a summary (a whole-second name did when two started in the same second)."""
    folder = Path(output_dir) / spider
    if jsonl is not None and jsonl.parent.resolve() == folder.resolve():
        return jsonl.with_name(jsonl.name.removesuffix(".jsonl").removesuffix(".jl") + ".summary.json")
    stamp = started_at.isoformat(timespec="microseconds").replace(":", "-")
    return folder / f"{stamp}-{os.getpid()}-{uuid.uuid4().hex[:6]}.summary.json"


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
        scrapy_options("cronrun", super().process_options, args, opts)
        settings = self.settings
        if ("NEWSCRAWL_INCREMENTAL" not in settings.getdict("NEWSCRAWL_FROM_ENVIRONMENT")
                and settings.getpriority("NEWSCRAWL_INCREMENTAL") < SETTINGS_PRIORITIES["cmdline"]):
            settings.set("NEWSCRAWL_INCREMENTAL", True, priority="cmdline")
        check_crawl("cronrun", args, opts, settings)  # the checks `scrapy crawl` makes too (exit 2)
        label = f"cronrun {args[0]}"
        try:
            self.floors = parse_floors(settings.get("NEWSCRAWL_COVERAGE_FLOORS"))
        except ValueError as exc:
            refuse(label, f"NEWSCRAWL_COVERAGE_FLOORS: {exc}")
        try:
            self.drift = drift_settings(settings)
        except ValueError as exc:
            refuse(label, str(exc))

    def run(self, args, opts) -> None:
        if len(args) != 1:
            raise UsageError("scrapy cronrun takes exactly one spider name" if args else "")
        name = args[0]
        assert self.crawler_process is not None and self.settings is not None
        settings = self.settings  # the spider name, arguments and settings were checked (process_options)

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
        run = Run.crawl(self.crawler_process, name, opts.spargs)
        problems = run.problems(settings, floors=floors)
        drifted, drift = check_drift(run.collector.coverage(), setting_path(settings, "NEWSCRAWL_OUTPUT_DIR") / name,
                                     name, min_items=settings.getint("NEWSCRAWL_COVERAGE_MIN_ITEMS"), **self.drift)
        problems = sorted(problems + drifted, key=lambda p: SEVERITY.index(p.code))
        summary = run.summary(problems)
        summary["drift"] = drift  # the baseline used and the figures compared (newscrawl.drift)
        jsonl = run.feed.path()
        path = summary_file(jsonl, setting_path(settings, "NEWSCRAWL_OUTPUT_DIR"), name, run.started_at)
        try:
            write_json(path, summary)
        except OSError as exc:
            logger.error("Cannot write the run summary %s: %s", path, exc)
            path = None
        return report(summary, summary_line(summary, path, command="cronrun"), "cronrun")

"""What ``scrapy crawl`` and ``scrapy cronrun`` check before and after a crawl: one code path for both commands.

**Before** (:func:`check_crawl`, from the commands' ``process_options``, so before Scrapy logs its first line):
the spider name, the settings given as text (``-s``: a number, a switch, a JSON object where the default is one),
the store's configuration (:mod:`newscrawl.store.config`), the feeds (``-o``/``-O``: :mod:`newscrawl.feed_outputs`)
and the spider's ``-a`` arguments, read by the spider
class's own ``check_arguments`` (the code its ``__init__`` runs). The first problem is refused with one line on
stderr that names the argument or setting and shows a valid value, and exit code 2 (:func:`refuse`).

**After** (:class:`Run`): the crawl's stats, the checks of :func:`newscrawl.cron.evaluate` and the one summary line
(:func:`newscrawl.cron.summary_line`) with the feed files written (:class:`FeedFile`).
"""

from __future__ import annotations

import difflib
import json
import logging
import os
import sys
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, NoReturn

from scrapy import signals
from scrapy.exceptions import UsageError
from scrapy.extensions.feedexport import FeedExporter
from scrapy.settings import SETTINGS_PRIORITIES, Settings
from scrapy.spiderloader import get_spider_loader
from scrapy.utils.project import ENVVAR

from ..addon import ALIASES
from ..credentials import mask_uri
from ..cron import Problem, RunCollector, build_summary, evaluate, print_line, summary_line
from ..feed_outputs import check_feeds
from ..store.config import check_store_config

logger = logging.getLogger(__name__)

EXIT_USAGE = 2  # refused before the crawl started (Scrapy's own code for a usage error)
# Examples for settings whose default shows no useful value.
SETTING_EXAMPLES = {"NEWSCRAWL_BASE_URLS": '{"heute": "http://127.0.0.1:8765"}'}


# -- before the crawl -------------------------------------------------------------------------------------

def refuse(label: str, message: str) -> NoReturn:
    """Write ``<label>: <message>`` as one line on stderr and end the command with exit code 2 (an empty
    UsageError without help: Scrapy then prints nothing more)."""
    sys.stderr.write(f"{label}: {' '.join(str(message).split())}\n")
    sys.stderr.flush()
    raise UsageError("", print_help=False)


def scrapy_options(command: str, process_options, args: list[str], opts) -> None:
    """Scrapy's own option handling (``-a``, ``-s``, ``-o``/``-O``), its usage errors as one line (exit 2)."""
    try:
        process_options(args, opts)
    except UsageError as exc:
        if not str(exc):
            raise
        refuse(command, str(exc))


def spider_class(loader, name: str, command: str) -> type:
    """The spider class named ``name``; an unknown name is refused with the list of spiders."""
    names = sorted(loader.list())
    if name not in names:
        close = difflib.get_close_matches(name, names, n=1)
        refuse(command, f"no spider named {name!r}{f' (did you mean {close[0]}?)' if close else ''}; "
                        f"the spiders are: {', '.join(names)}")
    return loader.load(name)


def project_defaults() -> Settings:
    """Scrapy's defaults and the project's settings module (the one ``scrapy.cfg`` names)."""
    defaults = Settings()
    module = os.environ.get(ENVVAR)
    if module:
        defaults.setmodule(module, priority="project")
    return defaults


def check_setting_types(settings, defaults: Settings | None = None) -> None:
    """Raise ValueError for a setting given as text (``-s``, scrapyd's ``setting=``) that does not read as the
    type of its default (``defaults``: :func:`project_defaults`): a switch, a number or a JSON object (the
    ``NEWSCRAWL_`` aliases as their Scrapy setting). The environment's values are checked when read
    (:mod:`newscrawl.environment`)."""
    defaults = project_defaults() if defaults is None else defaults
    for name in list(settings):
        value = settings[name]
        if not isinstance(value, str) or (settings.getpriority(name) or 0) < SETTINGS_PRIORITIES["cmdline"]:
            continue
        default = defaults.get(ALIASES.get(name, name))
        if isinstance(default, bool):
            kind, getter, example = "a switch", settings.getbool, int(default)
        elif isinstance(default, (int, float)):
            kind, getter, example = "a number", settings.getfloat, default
        elif isinstance(default, dict):
            kind, getter = "a JSON object", settings.getdict
            example = SETTING_EXAMPLES.get(name) or (json.dumps(default) if default else '{"name": "value"}')
        else:
            continue
        try:
            getter(name)
        except (TypeError, ValueError):
            hint = " (1 or 0, true or false)" if kind == "a switch" else ""
            raise ValueError(f"-s {name} must be {kind}{hint} like {name}={example}, got {value[:100]!r}") from None


def check_crawl(command: str, args: list[str], opts, settings) -> type:
    """Everything about a crawl that can be known before it starts; refuses the first problem (exit 2).
    Returns the spider class."""
    label = f"{command} {args[0]}" if len(args) == 1 else command
    try:
        check_setting_types(settings)  # first: the spider loader reads settings too (NEWSCRAWL_BASE_URLS)
    except ValueError as exc:
        refuse(label, str(exc))
    if len(args) != 1:
        names = ", ".join(sorted(get_spider_loader(settings).list()))
        refuse(command, f"give one spider name, like scrapy {command} heute (got {len(args)}); the spiders are: "
                        f"{names}")
    name = args[0]
    spidercls = spider_class(get_spider_loader(settings), name, command)
    try:
        check_store_config(settings)
        check_feeds(settings)  # a feed this run could not write (newscrawl.feed_outputs)
        check_arguments = getattr(spidercls, "check_arguments", None)
        if check_arguments is not None:
            check_arguments(opts.spargs, settings)
    except ValueError as exc:
        refuse(f"{command} {name}", str(exc))
    return spidercls


# -- the crawl and after it -------------------------------------------------------------------------------

class FeedFile:
    """The files (and other feed URIs) this run exports to: the crawler's FeedExporter, taken when the spider
    opened (a crawl that never started has none)."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.exporter: FeedExporter | None = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)

    def spider_opened(self, spider):
        self.exporter = self.crawler.get_extension(FeedExporter)

    def slots(self) -> list:
        return list(getattr(self.exporter, "slots", None) or [])

    def path(self) -> Path | None:
        """The local JSON Lines file, when the run wrote one (the run summary is named after it): a run that
        exported nothing leaves none (store_empty False)."""
        for slot in self.slots():
            path = getattr(slot.storage, "path", None)
            if path and slot.format in ("jsonlines", "jsonl", "jl") and Path(path).is_file():
                return Path(path)
        return None

    def outputs(self) -> list[str]:
        """Every local file written (those a feed left out for want of items are not there) and every other
        feed URI, credentials masked."""
        found = []
        for slot in self.slots():
            path = getattr(slot.storage, "path", None)
            if path:
                if Path(path).exists():
                    found.append(str(path))
            elif slot.uri:
                found.append(mask_uri(str(slot.uri)) if "://" in str(slot.uri) else str(slot.uri))
        return found


@dataclass
class Run:
    """One crawl in this process, with what the commands report of it."""

    name: str
    crawler: Any
    collector: RunCollector
    feed: FeedFile
    started_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    duration: float = 0.0
    started: bool = False
    stats: dict = field(default_factory=dict)

    @classmethod
    def crawl(cls, crawler_process, name: str, spargs: dict) -> "Run":
        """Run the spider ``name`` to its end in ``crawler_process``."""
        t0 = time.monotonic()
        started_at = datetime.now(timezone.utc)
        crawler = crawler_process.create_crawler(name)
        run = cls(name, crawler, RunCollector(crawler), FeedFile(crawler), started_at)
        crawler_process.crawl(crawler, **spargs)
        crawler_process.start()
        run.duration = time.monotonic() - t0
        run.started = not crawler_process.bootstrap_failed
        try:
            run.stats = crawler.stats.get_stats() if crawler.stats else {}
        except RuntimeError:  # the crawl never started, so it has no stats
            run.stats = {}
        return run

    def problems(self, settings, *, floors=None, cron: bool = True, store_exit: int | None = None) -> list[Problem]:
        """The failed checks of :func:`newscrawl.cron.evaluate`; ``cron`` False: without the error-count and
        coverage checks, and a store failure with the exit code ``store_exit``."""
        problems = evaluate(self.stats, self.collector.coverage(),
                            max_errors=settings.getint("NEWSCRAWL_MAX_ERRORS") if cron else None,
                            floors=floors if cron else None,
                            min_items=settings.getint("NEWSCRAWL_COVERAGE_MIN_ITEMS"),
                            started=self.started, reasons=self.collector.reasons)
        if store_exit is not None:
            problems = [replace(p, code=store_exit) if p.check == "store" else p for p in problems]
        return problems

    def summary(self, problems: list[Problem]) -> dict[str, Any]:
        jsonl = self.feed.path()
        summary = build_summary(self.name, self.stats, self.collector, problems, duration=self.duration,
                                jsonl=str(jsonl) if jsonl else None, started_at=self.started_at)
        summary["outputs"] = self.feed.outputs()
        return summary


LOG_FORMATS = {"crawl": "Exit code %d: %s", "cronrun": "Run check failed (exit code %d): %s"}  # as they always were


def report(summary: dict[str, Any], line: str, command: str) -> int:
    """Log each failed check (one ERROR line each), print the summary line on stdout; the exit code."""
    for problem in summary["problems"]:
        logger.error(LOG_FORMATS[command], problem["exit_code"], problem["message"])
    print_line(line)
    return summary["exit_code"]


__all__ = ["EXIT_USAGE", "FeedFile", "Run", "check_crawl", "check_setting_types", "refuse", "report",
           "scrapy_options", "spider_class", "summary_line"]

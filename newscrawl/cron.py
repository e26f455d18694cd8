"""What ``scrapy cronrun`` adds to a crawl: one run per spider at a time, a run summary, health checks and exit codes.

- :class:`RunLock`: ``<lock dir>/<spider>.lock``, held with ``fcntl.flock`` for the life of the process and
  holding the PID and start time for humans. The kernel drops a flock when its process dies, so the lock of
  a killed run is free at once; the next run sees the dead run's PID still in the file and says so.
- :class:`RunCollector`: signal handlers that count article pages fetched and the field coverage of every
  item the spider extracted (stored, unchanged or dropped alike, so a layout change that empties a field
  shows even when the items are then dropped).
- :func:`evaluate`: the health checks on the finished run's stats and coverage, each failure with its exit
  code; :func:`build_summary` and :func:`summary_line` for the summary file and the one stdout line.

The checks are small and plain on purpose (spidermon would add a dependency, a unittest-style monitor
suite and its own action plumbing for what is five comparisons; see the README, "Running from cron").
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Collection, Mapping

from scrapy import signals
from scrapy.http import TextResponse

from .exceptions import DUPLICATE_IN_RUN, drop_reason
from .extract.galleries import MAX_GALLERY_SIZE
from .paths import setting_path
from .store import StoreExtension

# Exit codes, most severe first when several checks fail (the summary lists them all).
EXIT_OK = 0
EXIT_STORE = 3  # the store was unreachable, writes failed or items were spooled
EXIT_NOTHING_FETCHED = 4  # no article could be fetched (discovery failed or every article request failed)
EXIT_UNFINISHED = 5  # the crawl did not finish (could not start, or shut down by SIGTERM/SIGINT)
EXIT_ERRORS = 6  # more ERROR log lines than NEWSCRAWL_MAX_ERRORS
EXIT_COVERAGE = 7  # a field's coverage fell below its floor
EXIT_QUEUE_LOST = 8  # the shared Redis queue was unreachable for NEWSCRAWL_REDIS_LOST_TIMEOUT: the run gave up
# a field's coverage fell by more than NEWSCRAWL_DRIFT_MARGIN below the median of the spider's previous runs
# (newscrawl.drift), even if it is still above its floor
EXIT_DRIFT = 9
EXIT_LOCKED = 75  # EX_TEMPFAIL: another run of the spider holds the lock
# A lost queue ranks after the store (items outside the store are the worse harm) and before "nothing
# fetched"/"unfinished", which a lost queue causes and which would hide the cause. Drift ranks last, right
# after coverage: a field below its absolute floor is the plainer statement about the same harm.
SEVERITY = (EXIT_STORE, EXIT_QUEUE_LOST, EXIT_NOTHING_FETCHED, EXIT_UNFINISHED, EXIT_ERRORS, EXIT_COVERAGE,
            EXIT_DRIFT)
QUEUE_LOST_REASON = "redis_lost"  # finish_reason of a crawl that gave up on Redis (newscrawl.distributed)

# Stats that mean the store did not take everything (set by the store pipeline and its spool).
# spool/corrupt: spooled entries that can never be written were set aside to <spool>.corrupt (an operator looks).
STORE_FAILURE_STATS = ("newscrawl/store/unavailable", "newscrawl/store/spooled", "newscrawl/store/spooled_touches",
                       "newscrawl/store/write_errors", "newscrawl/spool/remaining", "newscrawl/spool/corrupt",
                       "newscrawl/store/lost", "newscrawl/store/lost_touches")

# The watched fields (NEWSCRAWL_COVERAGE_FLOORS, newscrawl.drift): each one's share of a run's items that have it.
# body_length: the body holds at least BODY_CHARS characters (a share, so that a layout change that keeps only
# the first paragraph, or none, shows against a floor and against the median of earlier runs alike).
# galleries: over the items whose page shows a gallery counter ("1/N") only, the share whose item has a gallery
# of at least N slides (None in a run without such pages).
COVERAGE_FIELDS = ("headline", "published", "authors_or_source", "lead", "body_length", "lead_image_credit",
                   "galleries")
BODY_CHARS = 500


# -- the lock ---------------------------------------------------------------------------------------------

class LockHeld(RuntimeError):
    def __init__(self, path: Path, holder: str):
        self.path, self.holder = path, holder
        super().__init__(f"another run holds {path} ({holder or 'no PID written yet'})")


class RunLock:
    """An exclusive, non-blocking ``flock`` on ``path``; the file keeps the holder's PID and start time."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.fd: int | None = None
        self.stale: str = ""  # what a previous holder that never released the lock left in the file

    def acquire(self) -> "RunLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip().replace("\n", ", ")
            os.close(fd)
            if exc.errno in (errno.EAGAIN, errno.EWOULDBLOCK, errno.EACCES):
                raise LockHeld(self.path, holder) from None
            raise
        self.stale = os.pread(fd, 200, 0).decode("utf-8", "replace").strip().replace("\n", ", ")
        started = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}\nstarted {started}\n".encode(), 0)
        os.fsync(fd)
        self.fd = fd
        return self

    def release(self) -> None:
        if self.fd is None:
            return
        try:
            os.ftruncate(self.fd, 0)  # an empty file: released cleanly (a killed run leaves its PID behind)
        finally:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None

    def __enter__(self) -> "RunLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def lock_path(settings, spider: str) -> Path:
    """``<NEWSCRAWL_LOCK_DIR>/<spider>.lock``, else next to the embedded state; relative folders are read against
    the project root, so runs started from any folder of the project share one lock."""
    if settings.get("NEWSCRAWL_LOCK_DIR"):
        return setting_path(settings, "NEWSCRAWL_LOCK_DIR") / f"{spider}.lock"
    return setting_path(settings, "NEWSCRAWL_STATE").parent / f"{spider}.lock"


# -- coverage ---------------------------------------------------------------------------------------------

def _get(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name, None)


def coverage_flags(item: Any, counters: Collection[int] = ()) -> dict[str, bool]:
    """Which of the watched fields an item has. ``counters``: the N of each "1/N" gallery counter its page
    shows (:func:`page_gallery_counters`); without any, ``galleries`` does not apply and is left out."""
    lead = _get(item, "lead_image")
    flags = {
        "headline": bool((_get(item, "headline") or "").strip()),
        "published": bool(_get(item, "published")),
        "authors_or_source": bool(_get(item, "authors")) or bool((_get(item, "source") or "").strip()),
        "lead": bool((_get(item, "lead") or "").strip()),
        "body_length": sum(len(p or "") for p in _get(item, "body") or ()) >= BODY_CHARS,
        "lead_image_credit": lead is not None and bool(_get(lead, "credits") or _get(lead, "credit_raw")),
    }
    if counters:
        slides = [len(_get(g, "entries") or ()) for g in _get(item, "galleries") or ()]
        flags["galleries"] = all(any(n >= size for n in slides) for size in counters)
    return flags


# A gallery counter ("1/65") as the whole text of an element, or split across up to three tags:
# <div class="Gallery_counter__x">1/65</div>, <span><span>1</span>/<span>51</span></span>.
_TAGS = r"(?:<[^<>]{0,300}>\s*){0,3}"
GALLERY_COUNTER = re.compile(r">\s*1\s*" + _TAGS + r"/\s*" + _TAGS + r"(\d{1,4})\s*<")


def page_gallery_counters(response: Any) -> frozenset[int]:
    """The N of every "1/N" gallery counter in the page's markup (none for a missing or non-text response).
    Read from the page, not the item, so a gallery the extraction lost entirely still counts as missed."""
    if not isinstance(response, TextResponse):
        return frozenset()
    return frozenset(n for m in GALLERY_COUNTER.finditer(response.text)
                     if 0 < (n := int(m.group(1))) <= MAX_GALLERY_SIZE)


def parse_floors(value: Any) -> dict[str, float]:
    """``"headline=0.99,published=0.95"`` (or a dict) -> {field: floor}; unknown fields and shares outside
    0..1 are errors."""
    if isinstance(value, Mapping):
        pairs = list(value.items())
    else:
        pairs = []
        for part in str(value or "").split(","):
            if not part.strip():
                continue
            name, sep, number = part.partition("=")
            if not sep:
                raise ValueError(f"coverage floors are field=share pairs, got {part.strip()!r}")
            pairs.append((name, number))
    floors = {}
    for name, number in pairs:
        name = str(name).strip()
        if name not in COVERAGE_FIELDS:
            raise ValueError(f"unknown coverage field {name!r} (known: {', '.join(COVERAGE_FIELDS)})")
        try:
            share = float(number)
        except (TypeError, ValueError):
            raise ValueError(f"coverage floor of {name} must be a number from 0 to 1, got {number!r}") from None
        if not 0 <= share <= 1:
            raise ValueError(f"coverage floor of {name} must be from 0 to 1, got {share}")
        floors[name] = share
    return floors


class RunCollector:
    """Counts a run's article pages and the coverage of every extracted item, from the crawler's signals."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.items = 0
        self.filled = dict.fromkeys(COVERAGE_FIELDS, 0)
        self.gallery_pages = 0  # items whose page shows a gallery counter: the denominator of "galleries"
        self.article_responses = 0
        self.reasons: dict[str, str] = {}  # why, for failure stats that only count (stats are numbers)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(self.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(self.item_error, signal=signals.item_error)
        crawler.signals.connect(self.response_received, signal=signals.response_received)

    def count(self, item, response=None) -> None:
        self.items += 1
        flags = coverage_flags(item, page_gallery_counters(response))
        self.gallery_pages += "galleries" in flags
        for name, present in flags.items():
            self.filled[name] += present

    def spider_closed(self, spider):
        store = self.crawler.get_extension(StoreExtension)
        if store is not None and store.client.unavailable:
            self.reasons["newscrawl/store/unavailable"] = store.client.unavailable

    def item_scraped(self, item, response, spider):
        self.count(item, response)

    def item_dropped(self, item, response, exception, spider):
        if drop_reason(exception) != DUPLICATE_IN_RUN:  # the same article again: counted once
            self.count(item, response)

    def item_error(self, item, response, spider, failure):
        self.count(item, response)

    def response_received(self, response, request, spider):
        parse_article = getattr(spider, "parse_article", None)
        if parse_article is not None and request.callback == parse_article:
            self.article_responses += 1

    def coverage(self) -> dict[str, Any]:
        """{"items": n, <field>: share of the items that have it or None, "gallery_pages": k}; the share of
        ``galleries`` is over the k items whose page shows a gallery counter."""
        counted = {name: self.items for name in COVERAGE_FIELDS} | {"galleries": self.gallery_pages}
        shares = {name: round(self.filled[name] / counted[name], 4) if counted[name] else None
                  for name in COVERAGE_FIELDS}
        return {"items": self.items, **shares, "gallery_pages": self.gallery_pages}


# -- checks -----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Problem:
    code: int
    check: str
    message: str

    def asdict(self) -> dict[str, Any]:
        return {"exit_code": self.code, "check": self.check, "message": self.message}


def store_message(stats: Mapping[str, Any], reasons: Mapping[str, str]) -> str | None:
    """What the store did not take (``spooled=19``), a stat's reason instead of its count where one is known
    (``unavailable=MongoDB unreachable at ...``: the stat itself is 1); None when it took everything."""
    failures = [f"{name.split('/', 1)[1]}={str(reasons.get(name) or stats[name])[:150]}" for name in STORE_FAILURE_STATS
                if stats.get(name)]
    return "the store did not take everything: " + ", ".join(failures) if failures else None


def evaluate(stats: Mapping[str, Any], coverage: Mapping[str, Any], *, max_errors: int | None = 0,
             floors: Mapping[str, float] | None = None, min_items: int = 10,
             started: bool = True, reasons: Mapping[str, str] | None = None) -> list[Problem]:
    """Every failed check of a finished run, most severe first (empty: healthy). ``reasons``: why, for failure
    stats that only count (:attr:`RunCollector.reasons`). ``max_errors`` None and no ``floors``: no error-count
    and no coverage check (``scrapy crawl`` makes only the others)."""
    problems: list[Problem] = []
    if message := store_message(stats, reasons or {}):
        problems.append(Problem(EXIT_STORE, "store", message))
    reason = stats.get("finish_reason")
    if stats.get("newscrawl/redis/lost") or reason == QUEUE_LOST_REASON:
        problems.append(Problem(EXIT_QUEUE_LOST, "queue", "the shared Redis queue was unreachable and the run gave "
                                "up (finish_reason redis_lost); the next run resumes from what Redis kept"))
    extracted = stats.get("newscrawl/articles_extracted", 0)
    skipped = stats.get("newscrawl/incremental/skipped", 0)
    if started and not extracted and not skipped:
        sitemaps = sum(stats.get(f"newscrawl/{kind}/fetched", 0) for kind in ("sitemap", "feed", "sections"))
        how = ("the sitemaps or feeds listed no article, or every article request failed" if sitemaps
               else "no sitemap or section page could be fetched" + (
                   ": the site did not answer, connection refused or host not found"
                   if stats.get("newscrawl/origins_unreachable") else ""))
        problems.append(Problem(EXIT_NOTHING_FETCHED, "nothing_fetched",
                                f"no article could be fetched ({how}; "
                                f"{stats.get('downloader/response_count', 0)} responses to "
                                f"{stats.get('downloader/request_count', 0)} requests)"))
    if not started:
        problems.append(Problem(EXIT_UNFINISHED, "finished", "the crawl could not start (see the log)"))
    elif reason not in ("finished", QUEUE_LOST_REASON) and not str(reason).startswith("closespider_"):
        problems.append(Problem(EXIT_UNFINISHED, "finished", f"the crawl did not finish (finish_reason {reason})"))
    errors = stats.get("log_count/ERROR", 0)
    if max_errors is not None and errors > max_errors:
        problems.append(Problem(EXIT_ERRORS, "errors", f"{errors} ERROR log lines (at most {max_errors} allowed)"))
    items = coverage.get("items", 0)
    if floors and items >= min_items:
        low = [f"{name} {coverage[name]:.2f} < {floor:.2f}" for name, floor in floors.items()
               if coverage.get(name) is not None and coverage[name] < floor]
        if low:
            problems.append(Problem(EXIT_COVERAGE, "coverage", f"field coverage below its floor over {items} items: "
                                    + ", ".join(low)))
    return sorted(problems, key=lambda p: SEVERITY.index(p.code))


def exit_code(problems: list[Problem]) -> int:
    return problems[0].code if problems else EXIT_OK


# -- the summary ------------------------------------------------------------------------------------------

def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value if isinstance(value, (str, int, float, bool, type(None))) else str(value)


def build_summary(spider: str, stats: Mapping[str, Any], collector: RunCollector, problems: list[Problem], *,
                  duration: float, jsonl: str | None, started_at: datetime) -> dict[str, Any]:
    dropped = {name.rsplit("/", 1)[1]: n for name, n in sorted(stats.items())
               if name.startswith("newscrawl/dropped/")}
    if stats.get("newscrawl/dedup/duplicate_in_run"):
        dropped["duplicate_in_run"] = stats["newscrawl/dedup/duplicate_in_run"]
    return {
        "spider": spider,
        "status": "ok" if not problems else "failed",
        "exit_code": exit_code(problems),
        "problems": [p.asdict() for p in problems],
        "started_at": started_at.replace(microsecond=0).isoformat(),
        "duration_s": round(duration, 2),
        "finish_reason": stats.get("finish_reason"),
        "counts": {
            "requests": stats.get("downloader/request_count", 0),
            "sitemap_skipped": stats.get("newscrawl/incremental/skipped", 0),
            "fetched": collector.article_responses,
            "extracted": stats.get("newscrawl/articles_extracted", 0),
            "new": stats.get("newscrawl/dedup/new", 0),
            "changed": stats.get("newscrawl/dedup/changed", 0),
            "unchanged": stats.get("newscrawl/dedup/unchanged", 0),
            "dropped": dropped,
            "written": stats.get("newscrawl/store/written", 0),
            "spooled": stats.get("newscrawl/store/spooled", 0),
            "errors": stats.get("log_count/ERROR", 0),
            "warnings": stats.get("log_count/WARNING", 0),
        },
        "coverage": collector.coverage(),
        "jsonl": jsonl,
        "stats": {k: _jsonable(v) for k, v in sorted(stats.items())},
    }


def summary_line(summary: Mapping[str, Any], path: str | Path | None = None, *, command: str = "cronrun",
                 coverage: bool = True) -> str:
    """The run's one stdout line: ``<command> <spider>: OK|FAILED (why) exit=N`` and the counts, the coverage
    (``coverage``), ``output=`` the feed files written (``none (0 new articles)`` when nothing was exported) and,
    with ``path``, ``summary=`` the summary file."""
    c, cov = summary["counts"], summary["coverage"]
    shares = " ".join(f"{name}={cov[name]:.2f}" for name in COVERAGE_FIELDS if cov.get(name) is not None)
    dropped = sum(c["dropped"].values())
    head = "OK" if not summary["problems"] else f"FAILED ({'; '.join(p['message'] for p in summary['problems'])})"
    exported = summary.get("stats", {}).get("item_scraped_count", 0)
    output = ",".join(summary.get("outputs") or []) or ("none" if exported else "none (0 new articles)")
    return (f"{command} {summary['spider']}: {head} exit={summary['exit_code']} fetched={c['fetched']} "
            f"skipped={c['sitemap_skipped']} extracted={c['extracted']} new={c['new']} changed={c['changed']} "
            f"unchanged={c['unchanged']} dropped={dropped} written={c['written']} spooled={c['spooled']} "
            f"errors={c['errors']} "
            + (f"coverage[{cov['items']} items]{(' ' + shares) if shares else ''} " if coverage else "")
            + f"duration={summary['duration_s']}s output={output}"
            + (f" summary={path}" if path is not None else ""))


def print_line(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()

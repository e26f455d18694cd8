"""Extraction drift: this run's field coverage against the median of the spider's previous runs.

A coverage floor (``NEWSCRAWL_COVERAGE_FLOORS``) is absolute: a field that falls from 0.98 to 0.80 after a
site redesign passes a 0.5 floor unnoticed. ``scrapy cronrun`` therefore also compares each watched field
(:data:`newscrawl.cron.COVERAGE_FIELDS`) with its median over the spider's previous runs and fails with
:data:`~newscrawl.cron.EXIT_DRIFT` when the field fell by more than ``NEWSCRAWL_DRIFT_MARGIN``.

The baseline is read from the run summaries already on disk, ``<NEWSCRAWL_OUTPUT_DIR>/<spider>/*.summary.json``
(written by :mod:`newscrawl.commands.cronrun`): the newest :data:`MAX_SUMMARIES` files by name (the names
begin with the run's UTC start time), of which the newest :data:`BASELINE_RUNS` usable ones count. A summary
that cannot be read or parsed is skipped with a warning; one of another spider, or of a run with fewer than
``NEWSCRAWL_COVERAGE_MIN_ITEMS`` items (an incremental run that found nothing new has no coverage), is
skipped silently. Runs that failed count too: the baseline follows the site, so after a lasting change the
alarm stops once the new level is the median (about half of :data:`BASELINE_RUNS` runs later); moving the
old summaries away accepts it at once. A field is compared only when at least ``NEWSCRAWL_DRIFT_MIN_RUNS``
baseline runs have a figure for it (summaries written before a field was watched have none).

Everything here is a pure function of the files and figures it is given; the command wires it in.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from statistics import median
from typing import Any, Mapping

from .cron import COVERAGE_FIELDS, EXIT_DRIFT, Problem

logger = logging.getLogger(__name__)

MAX_SUMMARIES = 50  # summary files read at most, the newest by name
BASELINE_RUNS = 20  # usable previous runs the median is taken over, the newest


def drift_settings(settings) -> dict[str, Any]:
    """``NEWSCRAWL_DRIFT_MARGIN`` and ``NEWSCRAWL_DRIFT_MIN_RUNS``, checked; ValueError names the bad one."""
    try:
        margin = settings.getfloat("NEWSCRAWL_DRIFT_MARGIN")
    except ValueError:
        raise ValueError(f"NEWSCRAWL_DRIFT_MARGIN must be a number from 0 to 1, "
                         f"got {settings.get('NEWSCRAWL_DRIFT_MARGIN')!r}") from None
    if not 0 <= margin <= 1:
        raise ValueError(f"NEWSCRAWL_DRIFT_MARGIN must be from 0 to 1, got {margin}")
    try:
        min_runs = settings.getint("NEWSCRAWL_DRIFT_MIN_RUNS")
    except ValueError:
        raise ValueError(f"NEWSCRAWL_DRIFT_MIN_RUNS must be a whole number, "
                         f"got {settings.get('NEWSCRAWL_DRIFT_MIN_RUNS')!r}") from None
    if min_runs < 1:
        raise ValueError(f"NEWSCRAWL_DRIFT_MIN_RUNS must be 1 or more, got {min_runs}")
    return {"margin": margin, "min_runs": min_runs}


def _share(value: Any) -> float | None:
    """A coverage figure as a number, or None (missing, null, or not a number at all)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if 0 <= value <= 1 else None


def read_baseline(folder: str | Path, spider: str, *, min_items: int, limit: int = MAX_SUMMARIES,
                  runs: int = BASELINE_RUNS) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The usable previous runs in ``folder``, newest first (at most ``runs``), each as
    ``{"file", "started_at", "items", "coverage"}``, and what was skipped: ``{"unreadable": [file names],
    "too_few_items": n, "other_spider": n}``."""
    skipped: dict[str, Any] = {"unreadable": [], "too_few_items": 0, "other_spider": 0}
    folder = Path(folder)
    try:
        names = sorted((p.name for p in folder.glob("*.summary.json") if p.is_file()), reverse=True)
    except OSError as exc:  # a folder that cannot be listed: no baseline, said in the summary
        logger.warning("Cannot list the earlier run summaries in %s: %s", folder, exc)
        skipped["unreadable"].append(str(folder))
        return [], skipped
    usable: list[dict[str, Any]] = []
    for name in names[:limit]:
        if len(usable) >= runs:
            break
        try:
            data = json.loads((folder / name).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            logger.warning("Skipping the run summary %s for the drift baseline: %s", folder / name, exc)
            skipped["unreadable"].append(name)
            continue
        coverage = data.get("coverage") if isinstance(data, dict) else None
        if not isinstance(coverage, dict) or not isinstance(coverage.get("items"), int):
            logger.warning("Skipping the run summary %s for the drift baseline: it holds no coverage figures",
                           folder / name)
            skipped["unreadable"].append(name)
            continue
        if data.get("spider") != spider:
            skipped["other_spider"] += 1
            continue
        if coverage["items"] < min_items:
            skipped["too_few_items"] += 1
            continue
        usable.append({"file": name, "started_at": data.get("started_at"), "items": coverage["items"],
                       "coverage": {field: _share(coverage.get(field)) for field in COVERAGE_FIELDS}})
    return usable, skipped


def compare(coverage: Mapping[str, Any], baseline: list[dict[str, Any]], *, margin: float, min_runs: int,
            min_items: int) -> dict[str, Any]:
    """The drift record of a run: whether it was checked (and if not, why), the baseline (runs, their files
    and start times, the median per field), each field's figures and the fields that drifted."""
    record: dict[str, Any] = {"checked": False, "margin": margin, "min_runs": min_runs,
                              "baseline": {"runs": len(baseline),
                                           "summaries": [{"file": r["file"], "started_at": r["started_at"]}
                                                         for r in baseline],
                                           "median": {}},
                              "fields": {}, "drifted": []}
    items = coverage.get("items") or 0
    if items < min_items:
        record["reason"] = (f"this run has {items} items, fewer than NEWSCRAWL_COVERAGE_MIN_ITEMS={min_items}: "
                            "no coverage to compare")
        return record
    if len(baseline) < min_runs:
        record["reason"] = (f"{len(baseline)} earlier runs with at least {min_items} items, "
                            f"NEWSCRAWL_DRIFT_MIN_RUNS={min_runs} needed: no drift check yet")
        return record
    record["checked"] = True
    for field in COVERAGE_FIELDS:
        values = [r["coverage"][field] for r in baseline if r["coverage"].get(field) is not None]
        if len(values) < min_runs:
            continue
        middle = round(median(values), 4)
        record["baseline"]["median"][field] = middle
        now = _share(coverage.get(field))
        if now is None:
            continue
        drop = round(middle - now, 4)
        record["fields"][field] = {"run": now, "median": middle, "runs": len(values), "drop": drop}
        if drop > margin:
            record["drifted"].append(field)
    return record


def drift_problem(record: Mapping[str, Any]) -> Problem | None:
    """One problem naming every drifted field with this run's figure and the baseline's median."""
    if not record["drifted"]:
        return None
    parts = [f"{field} {f['run']:.2f} (median {f['median']:.2f} of {f['runs']} runs, down {f['drop']:.2f})"
             for field in record["drifted"] for f in [record["fields"][field]]]
    return Problem(EXIT_DRIFT, "drift", f"field coverage fell more than {record['margin']:.2f} below the median of "
                   "earlier runs: " + ", ".join(parts))


def check_drift(coverage: Mapping[str, Any], folder: str | Path, spider: str, *, margin: float, min_runs: int,
                min_items: int) -> tuple[list[Problem], dict[str, Any]]:
    """Read the baseline in ``folder``, compare ``coverage`` with it: (problems, the summary's drift record)."""
    baseline, skipped = read_baseline(folder, spider, min_items=min_items)
    record = compare(coverage, baseline, margin=margin, min_runs=min_runs, min_items=min_items)
    record["baseline"]["folder"] = str(folder)
    record["baseline"]["skipped"] = skipped
    problem = drift_problem(record)
    return ([problem] if problem else []), record

"""The drift alarm for real: six healthy `scrapy cronrun heute` runs against the mirror on 127.0.0.1, then a run
against a copy of the mirror whose A2 pages (one of heute's two Livingdocs deploys) lost their bylines: the run
exits with the drift code and one line naming authors_or_source with both figures, although the field stays above
its absolute floor (0.5), which alone would have let the run pass."""

from __future__ import annotations

import json
import re
from pathlib import Path

from newscrawl.cron import EXIT_DRIFT
from newscrawl.mirror import serve
from newscrawl.settings import NEWSCRAWL_COVERAGE_FLOORS
from tests.commands.test_cronrun import MIRROR_IDS, cronrun, place, summary_of

# Every article extracted in every run (not only what is new), as fast as loopback allows.
FULL_RUN = ("-a", "incremental=0", "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0")
A2_BYLINE = re.compile(r'<div class="ArticleMeta_authors__[^"]*">.*?</div>', re.S)  # links only, no inner div
JSONLD_AUTHOR = re.compile(r'"author":\s*(?:\{[^{}]*\}|\[[^\[\]]*\]),\s*')  # a Person or a list of them


def remove_bylines(mirror: Path) -> list[str]:
    """Drop the byline block and the JSON-LD author of every A2 page with a byline; the ids edited."""
    edited = []
    for page in sorted((mirror / "s").glob("*.html")):
        html = page.read_text(encoding="utf-8")
        if "ArticleMeta_authors__" not in html:
            continue
        authors = json.loads(page.with_name(f"{page.stem}.expected.json").read_text(encoding="utf-8"))["authors"]
        html, blocks = A2_BYLINE.subn("", html)
        html, jsonld = JSONLD_AUTHOR.subn("", html)
        assert (blocks, jsonld) == (1, 1), page
        assert authors and not any(name in html for name in authors), page  # no name left to find
        page.write_text(html, encoding="utf-8")
        edited.append(page.stem)
    return edited


def test_a_field_that_falls_below_its_median_fails_the_run_even_above_its_floor(heute_mirror, mirror_copy,
                                                                                  tmp_path):
    env = place(tmp_path)
    names = []
    for n in range(6):
        result = cronrun(heute_mirror, env, *FULL_RUN)
        assert result.returncode == 0, result.stdout + result.stderr[-3000:]
        summary, path = summary_of(result.stdout)
        drift = summary["drift"]
        assert summary["coverage"]["items"] == len(MIRROR_IDS)
        if n < 5:  # fewer than NEWSCRAWL_DRIFT_MIN_RUNS earlier runs: no check, and the summary says so
            assert drift["checked"] is False and drift["baseline"]["runs"] == n
            assert drift["reason"] == (f"{n} earlier runs with at least 10 items, NEWSCRAWL_DRIFT_MIN_RUNS=5 "
                                       "needed: no drift check yet")
        else:
            assert drift["checked"] is True and drift["drifted"] == [] and drift["baseline"]["runs"] == 5
            assert [s["file"] for s in drift["baseline"]["summaries"]] == list(reversed(names))
        names.append(path.name)
    healthy = summary["coverage"]
    assert healthy["authors_or_source"] == round(15 / len(MIRROR_IDS), 4)  # 13 bylines, 2 sources ("APA", ...)
    assert healthy["galleries"] == 1.0 and healthy["gallery_pages"] == 4

    # A summary cut off mid-write by a full disk: skipped with a warning, not a crash.
    (path.parent / "9999-12-31T00-00-00.summary.json").write_text('{"spider": "heute", "cov', encoding="utf-8")
    assert remove_bylines(mirror_copy) == ["120040978", "120053546", "120082094", "120115733", "120119705"]
    with serve(mirror_copy) as edited_mirror:
        result = cronrun(edited_mirror, env, *FULL_RUN)

    assert result.returncode == EXIT_DRIFT == 9, result.stdout + result.stderr[-3000:]
    line = ("field coverage fell more than 0.15 below the median of earlier runs: "
            "authors_or_source 0.53 (median 0.79 of 6 runs, down 0.26)")
    assert result.stdout.startswith(f"cronrun heute: FAILED ({line}) exit=9 ")
    assert f"Run check failed (exit code 9): {line}" in result.stderr
    assert "Skipping the run summary " in result.stderr and "9999-12-31T00-00-00.summary.json" in result.stderr
    summary, _ = summary_of(result.stdout)
    assert [(p["exit_code"], p["check"]) for p in summary["problems"]] == [(9, "drift")]  # no coverage problem:
    floor = dict(part.split("=") for part in NEWSCRAWL_COVERAGE_FLOORS.split(","))["authors_or_source"]
    assert summary["coverage"]["authors_or_source"] == round(10 / len(MIRROR_IDS), 4) > float(floor)
    drift = summary["drift"]
    assert drift["checked"] is True and drift["drifted"] == ["authors_or_source"]
    assert (drift["margin"], drift["min_runs"]) == (0.15, 5)
    baseline = drift["baseline"]
    assert baseline["runs"] == 6 and [s["file"] for s in baseline["summaries"]] == list(reversed(names))
    assert all(s["started_at"] for s in baseline["summaries"])
    assert baseline["skipped"] == {"unreadable": ["9999-12-31T00-00-00.summary.json"], "too_few_items": 0,
                                   "other_spider": 0}
    assert baseline["median"] == {field: healthy[field] for field in baseline["median"]}
    assert set(baseline["median"]) == {"headline", "published", "authors_or_source", "lead", "body_length",
                                       "lead_image_credit", "galleries"}
    assert drift["fields"]["authors_or_source"] == {"run": 0.5263, "median": 0.7895, "runs": 6, "drop": 0.2632}
    assert all(f["drop"] == 0 for name, f in drift["fields"].items() if name != "authors_or_source")

"""newscrawl.drift in-process: the baseline read from run summaries on disk, its median, the comparison and the
one problem line; and the coverage fields it compares (newscrawl.cron: lead, body length, galleries)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse, Response
from scrapy.settings import Settings

import newscrawl.settings as project
from newscrawl.cron import (BODY_CHARS, COVERAGE_FIELDS, EXIT_COVERAGE, EXIT_DRIFT, SEVERITY, RunCollector,
                            coverage_flags, page_gallery_counters, parse_floors)
from newscrawl.drift import (BASELINE_RUNS, check_drift, compare, drift_problem, drift_settings, read_baseline)
from newscrawl.items import Article, Gallery, GalleryEntry
from tests.project_crawler import project_crawler

HEALTHY = {"headline": 1.0, "published": 1.0, "authors_or_source": 0.79, "lead": 1.0, "body_length": 0.95,
           "lead_image_credit": 0.79, "galleries": 1.0}


def write_summary(folder: Path, name: str, *, spider: str = "heute", items: int = 19, **shares) -> Path:
    path = folder / f"{name}.summary.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    coverage = {"items": items, **HEALTHY, **shares}
    path.write_text(json.dumps({"spider": spider, "started_at": f"{name}+00:00", "coverage": coverage}), "utf-8")
    return path


def runs(folder: Path, n: int, **shares) -> list[str]:
    names = [f"2025-01-{day:02d}T06-00-00" for day in range(1, n + 1)]
    for name in names:
        write_summary(folder, name, **shares)
    return names


def test_a_field_more_than_the_margin_below_the_median_drifts_even_above_its_floor(tmp_path):
    folder = tmp_path / "heute"
    for day, share in enumerate([0.70, 0.80, 0.79, 0.95, 0.78], start=1):  # median 0.79
        write_summary(folder, f"2025-01-0{day}T06-00-00", authors_or_source=share)
    now = {"items": 19, **HEALTHY, "authors_or_source": 0.53}
    problems, record = check_drift(now, folder, "heute", margin=0.15, min_runs=5, min_items=10)
    assert record["checked"] and record["drifted"] == ["authors_or_source"]
    assert record["fields"]["authors_or_source"] == {"run": 0.53, "median": 0.79, "runs": 5, "drop": 0.26}
    assert record["baseline"]["median"]["authors_or_source"] == 0.79 and record["baseline"]["runs"] == 5
    assert [s["file"] for s in record["baseline"]["summaries"]] == [
        f"2025-01-0{day}T06-00-00.summary.json" for day in (5, 4, 3, 2, 1)]  # newest first
    assert record["baseline"]["summaries"][0]["started_at"] == "2025-01-05T06-00-00+00:00"
    (problem,) = problems
    assert problem.code == EXIT_DRIFT == 9 and problem.check == "drift"
    assert problem.message == ("field coverage fell more than 0.15 below the median of earlier runs: "
                               "authors_or_source 0.53 (median 0.79 of 5 runs, down 0.26)")
    assert parse_floors(project.NEWSCRAWL_COVERAGE_FLOORS)["authors_or_source"] < 0.53  # the floor says nothing


def test_a_drop_of_exactly_the_margin_a_rise_and_a_steady_run_do_not_drift(tmp_path):
    folder = tmp_path / "heute"
    runs(folder, 5)
    for shares in ({"authors_or_source": 0.64}, {"authors_or_source": 1.0, "lead": 1.0}, {}):
        now = {"items": 19, **HEALTHY, **shares}
        problems, record = check_drift(now, folder, "heute", margin=0.15, min_runs=5, min_items=10)
        assert record["checked"] and record["drifted"] == [] and problems == []
    assert record["fields"]["body_length"] == {"run": 0.95, "median": 0.95, "runs": 5, "drop": 0.0}


def test_several_fields_drift_in_one_line_and_drift_ranks_right_after_coverage(tmp_path):
    folder = tmp_path / "heute"
    runs(folder, 6)
    now = {"items": 40, **HEALTHY, "lead": 0.2, "galleries": 0.5}
    (problem,), record = check_drift(now, folder, "heute", margin=0.15, min_runs=5, min_items=10)
    assert record["drifted"] == ["lead", "galleries"]  # in COVERAGE_FIELDS order
    assert problem.message.endswith(": lead 0.20 (median 1.00 of 6 runs, down 0.80), "
                                    "galleries 0.50 (median 1.00 of 6 runs, down 0.50)")
    assert "\n" not in problem.message
    assert SEVERITY[-2:] == (EXIT_COVERAGE, EXIT_DRIFT)


def test_fewer_than_min_runs_earlier_runs_no_check_said_in_the_record(tmp_path):
    folder = tmp_path / "heute"
    runs(folder, 4)
    now = {"items": 19, **HEALTHY, "authors_or_source": 0.0}
    problems, record = check_drift(now, folder, "heute", margin=0.15, min_runs=5, min_items=10)
    assert problems == [] and record["checked"] is False and record["baseline"]["runs"] == 4
    assert record["reason"] == ("4 earlier runs with at least 10 items, NEWSCRAWL_DRIFT_MIN_RUNS=5 needed: "
                                "no drift check yet")
    problems, record = check_drift(now, tmp_path / "never-ran", "heute", margin=0.15, min_runs=5, min_items=10)
    assert problems == [] and record["baseline"]["runs"] == 0 and not record["checked"]


def test_a_run_with_too_few_items_is_not_compared(tmp_path):
    folder = tmp_path / "heute"
    runs(folder, 5)
    problems, record = check_drift({"items": 3, **HEALTHY, "headline": 0.0}, folder, "heute", margin=0.15,
                                   min_runs=5, min_items=10)
    assert problems == [] and not record["checked"]
    assert record["reason"] == "this run has 3 items, fewer than NEWSCRAWL_COVERAGE_MIN_ITEMS=10: no coverage to compare"


def test_the_baseline_skips_corrupt_summaries_other_spiders_and_runs_without_enough_items(tmp_path, caplog):
    folder = tmp_path / "heute"
    runs(folder, 5)
    write_summary(folder, "2025-02-01T06-00-00", items=0, headline=None)  # incremental, nothing new: no coverage
    write_summary(folder, "2025-02-02T06-00-00", items=4, headline=0.0)  # too few to tell
    write_summary(folder, "2025-02-03T06-00-00", spider="orf", headline=0.0)
    (folder / "2025-02-04T06-00-00.summary.json").write_text('{"spider": "heute", "cover', "utf-8")  # cut off
    (folder / "2025-02-05T06-00-00.summary.json").write_bytes(b"\xff\xfe not text")
    (folder / "2025-02-06T06-00-00.summary.json").write_text('["a list"]', "utf-8")
    (folder / "2025-02-07T06-00-00.summary.json.tmp").write_text("half-written", "utf-8")  # not a summary
    with caplog.at_level(logging.WARNING, logger="newscrawl.drift"):
        usable, skipped = read_baseline(folder, "heute", min_items=10)
    assert [r["file"] for r in usable] == [f"2025-01-0{d}T06-00-00.summary.json" for d in (5, 4, 3, 2, 1)]
    assert skipped == {"unreadable": ["2025-02-06T06-00-00.summary.json", "2025-02-05T06-00-00.summary.json",
                                      "2025-02-04T06-00-00.summary.json"], "too_few_items": 2, "other_spider": 1}
    warned = [r.getMessage() for r in caplog.records]
    assert len(warned) == 3 and all(m.startswith("Skipping the run summary ") for m in warned)
    assert all("\n" not in m for m in warned)
    problems, record = check_drift({"items": 19, **HEALTHY, "headline": 0.5}, folder, "heute", margin=0.15,
                                   min_runs=5, min_items=10)
    assert record["drifted"] == ["headline"] and record["baseline"]["skipped"] == skipped


def test_the_baseline_is_bounded_to_the_newest_runs(tmp_path):
    folder = tmp_path / "heute"
    old = [f"2024-{m:02d}-01T06-00-00" for m in range(1, 13)]
    for name in old:
        write_summary(folder, name, lead=0.1)  # a year ago the lead was rarely found
    new = runs(folder, BASELINE_RUNS)
    usable, _ = read_baseline(folder, "heute", min_items=10)
    assert [r["file"] for r in usable] == [f"{n}.summary.json" for n in reversed(new)]
    usable, _ = read_baseline(folder, "heute", min_items=10, limit=7, runs=100)  # files read at most
    assert len(usable) == 7
    record = compare({"items": 19, **HEALTHY, "lead": 0.5}, read_baseline(folder, "heute", min_items=10)[0],
                     margin=0.15, min_runs=5, min_items=10)
    assert record["baseline"]["median"]["lead"] == 1.0 and record["drifted"] == ["lead"]


def test_a_field_older_summaries_lack_is_compared_once_enough_runs_have_it(tmp_path):
    """Summaries written before lead/body_length/galleries were watched have no figure for them; a run
    without gallery pages has galleries null."""
    folder = tmp_path / "heute"
    for day in range(1, 6):
        path = folder / f"2025-01-0{day}T06-00-00.summary.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"spider": "heute", "started_at": None, "coverage": {
            "items": 19, "headline": 1.0, "published": 1.0, "authors_or_source": 0.79, "lead_image_credit": 0.79,
            "galleries": None if day < 3 else 1.0}}), "utf-8")
    now = {"items": 19, **HEALTHY, "lead": 0.0, "galleries": 0.0}
    problems, record = check_drift(now, folder, "heute", margin=0.15, min_runs=5, min_items=10)
    assert record["checked"] and problems == []
    assert set(record["baseline"]["median"]) == {"headline", "published", "authors_or_source", "lead_image_credit"}
    assert "lead" not in record["fields"] and "galleries" not in record["fields"]


def test_drift_problem_of_a_record_without_drift_is_none():
    assert drift_problem({"drifted": [], "fields": {}, "margin": 0.15}) is None


@pytest.mark.parametrize("name,value,message", [
    ("NEWSCRAWL_DRIFT_MARGIN", "lots", "NEWSCRAWL_DRIFT_MARGIN must be a number from 0 to 1, got 'lots'"),
    ("NEWSCRAWL_DRIFT_MARGIN", "1.5", "NEWSCRAWL_DRIFT_MARGIN must be from 0 to 1, got 1.5"),
    ("NEWSCRAWL_DRIFT_MIN_RUNS", "five", "NEWSCRAWL_DRIFT_MIN_RUNS must be a whole number, got 'five'"),
    ("NEWSCRAWL_DRIFT_MIN_RUNS", "0", "NEWSCRAWL_DRIFT_MIN_RUNS must be 1 or more, got 0"),
])
def test_drift_settings_are_checked(name, value, message):
    settings = Settings({"NEWSCRAWL_DRIFT_MARGIN": project.NEWSCRAWL_DRIFT_MARGIN,
                         "NEWSCRAWL_DRIFT_MIN_RUNS": project.NEWSCRAWL_DRIFT_MIN_RUNS})
    assert drift_settings(settings) == {"margin": 0.15, "min_runs": 5}
    settings.set(name, value)
    with pytest.raises(ValueError) as err:
        drift_settings(settings)
    assert str(err.value) == message


# -- the coverage fields drift compares (newscrawl.cron) ---------------------------------------------------

def article(**fields) -> Article:
    base = dict(headline="H", published="2025-01-01T00:00:00+01:00", authors=["A B"], lead="L",
                body=["x" * BODY_CHARS])
    return Article(**{**base, **fields})


def gallery(slides: int) -> Gallery:
    return Gallery(size=slides, entries=[GalleryEntry(position=i) for i in range(1, slides + 1)])


def test_coverage_flags_lead_body_length_and_galleries():
    flags = coverage_flags(article())
    assert flags == {"headline": True, "published": True, "authors_or_source": True, "lead": True,
                     "body_length": True, "lead_image_credit": False}  # no gallery counter: galleries n/a
    short = coverage_flags({"lead": "  ", "body": ["x" * 100, "y" * (BODY_CHARS - 101)]})
    assert short["lead"] is False and short["body_length"] is False
    assert coverage_flags({"body": ["x" * 100, "y" * (BODY_CHARS - 100)]})["body_length"] is True
    assert coverage_flags(article(galleries=[gallery(37)]), {37})["galleries"] is True
    assert coverage_flags(article(galleries=[gallery(3)]), {37})["galleries"] is False  # slides lost
    assert coverage_flags(article(), {37})["galleries"] is False  # the whole gallery lost
    assert coverage_flags(article(galleries=[gallery(37)]), {37, 50})["galleries"] is False
    as_dict = article(galleries=[gallery(50), gallery(37)]).to_dict()
    assert coverage_flags(as_dict, {37, 50})["galleries"] is True
    assert parse_floors("lead=0.9,body_length=0.8,galleries=0.9,headline=0.99") == {
        "lead": 0.9, "body_length": 0.8, "galleries": 0.9, "headline": 0.99}
    assert set(COVERAGE_FIELDS) == set(HEALTHY)


def page(html: str) -> HtmlResponse:
    return HtmlResponse("https://www.heute.at/s/x-120053546", body=html.encode(), encoding="utf-8")


def test_gallery_counters_are_read_from_the_page_markup():
    assert page_gallery_counters(page('<div class="Gallery_counter__Rw7Yh">1/65</div>')) == {65}
    assert page_gallery_counters(page('<span class="c-gallery__counter"><span class="c-gallery__current">1</span>'
                                      '/<span class="c-gallery__total">51</span></span>')) == {51}
    assert page_gallery_counters(page("<p>1 / 12</p><p>1/12</p><p>1/3000</p>")) == {12}  # absurd: no gallery
    for text in ("<p>Am 1/2 Tag</p>", "<p>11/12</p>", '<a href="/s/1/23">x</a>', "<p>2024/1/5</p>"):
        assert page_gallery_counters(page(text)) == frozenset(), text
    assert page_gallery_counters(None) == frozenset()
    assert page_gallery_counters(Response("https://x/img.jpg", body=b">1/5<")) == frozenset()


def test_the_run_collector_counts_galleries_over_pages_with_a_counter_only(tmp_path):
    collector = RunCollector(project_crawler(NEWSCRAWL_STATE=str(tmp_path / "state.sqlite3")))
    counter = page('<div class="Gallery_counter__Rw7Yh">1/37</div>')
    collector.item_scraped(article(galleries=[gallery(37)]), counter, None)
    collector.item_scraped(article(galleries=[]), counter, None)  # the gallery lost
    collector.item_scraped(article(galleries=[gallery(5)]), page("<p>no counter</p>"), None)
    collector.item_scraped(article(lead=None, body=["short"]), None, None)
    assert collector.coverage() == {"items": 4, "headline": 1.0, "published": 1.0, "authors_or_source": 1.0,
                                    "lead": 0.75, "body_length": 0.75, "lead_image_credit": 0.0,
                                    "galleries": 0.5, "gallery_pages": 2}
    empty = RunCollector(project_crawler(NEWSCRAWL_STATE=str(tmp_path / "other.sqlite3"))).coverage()
    assert empty == {"items": 0, **dict.fromkeys(COVERAGE_FIELDS), "gallery_pages": 0}

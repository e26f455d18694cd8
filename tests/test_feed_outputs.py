"""The outputs of a run, as an operator sees them (issue 13): real `scrapy crawl`/`cronrun` runs against the
heute mirror on 127.0.0.1, each with its own store, spool and output folder under tmp_path.

- ``-o``/``-O`` replace the default per-run JSONL instead of adding to it; NEWSCRAWL_DEFAULT_FEED switches it off.
- A run that exports nothing (every article unchanged) leaves no empty JSONL file, and cronrun's summary says
  ``"jsonl": null``.
- ``-o out.csv``: one row per article, list and nested fields as JSON text, UTF-8 without a byte-order mark.
- ``-o s3://...`` without boto3 (``gs://`` without google-cloud-storage) stops the run at start: exit 2, one
  line naming the extra to install, nothing fetched, no file written.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import re
from dataclasses import fields
from pathlib import Path

import pytest

from newscrawl.items import Article
from tests.conftest import HEUTE_MIRROR, read_jsonl, run_scrapy

MIRROR_IDS = sorted(p.name.split(".")[0] for p in (HEUTE_MIRROR / "s").glob("*.expected.json"))
ARTICLE_ID = "100148088"
FIELDS = {f.name for f in fields(Article)}


def place(tmp_path: Path) -> dict:
    return {"NEWSCRAWL_STATE": str(tmp_path / "state" / "state.sqlite3"),
            "NEWSCRAWL_SPOOL": str(tmp_path / "state" / "spool.jsonl"),
            "NEWSCRAWL_OUTPUT_DIR": str(tmp_path / "output")}


def written(tmp_path: Path) -> list[Path]:
    """Every file the runs left in the output folder (summaries included)."""
    return sorted(p for p in (tmp_path / "output").rglob("*") if p.is_file())


def crawl_one(base: str, env: dict, *args: str, command: str = "crawl"):
    return run_scrapy(command, "article", "-a", f"url={base}/s/-{ARTICLE_ID}", *args, env=env)


# -- -o/-O replace the default feed -------------------------------------------------------------------------
def test_dash_O_writes_only_the_file_named(tmp_path, heute_mirror):
    one = tmp_path / "one.jsonl"
    result = crawl_one(heute_mirror, place(tmp_path), "-O", str(one))
    assert result.returncode == 0, result.stderr[-3000:]
    assert [item["article_id"] for item in read_jsonl(one)] == [ARTICLE_ID]
    assert written(tmp_path) == []  # no output/article/<run id>.jsonl beside it
    assert len(re.findall(r"Stored \w+ feed", result.stderr)) == 1


def test_dash_o_appends_to_the_file_named_and_writes_no_default(tmp_path, heute_mirror):
    out = tmp_path / "all.jsonl"
    out.write_text('{"earlier": "run"}\n', encoding="utf-8")
    result = crawl_one(heute_mirror, place(tmp_path), "-o", str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    assert [item.get("article_id", "earlier") for item in read_jsonl(out)] == ["earlier", ARTICLE_ID]
    assert written(tmp_path) == []


@pytest.mark.parametrize("how", ["environment", "setting"])
def test_default_feed_switched_off(tmp_path, heute_mirror, how):
    env = place(tmp_path)
    args: tuple[str, ...] = ()
    if how == "environment":
        env["NEWSCRAWL_DEFAULT_FEED"] = "0"
    else:
        args = ("-s", "NEWSCRAWL_DEFAULT_FEED=0")
    result = crawl_one(heute_mirror, env, *args)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "'item_scraped_count': 1" in result.stderr  # the article was crawled ...
    assert written(tmp_path) == []  # ... and exported nowhere, as asked
    assert "Stored" not in result.stderr


def test_without_dash_o_the_default_feed_is_written(tmp_path, heute_mirror):
    result = crawl_one(heute_mirror, place(tmp_path))
    assert result.returncode == 0, result.stderr[-3000:]
    [jsonl] = written(tmp_path)
    assert jsonl.parent == tmp_path / "output" / "article" and jsonl.suffix == ".jsonl"
    assert [item["article_id"] for item in read_jsonl(jsonl)] == [ARTICLE_ID]


# -- no empty file for a run that exported nothing --------------------------------------------------------
def test_a_run_whose_articles_are_all_unchanged_writes_no_file(tmp_path, heute_mirror):
    env = place(tmp_path)
    first = crawl_one(heute_mirror, env)
    assert first.returncode == 0, first.stderr[-3000:]
    [jsonl] = written(tmp_path)

    again = crawl_one(heute_mirror, env)  # the store holds the same content hash: dropped as unchanged
    assert again.returncode == 0, again.stderr[-3000:]
    assert "'newscrawl/dedup/unchanged': 1" in again.stderr
    assert written(tmp_path) == [jsonl]  # no second, empty JSONL
    assert "Stored" not in again.stderr

    cron = crawl_one(heute_mirror, env, command="cronrun")
    assert cron.returncode == 0, cron.stderr[-3000:]
    summary_path = Path(re.search(r" summary=(\S+)$", cron.stdout.strip()).group(1))
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    assert summary["jsonl"] is None and summary["counts"]["new"] == 0
    assert written(tmp_path) == sorted([jsonl, summary_path])


def test_an_explicit_dash_O_file_is_written_even_when_empty(tmp_path, heute_mirror):
    """-O asks for this run's items in that file: an unchanged run leaves it empty, not holding an older run's."""
    env = place(tmp_path)
    one = tmp_path / "one.jsonl"
    assert crawl_one(heute_mirror, env, "-O", str(one)).returncode == 0
    assert len(read_jsonl(one)) == 1
    again = crawl_one(heute_mirror, env, "-O", str(one))
    assert again.returncode == 0, again.stderr[-3000:]
    assert one.read_bytes() == b""


# -- CSV ----------------------------------------------------------------------------------------------------
def test_csv_export_reads_back_with_csv_and_json(tmp_path, heute_mirror):
    out_csv, out_jsonl = tmp_path / "out.csv", tmp_path / "out.jsonl"
    result = run_scrapy("crawl", "heute", "-a", f"base_url={heute_mirror}", "-o", str(out_csv), "-o", str(out_jsonl),
                        env=place(tmp_path))
    assert result.returncode == 0, result.stderr[-3000:]
    assert written(tmp_path) == []
    raw = out_csv.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")  # no byte-order mark
    with out_csv.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    items = {item["url"]: item for item in read_jsonl(out_jsonl)}
    assert sorted(row["article_id"] for row in rows) == MIRROR_IDS == sorted(i["article_id"] for i in items.values())
    assert set(rows[0]) == FIELDS == set(next(iter(items.values())))
    nested = set()
    for row in rows:
        item = items[row["url"]]
        body = json.loads(row["body"])
        assert isinstance(body, list) and all(isinstance(p, str) for p in body)
        assert body == item["body"]
        for name in FIELDS:
            if isinstance(item[name], (list, dict)):  # paragraphs, authors, images, galleries: JSON, equal
                nested.add(name)
                assert json.loads(row[name]) == item[name], name
            else:  # scalars as they are; None (no lead image, no comment count): an empty cell
                assert row[name] == ("" if item[name] is None else str(item[name])), name
    assert {"body", "authors", "images", "galleries", "lead_image", "field_sources"} <= nested
    assert "Image(" not in raw.decode("utf-8")
    assert any("ä" in row["body"] or "ü" in row["body"] or "ö" in row["body"] for row in rows)  # not \\u escapes


# -- a feed whose storage library is missing -------------------------------------------------------------------
STORAGES = pytest.mark.parametrize("uri, module, extra", [
    ("s3://archive-bucket/newscrawl/%(name)s.jsonl", "boto3", "s3"),
    ("gs://archive-bucket/newscrawl/items.csv", "google.cloud.storage", "gcs"),
])


def without(module: str) -> None:
    try:
        installed = importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # google.cloud without google
        installed = False
    if installed:
        pytest.skip(f"{module} is installed here: this test checks the run without it")


@STORAGES
def test_a_feed_storage_without_its_library_stops_the_crawl_before_it_fetches(tmp_path, heute_mirror, uri, module,
                                                                            extra):
    """Before: the FeedExporter disabled itself, the default JSONL with it, and the crawl ran with exit 0 (S3),
    or the upload failed after the whole crawl (GCS). The add-on's check holds for crawls started any other way
    (a script, scrapyd) too."""
    without(module)
    result = crawl_one(heute_mirror, place(tmp_path), "-o", uri)
    assert result.returncode != 0, result.stderr[-3000:]
    assert f"pip install 'newscrawl[{extra}]'" in result.stderr
    assert "Crawled" not in result.stderr and "Stored" not in result.stderr  # nothing fetched, nothing lost
    assert written(tmp_path) == []


@STORAGES
def test_a_feed_storage_without_its_library_is_refused_in_one_line_exit_2(tmp_path, heute_mirror, uri, module,
                                                                        extra):
    """The commands' pre-start checks (newscrawl.commands.checks) call the same check before Scrapy logs."""
    without(module)
    result = crawl_one(heute_mirror, place(tmp_path), "-o", uri)
    assert result.returncode == 2, result.stderr[-3000:]
    first = result.stderr.splitlines()[0]
    assert first.startswith("crawl article: feed ") and first.endswith(f"pip install 'newscrawl[{extra}]'"), first
    assert "Traceback" not in result.stderr and "Crawled" not in result.stderr
    assert written(tmp_path) == []


def test_a_feed_with_credentials_in_an_unknown_scheme_is_refused_without_them(tmp_path, heute_mirror):
    result = crawl_one(heute_mirror, place(tmp_path), "-s",
                       'FEEDS={"sftp://user:hunter2@host/items.jsonl": {"format": "jsonlines"}}')
    assert result.returncode == 2, result.stderr[-3000:]
    first = result.stderr.splitlines()[0]
    assert "unknown storage scheme 'sftp'" in first and "sftp://***:***@host/items.jsonl" in first
    assert "hunter2" not in result.stderr

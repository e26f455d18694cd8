"""`scrapy crawl` as honest as `scrapy cronrun` (issue 13), each row of the issue's table run for real: the command in
a subprocess against the bundled mirror on 127.0.0.1, checking the exit code and the first line of stderr (a refusal
is the only line: nothing starts) or the summary line and the files written."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from newscrawl.testing import free_port
from tests.conftest import read_jsonl, run_scrapy
from tests.commands.test_cronrun import MIRROR_IDS, place

SPIDERS = "article, derstandard, heute, orf, zwanzigminuten"
FAST_RETRIES = ("-s", "NEWSCRAWL_RETRY_BACKOFF=0.05", "-s", "NEWSCRAWL_RETRY_BACKOFF_MAX=0.2")


def crawl(env: dict, *args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    return run_scrapy("crawl", *args, env=env, timeout=timeout)


def refused(result: subprocess.CompletedProcess) -> str:
    """The one stderr line of a run refused before it started (exit 2, nothing on stdout)."""
    assert result.returncode == 2, result.stderr[-3000:]
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and result.stdout == "", (lines[:5], result.stdout)
    assert "Traceback" not in result.stderr
    return lines[0]


def nothing_written(tmp_path: Path) -> None:
    """A refused run created no store, spool or output."""
    assert not (tmp_path / "state").exists() and not (tmp_path / "output").exists()


def summary(result: subprocess.CompletedProcess) -> str:
    lines = result.stdout.splitlines()
    assert len(lines) == 1, f"one summary line expected on stdout, got {lines!r}"
    return lines[0]


# -- -a arguments and settings, refused before anything starts ----------------------------------------------

@pytest.mark.parametrize("value", ["yesterday", "2025-13-45"])
def test_since_that_is_no_date_is_refused_in_one_line(heute_mirror, tmp_path, value):
    env = place(tmp_path)
    line = refused(crawl(env, "heute", "-a", f"since={value}", "-a", f"base_url={heute_mirror}"))
    assert line == f"crawl heute: -a since must be a date like 2025-01-31, got {value!r}"
    nothing_written(tmp_path)


def test_url_that_is_no_article_url_is_refused_with_an_example(heute_mirror, tmp_path):
    env = place(tmp_path)
    line = refused(crawl(env, "heute", "-a", "url=not-a-url", "-a", f"base_url={heute_mirror}"))
    assert line.startswith("crawl heute: -a url is not a heute.at article URL (like https://www.heute.at/s/")
    assert line.endswith(", got 'not-a-url'")
    nothing_written(tmp_path)


def test_base_url_without_scheme_is_refused_with_an_example(heute_mirror, tmp_path):
    env = place(tmp_path)
    port = heute_mirror.rsplit(":", 1)[1]
    line = refused(crawl(env, "heute", "-a", f"base_url=127.0.0.1:{port}"))
    assert line == f"crawl heute: -a base_url must be an http(s) URL like http://127.0.0.1:8765, got '127.0.0.1:{port}'"
    nothing_written(tmp_path)


@pytest.mark.parametrize("args, expected", [
    (("heute", "-a", "sinse=2025-01-01"), "crawl heute: -a sinse is no argument of the heute spider (its arguments: "
                                          "since, incremental, recheck, recheck_every, url, base_url, discover, "
                                          "max_sections)"),
    (("heute", "-a", "recheck=soon"), "crawl heute: -a recheck must be a duration like 2d, 12h, 30m or 1w, got 'soon'"),
    (("heute", "-a", "discover=rss"), "crawl heute: -a discover must be one of sitemap, news_sitemap, feed, sections, "
                                      "got 'rss'"),
    (("article", "-a", "url=not-a-url"), "crawl article: -a url is not an http(s) URL like "
                                         "https://www.example.com/news/some-story-123456, got 'not-a-url'"),
    (("heute", "-s", "NEWSCRAWL_MAX_ARTICLES_PER_RUN=lots"),
     "crawl heute: -s NEWSCRAWL_MAX_ARTICLES_PER_RUN must be a number like NEWSCRAWL_MAX_ARTICLES_PER_RUN=10000, "
     "got 'lots'"),
    (("heute", "-s", "NEWSCRAWL_RECHECK=soon"), "crawl heute: NEWSCRAWL_RECHECK must be a duration like 2d, 12h, 30m "
                                                "or 1w, got 'soon'"),
    (("heute", "-s", 'NEWSCRAWL_BASE_URLS={"heute": "127.0.0.1:8765"}'),
     "crawl heute: NEWSCRAWL_BASE_URLS['heute'] must be an http(s) URL like http://127.0.0.1:8765, got '127.0.0.1:8765'"),
])
def test_other_invalid_arguments_and_settings_are_refused_in_one_line(tmp_path, args, expected):
    assert refused(crawl(place(tmp_path), *args)) == expected
    nothing_written(tmp_path)


def test_the_same_checks_refuse_a_cronrun(heute_mirror, tmp_path):
    line = refused(run_scrapy("cronrun", "heute", "-a", "since=yesterday", "-a", f"base_url={heute_mirror}",
                              env=place(tmp_path)))
    assert line == "cronrun heute: -a since must be a date like 2025-01-31, got 'yesterday'"
    nothing_written(tmp_path)  # not even the lock file


# -- an unknown spider ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("command", ["crawl", "cronrun"])
def test_an_unknown_spider_is_one_line_listing_the_spiders(tmp_path, command):
    listed = run_scrapy("list", env=place(tmp_path), timeout=60).stdout.split()
    assert ", ".join(listed) == SPIDERS
    line = refused(run_scrapy(command, "hute", env=place(tmp_path), timeout=60))
    assert line == f"{command}: no spider named 'hute' (did you mean heute?); the spiders are: {SPIDERS}"
    line = refused(run_scrapy(command, env=place(tmp_path), timeout=60))
    assert line == f"{command}: give one spider name, like scrapy {command} heute (got 0); the spiders are: {SPIDERS}"


# -- a site that is down -------------------------------------------------------------------------------------

def test_a_site_that_is_down_fails_with_exit_4_in_one_line_without_tracebacks(tmp_path):
    """Its robots.txt is retried (a real transient error could pass); then the origin counts as unreachable and
    the sitemap and the section page it falls back to are tried once each, each failure one WARNING line."""
    closed = f"http://127.0.0.1:{free_port()}"
    result = crawl(place(tmp_path), "heute", "-a", f"base_url={closed}", *FAST_RETRIES, "-s", "RETRY_TIMES=2")
    assert result.returncode == 4, result.stderr[-3000:]
    line = summary(result)
    assert line.startswith("crawl heute: FAILED (no article could be fetched (no sitemap or section page could be "
                           "fetched: the site did not answer, connection refused or host not found; 0 responses to ")
    assert " exit=4 fetched=0 " in line and line.endswith(" output=none (0 new articles)")
    log = result.stderr
    assert "Traceback" not in log
    assert re.findall(r"Gave up retrying <GET (\S+)>", log) == [f"{closed}/robots.txt"]
    assert log.count(f"{closed} is unreachable") == 1
    assert log.count(f"WARNING: sitemap {closed}/sitemap.xml failed (") == 1
    assert log.count(f"WARNING: section page {closed}/ failed (") == 1
    assert "'retry/count': 2," in log  # robots.txt's two retries, nothing else retried
    assert "Exit code 4: no article could be fetched" in log
    assert not (tmp_path / "output").exists()


# -- the summary line ----------------------------------------------------------------------------------------

def test_a_crawl_ends_with_one_summary_line_and_says_0_new_articles_when_nothing_was_new(heute_mirror, tmp_path):
    env = place(tmp_path)
    first = crawl(env, "heute", "-a", f"base_url={heute_mirror}")
    assert first.returncode == 0, first.stderr[-3000:]
    line = summary(first)
    n = len(MIRROR_IDS)
    assert re.fullmatch(rf"crawl heute: OK exit=0 fetched={n + 1} skipped=0 extracted={n} new={n} changed=0 "
                        rf"unchanged=0 dropped=0 written={n} spooled=0 errors=0 duration=[\d.]+s output=(\S+)",
                        line), line
    output = Path(line.rsplit(" output=", 1)[1])
    assert output.parent == tmp_path / "output" / "heute"
    assert sorted(it["article_id"] for it in read_jsonl(output)) == MIRROR_IDS

    again = crawl(env, "heute", "-a", f"base_url={heute_mirror}")
    assert again.returncode == 0, again.stderr[-3000:]
    assert re.fullmatch(rf"crawl heute: OK exit=0 fetched={n + 1} skipped=0 extracted={n} new=0 changed=0 "
                        rf"unchanged={n} dropped=0 written=0 spooled=0 errors=0 duration=[\d.]+s "
                        r"output=none \(0 new articles\)", summary(again)), summary(again)
    assert list((tmp_path / "output" / "heute").iterdir()) == [output]  # no empty file for the second run


def test_an_explicit_output_file_is_the_one_the_summary_names(heute_mirror, tmp_path):
    one = tmp_path / "one.jsonl"
    result = crawl(place(tmp_path), "heute", "-a", f"base_url={heute_mirror}", "-O", str(one))
    assert result.returncode == 0, result.stderr[-3000:]
    assert summary(result).endswith(f" output={one}")
    assert len(read_jsonl(one)) == len(MIRROR_IDS)


# -- store configuration -------------------------------------------------------------------------------------

SECRET = "hunter2-secret"


@pytest.mark.parametrize("command", [("crawl", "heute"), ("cronrun", "heute"), ("replay",)])
def test_a_malformed_mongo_uri_stops_every_command_at_once_with_the_uri_masked(heute_mirror, tmp_path, command):
    env = {**place(tmp_path), "MONGO_URI": f"mongodb//crawler:{SECRET}@localhost"}  # the ':' missing
    args = (*command, "-a", f"base_url={heute_mirror}") if command[0] != "replay" else command
    result = run_scrapy(*args, env=env, timeout=120)
    line = refused(result)
    assert line == (f"{command[0]}{' heute' if len(command) > 1 else ''}: MONGO_URI *** is not a MongoDB URI: it must "
                    "begin with mongodb:// or mongodb+srv://; a valid one looks like mongodb://localhost:27017 or "
                    "mongodb://user:password@db.example.net:27017/?authSource=admin")
    assert SECRET not in result.stderr + result.stdout
    nothing_written(tmp_path)  # no spool: nothing was crawled


@pytest.mark.parametrize("uri, shown, why", [
    (f"redis://crawler:{SECRET}@127.0.0.1:6379/0", "redis://***:***@127.0.0.1:6379/0",
     "Invalid URI scheme: URI must begin with 'mongodb://' or 'mongodb+srv://'"),
    (f"mongodb://crawler:{SECRET}@127.0.0.1:1/?conectTimeoutMS=500", "mongodb://***:***@127.0.0.1:1/?***",
     "Unknown option."),
    (f"mongodb://crawler:{SECRET}@127.0.0.1:1/?journal=maybe", "mongodb://***:***@127.0.0.1:1/?***",
     "The value of journal must be 'true' or 'false'"),
])
def test_an_unknown_scheme_or_a_bad_option_stops_the_crawl(heute_mirror, tmp_path, uri, shown, why):
    result = crawl({**place(tmp_path), "MONGO_URI": uri}, "heute", "-a", f"base_url={heute_mirror}")
    line = refused(result)
    assert line.startswith(f"crawl heute: MONGO_URI {shown} is not a valid MongoDB URI: {why}")
    assert SECRET not in result.stderr
    nothing_written(tmp_path)


def test_a_well_formed_uri_of_a_server_that_is_down_still_spools(heute_mirror, tmp_path):
    env = {**place(tmp_path), "MONGO_URI": f"mongodb://127.0.0.1:{free_port()}/newscrawl"}
    result = crawl(env, "heute", "-a", f"base_url={heute_mirror}", "-s", "MONGO_CONNECT_TIMEOUT_MS=300")
    assert result.returncode == 1, result.stderr[-3000:]
    assert not result.stderr.startswith("crawl heute:")  # it ran
    assert summary(result).startswith("crawl heute: FAILED (the store did not take everything: ")
    spooled = read_jsonl(tmp_path / "state" / "spool.jsonl")
    assert len(spooled) >= len(MIRROR_IDS)


def test_the_issue_typo_uri_is_shown_as_written_since_it_holds_no_secret(heute_mirror, tmp_path):
    # The table's row: MONGO_URI=mongodb//localhost. A URI without credentials shows, so the typo can be seen.
    result = crawl({**place(tmp_path), "MONGO_URI": "mongodb//localhost"}, "heute", "-a", f"base_url={heute_mirror}")
    assert refused(result).startswith("crawl heute: MONGO_URI mongodb//localhost is not a MongoDB URI: ")
    nothing_written(tmp_path)


@pytest.mark.parametrize("command", [("crawl", "heute"), ("cronrun", "heute"), ("replay",)])
def test_a_bad_versions_retention_is_refused_before_the_run(heute_mirror, tmp_path, command):
    args = (*command, "-a", f"base_url={heute_mirror}") if command[0] != "replay" else command
    result = run_scrapy(*args, "-s", "NEWSCRAWL_VERSIONS_KEEP=lots", env=place(tmp_path), timeout=120)
    assert refused(result) == (f"{' '.join(command)}: NEWSCRAWL_VERSIONS_KEEP must be all, a number of revisions per "
                               "article like 20, or a number of days like 30d; got 'lots'")
    nothing_written(tmp_path)


@pytest.mark.parametrize("command", [("crawl", "heute"), ("cronrun", "heute"), ("list",)])
def test_an_environment_variable_that_does_not_parse_is_one_line_exit_2(tmp_path, command):
    # Read when the settings load, before any command runs: a traceback from inside Scrapy before.
    result = run_scrapy(*command, env={**place(tmp_path), "NEWSCRAWL_MAX_ERRORS": "x"}, timeout=120)
    assert refused(result) == "newscrawl: environment variable NEWSCRAWL_MAX_ERRORS must be a whole number, got 'x'"
    nothing_written(tmp_path)

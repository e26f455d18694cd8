"""The default JSONL output: one file of its own per run, even for runs started in the same second, and
never appended to."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from scrapy.settings import Settings
from scrapy.utils.misc import load_object
from scrapy.utils.test import get_crawler

from newscrawl.spiders.heute import HeuteSpider
from tests.conftest import PROJECT, read_jsonl

ALL_ARTICLES = 19  # the heute mirror's sitemap articles that exist
ONE_ARTICLE = "https://heute.at/s/-100148088"


def start_crawl(base: str, out: Path, state: Path, *args: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k not in ("MONGO_URI", "NEWSCRAWL_SPOOL", "REDIS_URL")}
    env.update(NEWSCRAWL_OUTPUT_DIR=str(out), NEWSCRAWL_STATE=str(state / "state.sqlite3"))
    cmd = [sys.executable, "-m", "scrapy", "crawl", "heute", "-a", f"base_url={base}", *args,
           "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "DOWNLOAD_DELAY=0", "-s", "LOG_LEVEL=INFO"]
    return subprocess.Popen(cmd, cwd=PROJECT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_runs_started_together_write_two_files(heute_mirror, tmp_path):
    out = tmp_path / "output"
    # Started together (as cron starts two spiders' jobs), they open their feeds within the same second.
    runs = [start_crawl(heute_mirror, out, tmp_path / "a"),
            start_crawl(heute_mirror, out, tmp_path / "b", "-a", f"url={ONE_ARTICLE}")]
    try:
        results = [run.communicate(timeout=180) for run in runs]
    finally:
        for run in runs:
            if run.poll() is None:
                run.kill()
                run.wait(timeout=10)
    assert [run.returncode for run in runs] == [0, 0], results[0][1][-2000:] + results[1][1][-2000:]
    files = sorted((out / "heute").glob("*.jsonl"))
    assert len(files) == 2, files
    assert sorted(len(read_jsonl(path)) for path in files) == [1, ALL_ARTICLES]
    for (_, log), run in zip(results, runs):
        [stored] = [line for line in log.splitlines() if "Stored jsonlines feed" in line]
        assert any(str(path) in stored for path in files)
        assert f"-{run.pid}-" in stored.rsplit("/", 1)[1]  # the run's process id is in its file name


def test_the_default_feed_never_appends_to_an_existing_file(tmp_path):
    settings = Settings()
    settings.setmodule("newscrawl.settings", priority="project")
    [options] = settings.getdict("FEEDS").values()
    storage_class = load_object(settings.getdict("FEED_STORAGES")[""])
    crawler = get_crawler(HeuteSpider)

    existing = tmp_path / "run.jsonl"
    existing.write_text('{"earlier": "run"}\n', encoding="utf-8")
    with pytest.raises(FileExistsError):
        storage_class(str(existing), feed_options=options).open(crawler.spider)
    assert existing.read_text(encoding="utf-8") == '{"earlier": "run"}\n'  # neither appended to nor truncated

    with storage_class(str(tmp_path / "new" / "run.jsonl"), feed_options=options).open(crawler.spider) as f:
        f.write(b"{}\n")
    assert (tmp_path / "new" / "run.jsonl").read_bytes() == b"{}\n"

    # -o/-O feeds (no newscrawl_new_file option) keep Scrapy's modes: -o appends, -O overwrites.
    with storage_class(str(existing), feed_options={"overwrite": False}).open(crawler.spider) as f:
        f.write(b"{}\n")
    assert existing.read_text(encoding="utf-8") == '{"earlier": "run"}\n{}\n'

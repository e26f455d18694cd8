"""State, spool, lock and output paths are anchored to the project root (the folder of scrapy.cfg), never the
working directory: the same crawl started at the root and in a subfolder sees one store, one lock, one output
folder. Real runs in subprocesses, in a throw-away project (a scrapy.cfg naming newscrawl.settings) so the
relative defaults can be used without touching the checkout's own state/ and output/."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from newscrawl.cron import EXIT_LOCKED, RunLock
from newscrawl.mirror import serve
from newscrawl.paths import project_path, project_root
from tests.conftest import HEUTE_MIRROR, PROJECT

PATH_VARIABLES = ("MONGO_URI", "NEWSCRAWL_STATE", "NEWSCRAWL_SPOOL", "NEWSCRAWL_OUTPUT_DIR", "NEWSCRAWL_LOCK_DIR")


@pytest.fixture
def project(tmp_path) -> Path:
    root = tmp_path / "project"
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / "scrapy.cfg").write_text("[settings]\ndefault = newscrawl.settings\n", encoding="utf-8")
    return root


def scrapy(cwd: Path, *args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in PATH_VARIABLES}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT), env.get("PYTHONPATH")]))
    cmd = [sys.executable, "-m", "scrapy", *args, "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "DOWNLOAD_DELAY=0"]
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def stored_keys(state: Path) -> int:
    conn = sqlite3.connect(f"file:{state}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    finally:
        conn.close()


def test_project_path_resolves_against_the_scrapy_cfg_folder(project, monkeypatch):
    monkeypatch.chdir(project / "sub" / "deeper")
    assert project_root() == project
    assert project_path("state/x.sqlite3") == project / "state" / "x.sqlite3"
    assert project_path("/abs/x") == Path("/abs/x")


def test_a_crawl_from_a_subfolder_uses_the_project_store_and_output(project):
    with serve(HEUTE_MIRROR) as base:
        first = scrapy(project, "crawl", "heute", "-a", f"base_url={base}")
        assert first.returncode == 0, first.stderr[-3000:]
        state = project / "state" / "newscrawl.sqlite3"
        stored = stored_keys(state)
        assert stored > 10
        second = scrapy(project / "sub", "crawl", "heute", "-a", f"base_url={base}")
        assert second.returncode == 0, second.stderr[-3000:]
    # The second run found the first run's store: every article unchanged, none stored again.
    assert f"'newscrawl/dedup/unchanged': {stored}" in second.stderr
    assert "'newscrawl/dedup/new'" not in second.stderr
    assert stored_keys(state) == stored
    assert not (project / "sub" / "state").exists() and not (project / "sub" / "output").exists()
    assert list((project / "output" / "heute").glob("*.jsonl"))


def test_cronrun_from_a_subfolder_meets_the_lock_taken_at_the_root(project):
    # A run started at the root holds <root>/state/heute.lock; one started in a subfolder must see it.
    with RunLock(project / "state" / "heute.lock"):
        result = scrapy(project / "sub" / "deeper", "cronrun", "heute", "-a", "base_url=http://127.0.0.1:9",
                        timeout=60)
    assert result.returncode == EXIT_LOCKED, result.stderr[-2000:]
    assert str(project / "state" / "heute.lock") in result.stderr
    assert not (project / "sub" / "deeper" / "state").exists()

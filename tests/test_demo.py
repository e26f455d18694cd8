"""`make demo` (python -m newscrawl.demo), run twice for real against the bundled mirror: the first run exports
the mirror's articles, the second finds them all unchanged — a run that exports nothing writes no JSONL file, and
the demo says so instead of failing."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import PROJECT


def demo(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "newscrawl.demo"], cwd=PROJECT, env=env, capture_output=True,
                          text=True, timeout=300)


def test_make_demo_twice(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("MONGO_URI", "REDIS_URL", "NEWSCRAWL_SPOOL")}
    env.update(NEWSCRAWL_STATE=str(tmp_path / "state" / "newscrawl.sqlite3"),
               NEWSCRAWL_OUTPUT_DIR=str(tmp_path / "output"))
    first = demo(env)
    assert first.returncode == 0, first.stdout[-2000:] + first.stderr[-2000:]
    assert "crawl heute: OK exit=0" in first.stdout and " new=19 " in first.stdout
    assert len(list((tmp_path / "output" / "heute").glob("*.jsonl"))) == 1
    second = demo(env)
    assert second.returncode == 0, second.stdout[-2000:] + second.stderr[-2000:]
    assert "output=none (0 new articles)" in second.stdout
    assert "no new or changed articles" in second.stdout
    assert len(list((tmp_path / "output" / "heute").glob("*.jsonl"))) == 1

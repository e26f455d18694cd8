"""The distributed demo: two `scrapy crawl heute` workers sharing one Redis queue and one store.

    python -m newscrawl.demo_distributed [--pages 300] [--workers 2]     # what `make demo-distributed` runs

Starts a redis-server of its own on a free loopback port, generates a heute-like mirror of N pages and
serves it on 127.0.0.1, runs the workers in parallel with the same ``REDIS_URL`` and the same embedded
store, then prints what each worker fetched and the merged totals. Needs Debian's ``redis-server``.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .mirror import serve
from .testing import free_port
from .testing.generate_mirror import generate

PROJECT = Path(__file__).resolve().parent.parent


def start_redis(folder: Path) -> tuple[subprocess.Popen, str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed: apt-get install redis-server")
    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(folder)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return proc, f"redis://127.0.0.1:{port}/0"
        time.sleep(0.1)
    proc.kill()
    raise SystemExit("redis-server did not start within 10 s")


def stat(log: str, name: str) -> int:
    m = re.search(rf"'{re.escape(name)}': (\d+)", log)
    return int(m.group(1)) if m else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="newscrawl-distributed-") as tmp:
        tmp = Path(tmp)
        generate(tmp / "mirror", pages=args.pages)
        redis, redis_url = start_redis(tmp)
        state = tmp / "state.sqlite3"
        try:
            with serve(tmp / "mirror") as base_url:
                print(f"mirror of {args.pages} pages at {base_url}, Redis at {redis_url}", flush=True)
                env = {"REDIS_URL": redis_url, "NEWSCRAWL_STATE": str(state), "NEWSCRAWL_OUTPUT_DIR": str(tmp / "out")}
                cmd = [sys.executable, "-m", "scrapy", "crawl", "heute", "-a", f"base_url={base_url}",
                       "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "DOWNLOAD_DELAY=0"]
                started = time.monotonic()
                base_env = {k: v for k, v in os.environ.items() if k != "MONGO_URI"}  # the demo uses its own store
                workers = [subprocess.Popen(cmd, cwd=PROJECT, env={**base_env, **env}, stdout=subprocess.DEVNULL,
                                            stderr=subprocess.PIPE, text=True) for _ in range(args.workers)]
                logs = [w.communicate(timeout=600)[1] for w in workers]
                elapsed = time.monotonic() - started
        finally:
            redis.terminate()
            redis.wait(timeout=10)
        total = 0
        for i, (worker, log) in enumerate(zip(workers, logs), 1):
            fetched = stat(log, "newscrawl/articles_extracted")
            total += fetched
            print(f"worker {i}: exit {worker.returncode}, fetched {fetched} articles, "
                  f"new {stat(log, 'newscrawl/dedup/new')}, written {stat(log, 'newscrawl/store/written')}")
        with sqlite3.connect(state) as conn:
            stored = conn.execute("SELECT COUNT(*), COUNT(DISTINCT key) FROM articles").fetchone()
        print(f"merged: {total} articles fetched by {args.workers} workers in {elapsed:.1f} s; "
              f"store holds {stored[0]} articles ({stored[1]} distinct keys) of {args.pages} generated")
        return 0 if stored[1] == args.pages and all(w.returncode == 0 for w in workers) else 1


if __name__ == "__main__":
    sys.exit(main())

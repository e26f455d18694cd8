"""Crawl throughput on a loopback mirror, measured side by side in one run.

    python benchmarks/crawl.py [--pages 2000] [--rounds 1]

Generates a heute-like mirror of N article pages (36-88 KB, galleries; newscrawl.testing.generate_mirror),
serves it from its own process on 127.0.0.1, and times, on the same pages:

(a) a bare Scrapy spider that only fetches them (the same sitemaps, no extraction, no pipelines): the
    ceiling on this machine;
(b) ``scrapy crawl heute`` with extraction and the full pipeline into the embedded SQLite store, and,
    for comparison, (b0) the same with extraction in the crawl process (``NEWSCRAWL_EXTRACT_PROCESSES=0``);
(c) the same into a MongoDB-wire server (SecantusDB started here, or ``MONGO_URI``);
(d) two ``scrapy crawl heute`` workers sharing one Redis queue (redis-server started here) and the
    MongoDB-wire store.

Pages/s is pages over the crawl's own ``elapsed_time_seconds`` (for (d): the wall time until both workers
are done); peak memory is the largest resident set of one crawl process (extraction workers not included:
see the CPU column). CPU is user+system seconds of the crawl process and its extraction workers per page,
startup included. Needs Debian's redis-server for (d). ``--runs ab`` measures only some of the runs.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from pymongo import MongoClient  # noqa: E402

from newscrawl.demo_distributed import start_redis  # noqa: E402
from newscrawl.testing import free_port  # noqa: E402
from newscrawl.testing.generate_mirror import generate  # noqa: E402

FAST = ["-s", "AUTOTHROTTLE_ENABLED=0", "-s", "DOWNLOAD_DELAY=0", "-s", "CONCURRENT_REQUESTS=16",
        "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16", "-s", "LOG_LEVEL=INFO"]
BARE_SPIDER = '''
from scrapy.spiders import SitemapSpider

class BareSpider(SitemapSpider):
    """Fetches what `scrapy crawl heute` fetches (sitemap index, rolling sitemaps, articles), nothing else."""
    name = "bare"
    custom_settings = {"ITEM_PIPELINES": {}, "FEEDS": {}, "SPIDER_MIDDLEWARES": {
        "newscrawl.incremental.IncrementalMiddleware": None}}
    sitemap_rules = [(r"/s/", "parse_article")]

    def __init__(self, base_url=None, **kwargs):
        super().__init__(**kwargs)
        self.sitemap_urls = [base_url + "/sitemap.xml"]
        self.base_url = base_url

    def sitemap_filter(self, entries):
        for entry in entries:
            entry["loc"] = entry["loc"].replace("https://www.heute.at", self.base_url)
            yield entry

    def parse_article(self, response):
        self.crawler.stats.inc_value("bare/pages")
'''


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(cmd: list[str], env: dict) -> tuple[str, int, float]:
    """Run one crawl process; returns (its log, peak RSS in KB, CPU seconds of it and its workers)."""
    cpu = children_cpu()
    proc = subprocess.Popen(cmd, cwd=PROJECT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    log = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[2:5])} failed ({proc.returncode}):\n{log[-3000:]}")
    return log, usage.ru_maxrss, children_cpu() - cpu


def elapsed(log: str) -> float:
    return float(re.search(r"'elapsed_time_seconds': ([\d.]+)", log).group(1))


def count(log: str, name: str) -> int:
    m = re.search(rf"'{re.escape(name)}': (\d+)", log)
    return int(m.group(1)) if m else 0


NAMES = {"a": "(a) bare Scrapy spider, fetch only",
         "b": "(b) scrapy crawl heute, full pipeline, embedded store",
         "b0": "(b0) the same, extraction in the crawl process",
         "c": "(c) scrapy crawl heute, full pipeline, MongoDB-wire",
         "d": "(d) two workers, Redis queue, MongoDB-wire"}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--runs", default="a,b,b0,c,d", help="comma-separated subset of a,b,b0,c,d (a is always run)")
    args = ap.parse_args()
    runs = ["a", *[k for k in NAMES if k != "a" and k in args.runs.split(",")]]
    env_base = {k: v for k, v in os.environ.items() if k not in ("MONGO_URI", "REDIS_URL", "NEWSCRAWL_STATE")}
    results: dict[str, list[tuple[float, int, float]]] = {k: [] for k in runs}  # pages/s, peak RSS KB, CPU s
    with tempfile.TemporaryDirectory(prefix="newscrawl-bench-") as tmp:
        tmp = Path(tmp)
        generate(tmp / "mirror", pages=args.pages)
        (tmp / "bare_spider.py").write_text(BARE_SPIDER)
        port = free_port()
        mirror = subprocess.Popen([sys.executable, "-m", "newscrawl.mirror", str(tmp / "mirror"), "--port", str(port)],
                                  cwd=PROJECT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        mongo = redis = None
        mongo_uri = os.environ.get("MONGO_URI")
        if not mongo_uri and ("c" in runs or "d" in runs):
            mport = free_port()
            mongo = subprocess.Popen([str(Path(sys.executable).with_name("secantusd-py")), "--host", "127.0.0.1",
                                      "--port", str(mport), "--storage-path", str(tmp / "mongo"), "--log-level",
                                      "WARNING"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            mongo_uri = f"mongodb://127.0.0.1:{mport}"
        if "d" in runs:
            redis, redis_url = start_redis(tmp)
        base = f"http://127.0.0.1:{port}"
        time.sleep(2)
        try:
            for r in range(args.rounds):
                out = tmp / f"out{r}"
                heute = [sys.executable, "-m", "scrapy", "crawl", "heute", "-a", f"base_url={base}", *FAST]
                single = {
                    "a": ([sys.executable, "-m", "scrapy", "runspider", str(tmp / "bare_spider.py"),
                           "-a", f"base_url={base}", *FAST], {}, "bare/pages"),
                    "b": (heute, {"NEWSCRAWL_STATE": str(tmp / f"b{r}.sqlite3")}, "newscrawl/store/written"),
                    "b0": (heute, {"NEWSCRAWL_STATE": str(tmp / f"b0{r}.sqlite3"), "NEWSCRAWL_EXTRACT_PROCESSES": "0"},
                           "newscrawl/store/written"),
                    "c": (heute, {"MONGO_URI": mongo_uri, "MONGO_DATABASE": f"bench_c{r}"}, "newscrawl/store/written"),
                }
                for k in runs:
                    if k == "d":
                        continue
                    cmd, env, counter = single[k]
                    log, rss, cpu = run(cmd, {**env_base, "NEWSCRAWL_OUTPUT_DIR": str(out), **env})
                    assert count(log, counter) == args.pages, log[-2000:]
                    results[k].append((args.pages / elapsed(log), rss, cpu))
                if "d" in runs:
                    results["d"].append(two_workers(heute, env_base, out, mongo_uri, redis_url, r, args.pages))
                print(f"round {r + 1}: " + ", ".join(f"({k}) {v[-1][0]:.0f} pages/s" for k, v in results.items()),
                      flush=True)
        finally:
            for proc in (mirror, mongo, redis):
                if proc is not None:
                    proc.terminate()
                    proc.wait(timeout=15)
    med = {k: statistics.median(p for p, _, _ in v) for k, v in results.items()}
    mem = {k: max(m for _, m, _ in v) for k, v in results.items()}
    cpu = {k: statistics.median(c for _, _, c in v) for k, v in results.items()}
    print(f"\n{args.pages} generated pages, {args.rounds} round(s), medians; {os.cpu_count()} cores shared with the "
          f"mirror server (and the MongoDB-wire server, Redis)")
    print("| run | pages/s | ratio to (a) | CPU ms per page | peak RSS of one process |")
    print("|---|---:|---:|---:|---:|")
    for k in runs:
        print(f"| {NAMES[k]} | {med[k]:.0f} | {med[k] / med['a']:.2f} | {cpu[k] * 1000 / args.pages:.1f} | "
              f"{mem[k] / 1024:.0f} MB |")
    return 0


def two_workers(heute, env_base, out, mongo_uri, redis_url, r, pages) -> tuple[float, int, float]:
    """(d): two crawl processes sharing one Redis queue and the MongoDB-wire store; pages over wall time."""
    env_d = {**env_base, "MONGO_URI": mongo_uri, "MONGO_DATABASE": f"bench_d{r}",
             "REDIS_URL": redis_url.rsplit("/", 1)[0] + f"/{r + 1}", "NEWSCRAWL_OUTPUT_DIR": str(out)}
    cpu = children_cpu()
    started = time.monotonic()
    workers = [subprocess.Popen(heute, cwd=PROJECT, env=env_d, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True) for _ in range(2)]
    logs = [w.stderr.read() for w in workers]
    usage = [os.wait4(w.pid, 0)[2].ru_maxrss for w in workers]
    wall = time.monotonic() - started
    with MongoClient(mongo_uri) as client:
        stored = len(client[f"bench_d{r}"]["articles"].distinct("key"))
    fetched = [count(lg, "newscrawl/articles_extracted") for lg in logs]
    print(f"round {r + 1} (d): workers fetched {fetched} (sum {sum(fetched)}), store holds {stored} "
          f"distinct articles", flush=True)
    assert stored == pages, f"two workers stored {stored} of {pages} articles"
    return pages / wall, max(usage), children_cpu() - cpu


if __name__ == "__main__":
    sys.exit(main())

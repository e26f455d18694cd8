"""The offline demo: serve the bundled heute.at mirror on 127.0.0.1, crawl it, summarise the JSONL.

    python -m newscrawl.demo            # what `make demo` runs

It runs the real ``scrapy crawl heute`` in a subprocess with ``-a base_url=`` pointing at the mirror, so
it exercises exactly what a production run does, minus the internet.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from .mirror import serve

PROJECT = Path(__file__).resolve().parent.parent
MIRROR = PROJECT / "tests" / "site" / "heute"
COVERAGE_FIELDS = ("headline", "kicker", "lead", "body", "authors", "source", "published", "lead_image", "galleries")


def summarise(path: Path) -> str:
    items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    lines = [f"{len(items)} articles in {path}"]
    if not items:
        return lines[0]
    for field in COVERAGE_FIELDS:
        filled = sum(1 for it in items if it.get(field) not in (None, "", [], {}))
        lines.append(f"  {field:<11} {filled:>3}/{len(items)}")
    credited = sum(1 for it in items if (it.get("lead_image") or {}).get("credits"))
    lines.append(f"  {'lead credit':<11} {credited:>3}/{len(items)}")
    for it in sorted(items, key=lambda it: it.get("published") or "", reverse=True)[:5]:
        lines.append(f"  {it.get('published') or '?':<25} {it.get('article_id')}  {it.get('headline')}")
    return "\n".join(lines)


def main() -> int:
    if not MIRROR.is_dir():  # an installed package has no tests/: the demo's mirror lives in the checkout
        print(f"newscrawl demo: the bundled mirror {MIRROR} is not here; the demo runs from a checkout "
              "(`make demo`). An installed package crawls a mirror you serve: python -m newscrawl.mirror DIR, "
              "then scrapy crawl heute -a base_url=http://127.0.0.1:PORT", file=sys.stderr)
        return 2
    with serve(MIRROR) as base_url:
        print(f"serving the heute.at mirror at {base_url}", flush=True)
        cmd = [sys.executable, "-m", "scrapy", "crawl", "heute", "-a", f"base_url={base_url}",
               "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "DOWNLOAD_DELAY=0"]
        print("$ " + " ".join(cmd[2:]), flush=True)
        result = subprocess.run(cmd, cwd=PROJECT, capture_output=True, text=True)
    log = result.stderr.splitlines()
    for line in log:
        if " ERROR: " in line or " CRITICAL: " in line:
            print(line)
    if result.returncode != 0:
        print("\n".join(log[-20:]), file=sys.stderr)
        print(f"crawl failed with exit code {result.returncode}", file=sys.stderr)
        return result.returncode
    counts = [line.strip(" {},") for line in log if line.strip(" {").startswith("'newscrawl/")]
    print("crawl stats: " + ", ".join(c.replace("'newscrawl/", "").replace("'", "") for c in counts))
    line = result.stdout.strip()  # the crawl's one summary line names the file it wrote: output=<path>
    print(line)
    written = re.search(r" output=(\S+\.jsonl)$", line)
    if written:
        print(summarise(Path(written.group(1))))
    else:  # a run that exported nothing writes no file (output=none (0 new articles))
        print("(no new or changed articles: the store under state/ already holds them; `rm -r state` to start afresh)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

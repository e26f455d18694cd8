"""Hostile input and faults the crawler already withstands (issue 11's held cases), staged for real: a hostile
loopback web server (:mod:`tests.hostile.server`), real `scrapy` subprocesses, real SecantusDB and Redis."""

from __future__ import annotations

import ast
import re

MAXSIZE = 16 * 1024 * 1024  # the shipped DOWNLOAD_MAXSIZE (newscrawl/settings.py); the hostile runs keep it
MEMORY_BOUND = 400 * 1024 * 1024  # peak RSS of a hostile crawl (~140 MB seen): a 1 GiB bomb inflated exceeds it


def crawl_stats(log: str) -> dict:
    """The stats Scrapy dumped at the end of a run's log (datetimes as None)."""
    m = re.search(r"Dumping Scrapy stats:\n(\{.*?\})\n", log, re.S)
    assert m, log[-3000:]
    return ast.literal_eval(re.sub(r"datetime\.datetime\([^)]*\)", "None", m.group(1)))


def keys_of(value) -> set[str]:
    """Every dict key anywhere in ``value`` (a stored document: MongoDB field names at every level)."""
    if isinstance(value, dict):
        return set(value).union(*(keys_of(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(keys_of(v) for v in value))
    return set()


def offsite_drops(stats: dict) -> int:
    """Requests dropped for leading off the site, by Scrapy's offsite middleware or newscrawl's origin check
    (``newscrawl/dropped/offsite_origin``). A redirect can pass both and be counted by both, so the larger
    count is the number of requests dropped, not the sum."""
    return max(stats.get("offsite/filtered", 0), stats.get("newscrawl/dropped/offsite_origin", 0))


def entity_bomb_dtd(root: str) -> str:
    """The classic billion laughs: ``&lol9;`` expands to 10^9 'lol's (3 GB) if entities are resolved."""
    lines = ['<!ENTITY lol "lol">'] + [f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
                                       for i in range(1, 10)]
    return f"<!DOCTYPE {root} [\n" + "\n".join(lines) + "\n]>"

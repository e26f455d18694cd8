"""Stats hold numbers only (issue 13): collectors that export them (Prometheus, StatsD) take numbers. Why something
failed goes to the log and the run summary. Real ``scrapy crawl`` and ``scrapy cronrun`` runs on the heute mirror,
with the store unreachable (a closed loopback port), then with the spool it left drained into the embedded store.

Scrapy's own ``start_time``/``finish_time`` (datetimes) and ``finish_reason`` (text) are the exceptions: Scrapy's
core sets them in every crawl, and the exporters read them as what they are."""

from __future__ import annotations

import ast
import re

from tests.commands.test_cronrun import summary_of
from tests.conftest import free_port, run_scrapy

SCRAPY_OWN = {"start_time": "<datetime>", "finish_time": "<datetime>", "finish_reason": str}
FAST_FAIL = {"MONGO_CONNECT_TIMEOUT_MS": "300", "MONGO_RETRIES": "0"}


def dumped_stats(log: str) -> dict:
    """The stats Scrapy dumps at close, read back; a datetime reads as ``"<datetime>"``."""
    m = re.search(r"Dumping Scrapy stats:\n(\{.*?\})\n\d{4}-\d\d-\d\d ", log, re.DOTALL)
    assert m, log[-3000:]
    return ast.literal_eval(re.sub(r"datetime\.datetime\([^()]*\)", "'<datetime>'", m.group(1)))


def not_numbers(stats: dict) -> dict:
    """The stats whose value is no int or float (bools are no numbers either), Scrapy's own left out when they
    have their own type."""
    def numeric(value) -> bool:
        return isinstance(value, (int, float)) and not isinstance(value, bool)

    def scrapy_own(name, value) -> bool:
        kind = SCRAPY_OWN.get(name)
        return kind is not None and (value == kind if isinstance(kind, str) else isinstance(value, kind))

    return {name: value for name, value in stats.items() if not numeric(value) and not scrapy_own(name, value)}


def test_every_stat_is_a_number_and_the_store_problem_keeps_its_reason_elsewhere(heute_mirror, tmp_path):
    port = free_port()
    env = {"MONGO_URI": f"mongodb://127.0.0.1:{port}", "NEWSCRAWL_SPOOL": str(tmp_path / "spool.jsonl"),
           "NEWSCRAWL_OUTPUT_DIR": str(tmp_path / "output"), **FAST_FAIL}

    down = run_scrapy("crawl", "heute", "-a", f"base_url={heute_mirror}", env=env)
    assert down.returncode == 1, down.stderr[-3000:]
    stats = dumped_stats(down.stderr)
    assert stats["newscrawl/store/unavailable"] == 1 and stats["newscrawl/store/spooled"] > 0
    assert not_numbers(stats) == {}
    assert re.search(rf"ERROR: MongoDB unreachable at mongodb://127\.0\.0\.1:{port}", down.stderr)  # the reason

    cron = run_scrapy("cronrun", "heute", "-a", f"base_url={heute_mirror}", env=env)
    assert cron.returncode == 3, cron.stderr[-3000:]
    summary, _ = summary_of(cron.stdout)
    assert summary["stats"]["newscrawl/store/unavailable"] == 1
    assert not_numbers(summary["stats"]) == {"start_time": summary["stats"]["start_time"],
                                             "finish_time": summary["stats"]["finish_time"]}  # isoformat there
    assert f"unavailable=MongoDB unreachable at mongodb://127.0.0.1:{port}" in summary["problems"][0]["message"]
    assert "unavailable=MongoDB unreachable" in cron.stdout  # the summary line says why too

    # The store is the embedded one now: the spool left above is drained first (newscrawl/spool/* stats).
    drained = run_scrapy("crawl", "heute", "-a", f"base_url={heute_mirror}", "-a", "incremental=1",
                         env={**{k: v for k, v in env.items() if k != "MONGO_URI"},
                              "NEWSCRAWL_STATE": str(tmp_path / "state.sqlite3")})
    assert drained.returncode == 0, drained.stderr[-3000:]
    stats = dumped_stats(drained.stderr)
    assert stats["newscrawl/spool/replayed"] > 0 and "newscrawl/store/unavailable" not in stats
    assert not_numbers(stats) == {}

"""Network errors, timeouts, 5xx and 429 are retried with backoff; 404 and 410 are recorded, not retried.

A real `scrapy crawl article` against a loopback server that answers 503 twice then 200, 429 (Retry-After)
then 200, a timeout then 200, 404, 410 and 503 forever, plus a URL on a closed port (connection refused).
The retry decisions and their stats are Scrapy's RetryMiddleware and HttpErrorMiddleware; the waits between
tries are newscrawl.middlewares.RetryBackoffMiddleware's."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from scrapy.exceptions import NotConfigured
from tests.project_crawler import project_crawler

from newscrawl.middlewares import RetryBackoffMiddleware, retry_after_seconds
from tests.conftest import HEUTE_MIRROR, free_port, read_jsonl, run_scrapy

PAGES = {name: (HEUTE_MIRROR / "s" / f"{article_id}.html").read_bytes()  # three different articles
         for name, article_id in (("flaky", "100148088"), ("limited", "100170609"), ("slow", "120053546"))}
BACKOFF = 0.3
TIMEOUT = 1.0


def scripted_server(hits: dict[str, list[float]]):
    """Each path answers from its script, one entry per request (the last one repeats)."""
    scripts = {
        "/s/flaky-100000001": [503, 503, 200],
        "/s/limited-100000002": [429, 200],
        "/s/slow-100000003": ["slow", 200],
        "/s/gone-100000004": [404],
        "/s/removed-100000005": [410],
        "/s/down-100000006": [503],
    }

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):  # noqa: N802
            if self.path == "/robots.txt":
                return self._send(200, b"User-agent: *\nAllow: /\n", "text/plain")
            script = scripts.get(self.path)
            if script is None:
                return self._send(404, b"nope")
            seen = hits.setdefault(self.path, [])
            seen.append(time.monotonic())
            step = script[min(len(seen), len(script)) - 1]
            page = PAGES.get(self.path.split("/")[-1].split("-")[0], b"")
            if step == "slow":
                time.sleep(TIMEOUT * 2.5)  # the client has given up by then
                return self._send(200, page)
            extra = {"Retry-After": "1"} if step == 429 else {}
            body = page if step == 200 else f"<html><body>{step}</body></html>".encode()
            self._send(step, body, headers=extra)

        def _send(self, status, body, ctype="text/html; charset=utf-8", headers=None):
            try:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, list(scripts)


def gaps(times: list[float]) -> list[float]:
    return [b - a for a, b in zip(times, times[1:])]


def stat(log: str, name: str) -> int:
    import re

    m = re.search(rf"'{re.escape(name)}': (\d+)", log)
    return int(m.group(1)) if m else 0


def test_retries_with_backoff_and_4xx_recorded_once(tmp_path):
    hits: dict[str, list[float]] = {}
    server, paths = scripted_server(hits)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    closed = f"http://127.0.0.1:{free_port()}/s/nobody-100000007"
    urls = tmp_path / "urls.txt"
    urls.write_text("\n".join([base + p for p in paths] + [closed]) + "\n")
    try:
        result = run_scrapy("crawl", "article", "-a", f"urls={urls}", "-O", str(tmp_path / "out.jsonl"),
                            "-s", f"NEWSCRAWL_RETRY_BACKOFF={BACKOFF}", "-s", "RETRY_TIMES=3",
                            "-s", f"DOWNLOAD_TIMEOUT={TIMEOUT}", timeout=120)
    finally:
        server.shutdown()
        server.server_close()
    log = result.stderr
    assert result.returncode == 0, log[-3000:]
    count = {p.split("/")[-1].split("-")[0]: len(hits.get(p, [])) for p in paths}
    # 503 twice then 200; 429 then 200; a timeout then 200; 404 and 410 once each; 503 for good: 1 + 3 retries.
    assert count == {"flaky": 3, "limited": 2, "slow": 2, "gone": 1, "removed": 1, "down": 4}
    # Backoff: 0.3 s before the first retry, 0.6 s before the second, 1.2 s before the third ...
    flaky, down = gaps(hits["/s/flaky-100000001"]), gaps(hits["/s/down-100000006"])
    assert flaky[0] >= BACKOFF - 0.05 and flaky[1] >= 2 * BACKOFF - 0.05, flaky
    assert all(gap >= BACKOFF * 2 ** i - 0.05 for i, gap in enumerate(down)) and len(down) == 3, down
    # ... and a 429's Retry-After (1 s) instead of the 0.3 s step.
    assert gaps(hits["/s/limited-100000002"])[0] >= 0.95
    # Three pages made it in the end.
    assert sorted(it["url"].split("/")[-1] for it in read_jsonl(tmp_path / "out.jsonl")) == [
        "flaky-100000001", "limited-100000002", "slow-100000003"]
    # Scrapy's stats: retries by reason, the ones given up, and the 404/410 recorded.
    assert stat(log, "retry/reason_count/503 Service Unavailable") == 2 + 3
    assert stat(log, "retry/reason_count/429 Unknown Status") + stat(log, "retry/reason_count/429 Too Many Requests") == 1
    assert stat(log, "retry/reason_count/scrapy.exceptions.DownloadTimeoutError") == 1
    # The closed port: its robots.txt and the page, 3 retries each.
    assert stat(log, "retry/reason_count/scrapy.exceptions.DownloadConnectionRefusedError") == 3 + 3
    assert stat(log, "retry/max_reached") == 3  # the 503-forever page, the closed port's robots.txt and page
    assert stat(log, "httperror/response_ignored_status_count/404") == 1
    assert stat(log, "httperror/response_ignored_status_count/410") == 1
    assert stat(log, "newscrawl/retry/backoff_count") == stat(log, "retry/count") == 2 + 1 + 1 + 3 + 6
    assert "Gave up retrying <GET " + base + "/s/down-100000006>" in log


def test_backoff_delays_and_retry_after():
    mw = RetryBackoffMiddleware.from_crawler(project_crawler(NEWSCRAWL_RETRY_BACKOFF=2.0,
                                                                   NEWSCRAWL_RETRY_BACKOFF_MAX=60.0))
    assert [mw.delay(n) for n in (1, 2, 3, 4, 5, 6, 7)] == [2, 4, 8, 16, 32, 60, 60]
    assert mw.delay(1, retry_after=120) == 60 and mw.delay(3, retry_after=0) == 0
    now = datetime(2025, 6, 1, 12, 0, tzinfo=timezone.utc)
    assert retry_after_seconds(b"17") == 17
    assert retry_after_seconds(format_datetime(now + timedelta(seconds=90), usegmt=True), now=now) == 90
    assert retry_after_seconds(b"soon") is None and retry_after_seconds(None) is None
    with pytest.raises(NotConfigured):
        RetryBackoffMiddleware.from_crawler(project_crawler(NEWSCRAWL_RETRY_BACKOFF=0))

"""The one adapter over private Scrapy engine state (newscrawl.engine_slot), checked against the installed Scrapy:
a Scrapy upgrade that renames or reshapes ``ExecutionEngine._slot`` fails these tests (and closes a Redis crawl
with finish_reason scrapy_internals_changed) instead of leaving every taken request unacknowledged."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest

from newscrawl import engine_slot
from tests.conftest import PROJECT


@pytest.fixture
def two_pages(tmp_path):
    (tmp_path / "a.html").write_text('<html><body><a href="b.html">b</a></body></html>')
    (tmp_path / "b.html").write_text("<html><body>b</body></html>")
    handler = partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/a.html"
    finally:
        server.shutdown()
        server.server_close()


def test_the_installed_scrapy_engine_has_what_the_adapter_reads(two_pages):
    """A real crawl: the open engine passes the check, the request being parsed is in progress, waking works,
    and once the crawl is over there is no slot (None, not an error)."""
    run = subprocess.run([sys.executable, "-m", "tests.distributed.engine_slot_probe", two_pages], cwd=PROJECT,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    assert seen["checked"] is True
    assert seen["inside"] == [True, True]  # both pages, each while its own request was in progress
    assert seen["woken"] == [True, True]
    assert seen["closing_has_slot"] is True  # the Redis extension acknowledges at spider_closed
    assert seen["after_close"] is None and seen["woken_after_close"] is False
    assert "scrapy_internals_changed" not in run.stderr


@pytest.mark.parametrize("engine, missing", [
    (SimpleNamespace(), "ExecutionEngine._slot"),
    (SimpleNamespace(_slot=None), "ExecutionEngine._slot while its spider is open"),
    (SimpleNamespace(_slot=SimpleNamespace(inprogress=[], nextcall=SimpleNamespace(schedule=print))),
     "ExecutionEngine._slot.inprogress set"),
    (SimpleNamespace(_slot=SimpleNamespace(inprogress=set(), nextcall=None)),
     "ExecutionEngine._slot.nextcall.schedule()"),
])
def test_an_engine_of_another_shape_closes_the_crawl_with_a_reason_naming_what_is_missing(engine, missing, caplog):
    with pytest.raises(engine_slot.ScrapyInternalsChanged) as raised:
        engine_slot.check(engine)
    assert raised.value.reason == "scrapy_internals_changed" and raised.value.missing == missing
    assert f"the Scrapy engine has no {missing}" in caplog.text


def test_reading_an_engine_without_the_private_slot_raises_instead_of_answering_nothing():
    """Before the adapter, ``getattr(engine, "_slot", None)`` made a renamed attribute look like a closed engine:
    no request was ever acknowledged and nothing said why."""
    with pytest.raises(engine_slot.ScrapyInternalsChanged):
        engine_slot.in_progress(SimpleNamespace())
    with pytest.raises(engine_slot.ScrapyInternalsChanged):
        engine_slot.wake(SimpleNamespace())

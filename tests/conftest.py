"""Shared fixtures: the offline heute.at mirror on loopback and a helper that runs real crawls."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from newscrawl.mirror import serve
from newscrawl.store import MongoStore, SQLiteStore
from newscrawl.testing import free_port

PROJECT = Path(__file__).resolve().parent.parent
HEUTE_MIRROR = PROJECT / "tests" / "site" / "heute"
SHARED = PROJECT.parent / "shared"


@pytest.fixture(scope="session")
def heute_mirror() -> str:
    """Base URL of the bundled heute.at mirror, served on 127.0.0.1 for the whole session."""
    with serve(HEUTE_MIRROR) as base_url:
        yield base_url


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def run_scrapy(*args: str, cwd: Path = PROJECT, env: dict | None = None, timeout: float = 180) -> subprocess.CompletedProcess:
    """Run ``scrapy <args>`` in a subprocess from the project folder, fast settings for loopback.

    The store is whatever ``env`` says: without MONGO_URI/NEWSCRAWL_STATE there, a throw-away embedded
    store, so runs never share state by accident; likewise the spool (NEWSCRAWL_SPOOL, else next to
    NEWSCRAWL_STATE, else a throw-away one — never the project's ``state/spool.jsonl``).
    """
    full_env = {k: v for k, v in os.environ.items() if k not in ("MONGO_URI", "NEWSCRAWL_STATE", "NEWSCRAWL_SPOOL")}
    full_env.update(env or {})
    full_env.setdefault("NEWSCRAWL_OUTPUT_DIR", tempfile.mkdtemp(prefix="newscrawl-output-"))
    if "MONGO_URI" not in full_env and "NEWSCRAWL_STATE" not in full_env:
        full_env["NEWSCRAWL_STATE"] = str(Path(tempfile.mkdtemp(prefix="newscrawl-state-")) / "state.sqlite3")
    if "NEWSCRAWL_SPOOL" not in full_env and "NEWSCRAWL_STATE" not in full_env:
        full_env["NEWSCRAWL_SPOOL"] = str(Path(tempfile.mkdtemp(prefix="newscrawl-spool-")) / "spool.jsonl")
    cmd = [sys.executable, "-m", "scrapy", *args,
           "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "DOWNLOAD_DELAY=0", "-s", "LOG_LEVEL=INFO"]
    return subprocess.run(cmd, cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout)


def wait_for_mongo(uri: str, timeout: float = 30.0) -> None:
    from pymongo import MongoClient
    from pymongo.errors import PyMongoError

    deadline = time.monotonic() + timeout
    while True:
        try:
            with MongoClient(uri, serverSelectionTimeoutMS=500) as client:
                client.admin.command("ping")
                return
        except PyMongoError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def start_secantus(data: Path, port: int) -> subprocess.Popen:
    """Start SecantusDB on 127.0.0.1:``port`` with its files under ``data`` (log in ``data/server.log``)."""
    log = open(data / "server.log", "ab")
    try:
        return subprocess.Popen(
            [str(Path(sys.executable).with_name("secantusd-py")), "--host", "127.0.0.1", "--port", str(port),
             "--storage-path", str(data / "db"), "--log-level", "WARNING"],
            stdout=log, stderr=subprocess.STDOUT,
        )
    finally:
        log.close()  # the child has its own descriptor


def stop_secantus(proc: subprocess.Popen) -> None:
    """Stop it as an operator would (SIGTERM), killing it only if it does not go within 15 s."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


@pytest.fixture(scope="session")
def mongo_server(tmp_path_factory) -> str:
    """A MongoDB-wire server URI: ``MONGO_URI`` from the environment, else SecantusDB started here
    as a separate process on a free loopback port with a temporary data directory."""
    external = os.environ.get("MONGO_URI")
    if external:
        wait_for_mongo(external, timeout=10)
        yield external
        return
    data = tmp_path_factory.mktemp("secantus")
    port = free_port()
    proc = start_secantus(data, port)
    uri = f"mongodb://127.0.0.1:{port}"
    try:
        wait_for_mongo(uri)
        yield uri
    finally:
        stop_secantus(proc)


class DedicatedMongo:
    """A SecantusDB process of one test's own, which the test may stop and start again on the same data."""

    def __init__(self, data: Path):
        self.data = data
        self.port = free_port()
        self.uri = f"mongodb://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> str:
        self.proc = start_secantus(self.data, self.port)
        wait_for_mongo(self.uri)
        return self.uri

    def stop(self) -> None:
        if self.proc is not None:
            stop_secantus(self.proc)
            self.proc = None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


@pytest.fixture
def dedicated_mongo(tmp_path) -> DedicatedMongo:
    """A stopped SecantusDB of this test's own (``.start()`` it); always stopped at the end. Fault tests
    stop it mid-run, which the shared ``mongo_server`` must never see."""
    data = tmp_path / "secantus"
    data.mkdir()
    server = DedicatedMongo(data)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def mongo_db(mongo_server):
    """A fresh database name on the test server, dropped afterwards."""
    from pymongo import MongoClient

    name = f"test_{uuid.uuid4().hex[:12]}"
    yield mongo_server, name
    with MongoClient(mongo_server, serverSelectionTimeoutMS=2000) as client:
        client.drop_database(name)


def strings(value):
    """Every string in an item, dict, list or dataclass, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)
    elif hasattr(value, "__dataclass_fields__"):
        for name in value.__dataclass_fields__:
            yield from strings(getattr(value, name))


@pytest.fixture
def mirror_copy(tmp_path) -> Path:
    """A copy of the heute mirror that a test may edit."""
    target = tmp_path / "mirror"
    shutil.copytree(HEUTE_MIRROR, target)
    return target


@pytest.fixture(params=["sqlite", "mongodb"])
def store_pair(request, tmp_path):
    """(environment for crawls and commands, function opening the same store for reading): the embedded store,
    then a database of the session's MongoDB-wire server."""
    if request.param == "sqlite":
        path = tmp_path / "state" / "state.sqlite3"
        yield {"NEWSCRAWL_STATE": str(path)}, lambda: SQLiteStore(path)
    else:
        uri, db = request.getfixturevalue("mongo_db")
        yield ({"MONGO_URI": uri, "MONGO_DATABASE": db, "NEWSCRAWL_STATE": str(tmp_path / "state" / "unused")},
               lambda: MongoStore(uri, database=db))


def stat_of(log: str, name: str) -> int:
    """The value of the stat ``name`` in the stats dump of a crawl's log (0 when it is not there)."""
    m = re.search(rf"'{re.escape(name)}': (\d+)", log)
    return int(m.group(1)) if m else 0


def incremental_crawl(base: str, env: dict, out: Path, *args: str) -> tuple[list[dict], str]:
    """``scrapy crawl heute`` of the mirror at ``base``, incremental, to the file ``out``: (its items, the log)."""
    result = run_scrapy("crawl", "heute", "-a", f"base_url={base}", "-s", "NEWSCRAWL_INCREMENTAL=1", *args,
                        "-O", str(out), env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    return read_jsonl(out), result.stderr

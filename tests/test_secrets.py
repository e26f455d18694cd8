"""Credentials in MONGO_URI and REDIS_URL never reach an output: the log (stderr), the stats dump, stdout,
cronrun's summary.json, the JSONL export, the spool, `scrapy replay` — real runs against an unreachable port,
a real SecantusDB with a user of the test's own, and a real Redis."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote_plus, unquote, unquote_plus

import pytest
from pymongo import MongoClient

from newscrawl.credentials import MASK, WITHHELD, check_uri, mask_uri, redact, secrets_of, split_uri
from newscrawl.store import MongoStore, StoreUnavailable
from tests.conftest import PROJECT, free_port, read_jsonl, run_scrapy

USER = "Uz8user"
PASSWORD = "Qx7hunter/Zp4sec@Wm9val:Rk3key%Jt5end"  # every character the issue names: / @ : %
# The password's pieces between those characters, and the user: no output may hold any of them.
FRAGMENTS = (USER, "Qx7hunter", "Zp4sec", "Wm9val", "Rk3key", "Jt5end")
FAST_FAIL = {"MONGO_CONNECT_TIMEOUT_MS": "300", "MONGO_RETRIES": "0"}


def leaks(text: str) -> list[str]:
    return [fragment for fragment in FRAGMENTS if fragment in text]


def leaks_in_files(root: Path) -> dict[str, list[str]]:
    """Every file written under ``root`` whose bytes hold a fragment."""
    found = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        hits = leaks(path.read_bytes().decode("utf-8", errors="replace"))
        if hits:
            found[str(path)] = hits
    return found


def assert_no_leak(result, root: Path) -> None:
    assert leaks(result.stderr) == [], result.stderr[-4000:]
    assert leaks(result.stdout) == [], result.stdout[-4000:]
    assert leaks_in_files(root) == {}


# -- the parser ------------------------------------------------------------------------------------------------

UNESCAPED = [
    f"mongodb://{USER}:{PASSWORD}@127.0.0.1:27017/db",
    f"mongodb://{USER}:Qx7hunter/Zp4sec@127.0.0.1:27017/db",
    f"mongodb://{USER}:Qx7hunter?Zp4sec@127.0.0.1/db",
    f"mongodb://{USER}:Qx7hunter#Zp4sec@127.0.0.1/db",
    f"mongodb://{USER}:12/Zp4sec@127.0.0.1/db",  # pymongo itself takes "Uz8user:12" for host and port
    f"mongodb://{USER}:Qx7hunter\tZp4sec@127.0.0.1/db",
    f"redis://:{PASSWORD}@127.0.0.1:6379/0",
    f"rediss://{USER}:Qx7hunter/Zp4sec@[::1]:6379/0",
]
ESCAPED_OR_AMBIGUOUS_BUT_SPLITTABLE = [
    f"mongodb://{USER}:{quote_plus(PASSWORD)}@127.0.0.1:27017/db",
    f"mongodb://{USER}:Qx7hunter@Zp4sec:Wm9val%Rk3key@h1:1,h2:2/db",  # the last @ of the authority ends them
    f"mongodb+srv://{USER}:{quote_plus(PASSWORD)}@cluster0.example.net/db",
    f"redis://:{quote_plus(PASSWORD)}@127.0.0.1:6379/0",
    f"redis://127.0.0.1:6379/0?password={quote_plus(PASSWORD)}&username={USER}",
]


@pytest.mark.parametrize("uri", UNESCAPED)
def test_an_unparseable_uri_shows_its_scheme_only_and_withholds_messages_quoting_it(uri):
    assert split_uri(uri) is None
    assert mask_uri(uri) == uri.split(":", 1)[0] + "://" + MASK
    assert redact(f"Port could not be cast to integer value as 'Qx7hunter' ({uri})", uri) == WITHHELD
    with pytest.raises(ValueError) as raised:
        check_uri("MONGO_URI", uri)
    assert leaks(str(raised.value)) == [] and "must be percent-encoded" in str(raised.value)


@pytest.mark.parametrize("uri", ESCAPED_OR_AMBIGUOUS_BUT_SPLITTABLE)
def test_a_parseable_uri_keeps_hosts_and_path_and_masks_credentials_and_query(uri):
    masked = mask_uri(uri)
    assert leaks(masked) == [] and MASK in masked
    assert split_uri(uri).hosts in masked
    # a client's error may quote the URI as written or decoded
    message = f"auth failed for {uri} ({unquote(uri)}, {unquote_plus(uri)})"
    assert leaks(message) and leaks(redact(message, uri)) == []
    check_uri("MONGO_URI", uri)  # raises nothing


def test_masked_forms():
    assert mask_uri("mongodb://127.0.0.1:27017") == "mongodb://127.0.0.1:27017"
    assert mask_uri("mongodb://u:p@a:1,b:2/db?authSource=admin") == "mongodb://***:***@a:1,b:2/db?***"
    assert mask_uri("redis://:pw@[::1]:6379/0") == "redis://***:***@[::1]:6379/0"
    assert mask_uri("not a uri at all") == MASK
    assert secrets_of("mongodb://127.0.0.1:1/db") == []
    assert redact("connection refused", "mongodb://127.0.0.1:1/db", "") == "connection refused"


def test_the_store_error_of_an_unparseable_uri_names_no_part_of_it():
    store = MongoStore(UNESCAPED[0], connect_timeout_ms=200, retries=0)
    assert leaks(store.describe()) == []
    with pytest.raises(StoreUnavailable) as raised:
        store.open()
    message = str(raised.value)
    assert leaks(message) == [] and "mongodb://***" in message and "percent-encoded" in message
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


# -- real runs -------------------------------------------------------------------------------------------------

def place(tmp_path: Path) -> dict:
    return {"NEWSCRAWL_STATE": str(tmp_path / "state" / "unused.sqlite3"),
            "NEWSCRAWL_SPOOL": str(tmp_path / "state" / "spool.jsonl"),
            "NEWSCRAWL_LOCK_DIR": str(tmp_path / "state"),
            "NEWSCRAWL_OUTPUT_DIR": str(tmp_path / "output")}


def test_an_unescaped_password_stops_crawl_cronrun_and_replay_at_once(heute_mirror, tmp_path):
    """A URI that cannot be parsed can never work: refused before anything starts, in one line, exit 2 (issue 13)."""
    env = {**place(tmp_path), "MONGO_URI": f"mongodb://{USER}:{PASSWORD}@127.0.0.1:{free_port()}/db"}
    for args in (("crawl", "heute", "-a", f"base_url={heute_mirror}"), ("cronrun", "heute"), ("replay",)):
        result = run_scrapy(*args, env=env, timeout=120)
        assert result.returncode == 2, result.stderr[-3000:]
        assert result.stderr.splitlines() == [f"{' '.join(args[:2])}: MONGO_URI mongodb://*** is not a MongoDB URI: "
                                              "a user name or password containing any of : / ? # [ ] @ % must be "
                                              "percent-encoded (urllib.parse.quote_plus); a valid one looks like "
                                              "mongodb://localhost:27017 or "
                                              "mongodb://user:password@db.example.net:27017/?authSource=admin"]
        assert_no_leak(result, tmp_path)
    assert not (tmp_path / "state").exists() and not (tmp_path / "output").exists()


def test_an_unreachable_store_with_a_password_crawl_cronrun_replay(heute_mirror, tmp_path):
    uri = f"mongodb://{USER}:{quote_plus(PASSWORD)}@127.0.0.1:{free_port()}/db"
    env = {**place(tmp_path), "MONGO_URI": uri, "MONGO_DATABASE": "secrets", **FAST_FAIL}

    crawl = run_scrapy("crawl", "heute", "-a", f"base_url={heute_mirror}", env=env)
    assert crawl.returncode == 1, crawl.stderr[-3000:]
    assert "'newscrawl/store/spooled': 19" in crawl.stderr  # the stats dump is there and was checked
    [jsonl] = (tmp_path / "output" / "heute").glob("*.jsonl")
    assert len(read_jsonl(jsonl)) == 19
    assert_no_leak(crawl, tmp_path)

    # given on the command line this time: Scrapy's "Overridden settings" line must not list it either
    cron = run_scrapy("cronrun", "heute", "-a", f"base_url={heute_mirror}", "-s", f"MONGO_URI={uri}",
                      env={k: v for k, v in env.items() if k != "MONGO_URI"})
    assert cron.returncode == 3, cron.stderr[-3000:]
    assert "unavailable=" in cron.stdout and len(list((tmp_path / "output" / "heute").glob("*.summary.json"))) == 1
    assert_no_leak(cron, tmp_path)

    replay = run_scrapy("replay", env=env, timeout=120)
    assert replay.returncode == 1 and "remaining=" in replay.stdout, replay.stderr[-3000:]
    assert "mongodb://***" in replay.stderr
    assert_no_leak(replay, tmp_path)


def test_a_real_server_with_credentials_crawl_and_replay_and_a_wrong_password(heute_mirror, mongo_db, tmp_path):
    server, db = mongo_db
    user = f"{USER}{uuid.uuid4().hex[:6]}"
    with MongoClient(server, serverSelectionTimeoutMS=5000) as client:
        client[db].command("createUser", user, pwd=PASSWORD, roles=[{"role": "readWrite", "db": db}])
    host = server.split("://", 1)[1].split("/", 1)[0]
    uri = f"mongodb://{user}:{quote_plus(PASSWORD)}@{host}/{db}"
    env = {**place(tmp_path), "MONGO_URI": uri, "MONGO_DATABASE": db}

    crawl = run_scrapy("crawl", "heute", "-a", f"base_url={heute_mirror}", env=env)
    assert crawl.returncode == 0, crawl.stderr[-3000:]
    assert f"Storing articles in the MongoDB mongodb://***:***@{host}/{db}" in crawl.stderr
    with MongoClient(uri, serverSelectionTimeoutMS=5000) as client:
        assert client[db]["articles"].count_documents({}) == 19
    assert_no_leak(crawl, tmp_path)

    # A wrong password: the server refuses, the items are spooled, the message names no credential.
    wrong = {**env, "MONGO_URI": f"mongodb://{user}:{quote_plus('Rk3key@' + PASSWORD)}@{host}/{db}",
             "MONGO_RETRIES": "0"}
    refused = run_scrapy("crawl", "heute", "-a", f"base_url={heute_mirror}", env=wrong)
    assert refused.returncode == 1 and "uthentication failed" in refused.stderr, refused.stderr[-3000:]
    assert_no_leak(refused, tmp_path)

    replay = run_scrapy("replay", env=env, timeout=120)
    assert replay.returncode == 0 and "remaining=0" in replay.stdout, replay.stderr[-3000:]
    assert_no_leak(replay, tmp_path)


@pytest.mark.parametrize("password", [PASSWORD, quote_plus(PASSWORD)], ids=["unescaped", "escaped"])
def test_a_redis_url_with_a_password_is_never_shown(heute_mirror, tmp_path, password):
    url = f"redis://{USER}:{password}@127.0.0.1:{free_port()}/0"
    env = {**place(tmp_path), "REDIS_URL": url, "NEWSCRAWL_REDIS_LOST_TIMEOUT": "1", "NEWSCRAWL_REDIS_SOCKET_TIMEOUT": "1"}
    crawl = run_scrapy("crawl", "heute", "-a", f"base_url={heute_mirror}", env=env, timeout=120)
    assert crawl.returncode != 0
    assert "REDIS_URL" in crawl.stderr or "127.0.0.1" in crawl.stderr, crawl.stderr[-3000:]
    assert_no_leak(crawl, tmp_path)


# -- Scrapy's telnet console ------------------------------------------------------------------------------------

IAC, WILL, WONT, DO, DONT = 255, 251, 252, 253, 254
# A minimal telnet client's answers: agree to what the console will do (it must echo or not echo the
# password), refuse what it asks of us. Twisted's console waits for these replies.
ANSWER = {WILL: DO, WONT: DONT, DO: WONT, DONT: WONT}


def read_until(sock: socket.socket, marker: bytes, timeout: float = 20) -> bytes:
    """Read from a telnet console until ``marker``, answering its option negotiations."""
    sock.settimeout(1)
    deadline, data = time.monotonic() + timeout, b""
    while marker not in data:
        assert time.monotonic() < deadline, f"no {marker!r} from the console, got {data[-300:]!r}"
        try:
            chunk = sock.recv(4096)
        except socket.timeout:
            continue
        assert chunk, f"the console closed the connection, got {data[-300:]!r}"
        replies = b"".join(bytes([IAC, ANSWER[chunk[i + 1]], chunk[i + 2]]) for i in range(len(chunk) - 2)
                           if chunk[i] == IAC and chunk[i + 1] in ANSWER)
        if replies:
            sock.sendall(replies)
        data += chunk
    return data


def test_the_telnet_console_is_off_by_default_and_a_setting_switches_it_on(heute_mirror, tmp_path):
    one = ("-a", "url=https://heute.at/s/-100148088")
    default = run_scrapy("crawl", "heute", "-a", f"base_url={heute_mirror}", *one, env=place(tmp_path))
    assert default.returncode == 0, default.stderr[-3000:]
    assert "Telnet Password" not in default.stderr and "Telnet console listening" not in default.stderr
    assert "scrapy.extensions.telnet.TelnetConsole" not in default.stderr  # not among the enabled extensions
    # Nor Scrapy's remote control, an HTTP server that runs the Python code sent to it (on by default in Scrapy).
    assert "Remote control HTTP server listening" not in default.stderr
    assert "scrapy.extensions.remote_control" not in default.stderr

    # Switched on, the console listens and its password (logged, as Scrapy does when it makes one up) logs in.
    port = free_port()
    log = tmp_path / "telnet.log"
    env = {k: v for k, v in os.environ.items() if k not in ("MONGO_URI", "REDIS_URL")}
    env.update(place(tmp_path))
    cmd = [sys.executable, "-m", "scrapy", "crawl", "heute", "-a", f"base_url={heute_mirror}",
           "-s", "TELNETCONSOLE_ENABLED=1", "-s", f"TELNETCONSOLE_PORT={port},{port}", "-s", "AUTOTHROTTLE_ENABLED=0",
           "-s", "DOWNLOAD_DELAY=1", "-s", "RANDOMIZE_DOWNLOAD_DELAY=0", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1"]
    with open(log, "wb") as err:
        crawl = subprocess.Popen(cmd, cwd=PROJECT, env=env, stdout=subprocess.DEVNULL, stderr=err)
    try:
        deadline = time.monotonic() + 60
        while f"Telnet console listening on 127.0.0.1:{port}" not in log.read_text(errors="replace"):
            assert crawl.poll() is None and time.monotonic() < deadline, log.read_text(errors="replace")[-3000:]
            time.sleep(0.1)
        password = log.read_text().split("Telnet Password: ", 1)[1].split()[0]
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            read_until(sock, b"Username: ")
            sock.sendall(b"scrapy\r\n")
            read_until(sock, b"Password: ")
            sock.sendall(password.encode() + b"\r\n")
            read_until(sock, b">>>")
            sock.sendall(b"print(engine.spider.name)\r\n")
            assert b"heute" in read_until(sock, b"heute")
    finally:
        crawl.kill()
        crawl.wait(timeout=30)


def test_an_unparseable_uri_shows_only_when_it_cannot_hold_a_secret():
    assert mask_uri("mongodb//localhost") == "mongodb//localhost"  # a typo, shown so that it can be seen
    assert mask_uri("mongodb:/db.example.net:27017") == "mongodb:/db.example.net:27017"
    for risky in ("mongodb//user:pw@localhost", "mongodb//user:secret", "hunter2", "mongodb//h/?password=x"):
        assert mask_uri(risky) == MASK, risky

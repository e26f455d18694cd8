"""The offline mirror (`python -m newscrawl.mirror`) under hostile request paths: raw requests over a socket to
a real mirror process; every bad path gets a small 400/404 (414 beyond http.server's 64 KiB request line),
never a dropped connection or a traceback, and the server keeps serving."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import pytest

from newscrawl.mirror import decode_path, resolve
from tests.conftest import HEUTE_MIRROR, PROJECT

MAX_ERROR_RESPONSE = 2048  # bytes, headers included

BAD = [
    ("/%00", 400),
    ("/s/-100148088%00", 400),
    ("/s/%00-100148088", 400),  # the route maps by id: the NUL in the slug would have been served
    ("/robots.txt%00.html", 400),
    ("/index.html%00/../robots.txt", 400),
    ("/%zz", 400),  # invalid percent-encoding
    ("/s/%4-100148088", 400),
    ("/abc%", 400),
    ("/%ff%fe", 400),  # not UTF-8
    ("/s/%C3%28-100148088", 400),
    ("/%c0%ae%c0%ae/etc/passwd", 400),  # overlong UTF-8 for "."
    ("/%0d%0aX-Injected:%201", 400),  # control characters
    ("/\x7f", 400),
    ("/a/" * 1000, 400),  # a path longer than any the site has
    ("/" + "a" * 300, 404),  # one name longer than the file system allows
    ("/../../etc/passwd", 404),  # traversal: never out of the mirror folder
    ("/%2e%2e/%2e%2e/etc/passwd", 404),
    ("/s/..%2f..%2f..%2fetc/passwd", 404),
    ("//etc/passwd", 404),
    ("//[::1/x", 404),  # http.server folds the leading // (else urlsplit would read an unclosed IPv6 host)
    ("/..%5c..%5cetc%5cpasswd", 404),
    ("/a/..%2f..%2f..%2fetc%2fpasswd", 404),
]
GOOD = [
    ("/s/-100148088", 200),
    ("/s/h%C3%B6chste-unwetter-100148088", 200),  # a percent-encoded UTF-8 slug
    ("/robots.txt", 200),
    ("/", 200),
]


@pytest.fixture(scope="module")
def mirror_process():
    proc = subprocess.Popen([sys.executable, "-m", "newscrawl.mirror", str(HEUTE_MIRROR), "--port", "0"], cwd=PROJECT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()  # "serving <folder> at http://127.0.0.1:PORT", printed once it listens
        assert " at http://127.0.0.1:" in line, proc.stderr.read() if proc.poll() is not None else line
        yield proc, int(line.rsplit(":", 1)[1])
    finally:
        if proc.poll() is None:
            proc.terminate()
        proc.wait(timeout=10)


def request(port: int, target: bytes, timeout: float = 10) -> tuple[int, bytes]:
    """One raw GET; (status, whole response). Fails on a connection closed without a response."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        data, deadline = b"", time.monotonic() + timeout
        while time.monotonic() < deadline:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    assert data.startswith(b"HTTP/1."), f"no response to {target[:80]!r}: {data[:200]!r}"
    return int(data.split(b" ", 2)[1]), data


@pytest.mark.parametrize(("path", "status"), BAD + GOOD, ids=[p[:40] for p, _ in BAD + GOOD])
def test_every_path_gets_an_answer(mirror_process, path, status):
    _, port = mirror_process
    got, response = request(port, path.encode("latin-1"))
    assert got == status, response[:300]
    if status != 200:
        assert len(response) <= MAX_ERROR_RESPONSE
        assert b"root:" not in response


@pytest.mark.parametrize("target", [b"/\x00", b"/s/\x00-100148088", b"/\xff\xfe", b"/caf\xc3\xa9"])
def test_raw_bytes_in_the_request_line_are_400(mirror_process, target):
    _, port = mirror_process
    status, response = request(port, target)
    assert status == 400 and len(response) <= MAX_ERROR_RESPONSE


def test_a_request_line_beyond_64_kib_is_refused_by_http_server(mirror_process):
    _, port = mirror_process
    status, response = request(port, b"/" + b"a" * 70_000)
    assert status == 414 and len(response) <= MAX_ERROR_RESPONSE


def test_no_traceback_and_still_serving_after_all_of_them(mirror_process):
    proc, port = mirror_process
    for path, _ in BAD:
        request(port, path.encode("latin-1"))
    assert request(port, b"/s/-100148088")[0] == 200
    assert proc.poll() is None
    proc.terminate()
    _, stderr = proc.communicate(timeout=10)
    assert "Traceback" not in stderr and "Error" not in stderr, stderr[-3000:]


@pytest.mark.parametrize("target", ["//[::1/x", "/%00", "/%zz", "/%ff", "/\x00", "/a/" * 1000])
def test_resolve_answers_none_for_a_malformed_path_without_raising(target):
    assert decode_path(target) is None
    assert resolve(HEUTE_MIRROR, target) is None

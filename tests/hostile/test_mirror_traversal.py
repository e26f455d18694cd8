"""The offline mirror server never serves a file outside its folder (issue 11's held case "mirror path traversal"),
whatever the request path: ``../`` plain, percent-encoded, mixed case, double-encoded, in the article, section and
image routes, a sibling folder sharing the mirror's name as a prefix, a symlink leading out, an absolute URL in
the request line. Raw requests over HTTP on loopback (http.client sends the path as given)."""

from __future__ import annotations

import http.client
import os
import uuid

import pytest

from newscrawl.mirror import serve
from tests.conftest import HEUTE_MIRROR

PATHS = [
    "/../secret.txt",
    "/../../../../../../etc/passwd",
    "/%2e%2e/secret.txt",
    "/%2E%2E%2Fsecret.txt",
    "/.%2e/secret.txt",
    "/s/..%2f..%2fsecret.txt",
    "/s/%2e%2e%2f%2e%2e%2fsecret.txt",
    "/a/..%2f..%2fsecret",            # section route: a/<slug>.html
    "/a/%2e%2e",
    "/i/..%2f..%2fsecret/doc-1",       # image route: i/<slug>.html
    "/s/..%2f..%2fsecret.txt-100148088",
    "/%252e%252e/secret.txt",          # double-encoded: one decoding leaves a literal %2e%2e folder name
    "/..%5csecret.txt",                # a backslash is no separator here
    "/%2fetc%2fpasswd",
    "//etc/passwd",
    "/../mirror-secret/secret.txt",    # a sibling whose name starts with the mirror's
    "/leak.txt",                       # a symlink in the mirror pointing out of it
    "/sub/../../secret.txt",
    "http://127.0.0.1/../secret.txt",  # an absolute URL in the request line
]


@pytest.fixture(scope="module")
def mirror_with_secrets(tmp_path_factory):
    """A small mirror next to files it must never serve (``secret``, ``secret.txt``, ``secret.html`` and
    ``mirror-secret/secret.txt`` beside it) and a symlink inside it pointing at one of them."""
    tmp = tmp_path_factory.mktemp("traversal")
    token = f"MIRROR-SECRET-{uuid.uuid4().hex}"
    root = tmp / "mirror"
    (root / "s").mkdir(parents=True)
    (root / "sub").mkdir()
    (root / "robots.txt").write_bytes((HEUTE_MIRROR / "robots.txt").read_bytes())
    (root / "s" / "100148088.html").write_bytes((HEUTE_MIRROR / "s" / "100148088.html").read_bytes())
    for name in ("secret", "secret.txt", "secret.html", "mirror-secret/secret.txt"):
        (tmp / name).parent.mkdir(exist_ok=True)
        (tmp / name).write_text(token, encoding="utf-8")
    os.symlink(tmp / "secret.txt", root / "leak.txt")
    with serve(root) as base:
        yield base, token


def get(base: str, path: str) -> tuple[int, bytes]:
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.putrequest("GET", path, skip_host=False, skip_accept_encoding=True)
        conn.endheaders()
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_the_mirror_serves_its_own_files(mirror_with_secrets):
    base, _ = mirror_with_secrets
    assert get(base, "/robots.txt")[0] == 200
    status, body = get(base, "/s/-100148088")
    assert status == 200 and b"100148088" in body


@pytest.mark.parametrize("path", PATHS)
def test_no_path_reaches_a_file_outside_the_mirror(mirror_with_secrets, path):
    base, token = mirror_with_secrets
    status, body = get(base, path)
    assert status in (400, 404), (status, body[:200])
    assert token.encode() not in body and b"root:" not in body

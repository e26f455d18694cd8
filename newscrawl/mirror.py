"""Serve an offline mirror of a news site on 127.0.0.1, with the site's own URL routing.

A site renders one article for several paths (heute.at: ``/s/<slug>-<id>``, ``/s/-<id>`` with an empty slug,
``/s/<slug>-<id>/comments``). A plain static file server cannot do that, so this one maps a path that matches a
declared site's ``ARTICLE_URL`` (:mod:`newscrawl.extract.sites`, the pattern the spiders and the id rule read)
onto ``<first path segment>/<id>.html`` in the mirror folder when that file exists (heute: ``s/<id>.html``),
section pages ``/a/<slug>`` onto ``a/<slug>.html``, image pages ``/i/<slug>/doc-<x>`` onto ``i/<slug>.html`` and
every other path onto the file of that name.

Used by the tests, the demo and the benchmarks::

    python -m newscrawl.mirror tests/site/heute --port 8765

prints ``serving <folder> at http://127.0.0.1:PORT`` once it listens (port 0 picks a free one).

A malformed path (raw bytes outside printable ASCII, invalid percent-encoding, an escaped byte sequence that is
not UTF-8, a NUL or other control character, longer than ``MAX_PATH``) is answered 400; a path that names no
file of the mirror, or one outside the mirror folder (``..``), 404. Either way a small fixed page, never a
traceback or a dropped connection.
"""

from __future__ import annotations

import argparse
import mimetypes
import re
import sys
import threading
from contextlib import contextmanager
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote_to_bytes, urlsplit

from .extract.sites import all_sites
from .extract.sites.heute import Heute

ARTICLE_PATH = Heute.article_pattern  # heute's article paths (group 1: the id), for callers that route them
SECTION_PATH = re.compile(r"^/a/([^/]+?)/?$")
IMAGE_PATH = re.compile(r"^/i/([^/]+)/doc-[^/]+/?$")
TYPES = {".xml": "application/xml", ".gz": "application/x-gzip", ".txt": "text/plain; charset=utf-8"}
MAX_PATH = 2048  # characters of the request path; the site's longest is a few hundred
HEX = frozenset("0123456789abcdefABCDEF")


def decode_path(target: str) -> str | None:
    """The decoded path of a request target, or None when it is malformed (answered 400)."""
    try:
        raw = urlsplit(target).path
    except ValueError:  # "//[x/..." reads as an unclosed IPv6 host
        return None
    if len(raw) > MAX_PATH or not raw.isascii() or not raw.isprintable():
        return None  # raw bytes beyond ASCII, controls (http.server decodes the request line as Latin-1)
    pieces = raw.split("%")
    if any(len(piece) < 2 or not HEX.issuperset(piece[:2]) for piece in pieces[1:]):
        return None  # a % not followed by two hex digits
    try:
        path = unquote_to_bytes(raw).decode("utf-8")  # strict: no replacement characters, no overlong forms
    except UnicodeDecodeError:
        return None
    return path if path.isprintable() else None  # an escaped NUL, CR, LF ... names no file


def resolve(root: Path, path: str) -> Path | None:
    """Map a request path onto a file of the mirror, or None (404, or a malformed path: see decode_path)."""
    path = decode_path(path)
    if path is None:
        return None
    if article := article_file(root, path):
        candidate = article
    elif m := SECTION_PATH.match(path):
        candidate = root / "a" / f"{m.group(1)}.html"
    elif m := IMAGE_PATH.match(path):
        candidate = root / "i" / f"{m.group(1)}.html"
    elif path in ("", "/"):
        candidate = root / "index.html"
    else:
        candidate = root / path.lstrip("/")
    try:
        candidate = candidate.resolve()
        if root.resolve() not in candidate.parents or not candidate.is_file():
            return None
    except (OSError, ValueError):  # a name too long for the file system, say
        return None
    return candidate


def article_file(root: Path, path: str) -> Path | None:
    """The mirror's file of a declared site's article path: ``<first path segment>/<id>.html``, if it exists."""
    segment = path.lstrip("/").split("/", 1)[0]
    for site in all_sites().values():
        m = site.match_article(path)
        if not m or not segment:
            continue
        candidate = root / segment / f"{m.group('id')}.html"
        try:
            if candidate.is_file():
                return candidate
        except (OSError, ValueError):  # an id too long for a file name, say: no such article
            continue
    return None


def content_type(path: Path) -> str:
    if path.suffix == ".html":
        return "text/html; charset=utf-8"
    return TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def error_page(status: HTTPStatus) -> tuple[HTTPStatus, bytes, str]:
    body = f"<html><body><h1>{status.value} {status.phrase}</h1></body></html>".encode()
    return status, body, "text/html; charset=utf-8"


def make_handler(root: Path) -> type[BaseHTTPRequestHandler]:
    class MirrorHandler(BaseHTTPRequestHandler):
        server_version = "newscrawl-mirror"
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            self._serve(with_body=True)

        def do_HEAD(self) -> None:  # noqa: N802
            self._serve(with_body=False)

        def _answer(self) -> tuple[HTTPStatus, bytes, str]:
            if decode_path(self.path) is None:
                return error_page(HTTPStatus.BAD_REQUEST)
            target = resolve(root, self.path)
            if target is None:
                return error_page(HTTPStatus.NOT_FOUND)
            try:
                return HTTPStatus.OK, target.read_bytes(), content_type(target)
            except OSError:  # gone or unreadable since resolve(): as if it were not there
                return error_page(HTTPStatus.NOT_FOUND)

        def _serve(self, with_body: bool) -> None:
            status, body, ctype = self._answer()
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if with_body:
                self.wfile.write(body)

        def log_message(self, format: str, *args) -> None:  # noqa: A002 (http.server's signature)
            pass

    return MirrorHandler


@contextmanager
def serve(root: str | Path, port: int = 0):
    """Serve ``root`` in a background thread; yields the base URL (``http://127.0.0.1:PORT``)."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"mirror folder not found: {root}")
    server = ThreadingHTTPServer(("127.0.0.1", port), make_handler(root))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="mirror", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", help="mirror folder, e.g. tests/site/heute")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: a free one)")
    args = parser.parse_args(argv)
    root = Path(args.folder)
    if not root.is_dir():
        print(f"error: mirror folder not found: {root}", file=sys.stderr)
        return 2
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(root))
    print(f"serving {root} at http://127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

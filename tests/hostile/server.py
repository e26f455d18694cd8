"""A hostile web server on loopback: what a bad or malicious site serves a crawler, staged for real.

:class:`HostileServer` answers each path of its route table with one behaviour — fixed bytes (bombs, bad
charsets, XXE), a redirect, a body or headers trickled a byte at a time (slowloris), an endless-looking stream
— and records what happened: every request path, the bytes each response got onto the wire, and whether the
client hung up before the response was complete. Paths without a route are served from an optional mirror
folder (:func:`newscrawl.mirror.resolve`, so heute's URL variants work), else 404. Requests can be held until
the test releases them (:meth:`HostileServer.hold`), to act on a crawl midway. Every loop and wait is bounded (a
byte budget, a deadline) and ends when the server stops, so a crawler that never hangs up cannot hang a test.

A server with no routes and no mirror is a *canary*: a host the crawler must never contact; its ``hits`` say
whether it did.
"""

from __future__ import annotations

import gzip
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

from newscrawl.mirror import content_type, resolve

HANGUP = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError)


@dataclass
class Hit:
    path: str
    sent: int = 0            # body (or, for trickled headers, header) bytes written to the socket
    complete: bool = False   # the whole response was written
    hung_up: bool = False    # the client closed the connection first
    started: float = field(default_factory=time.monotonic)
    ended: float | None = None


Route = Callable[["Handler", Hit], None]


def static(body: bytes, ctype: str = "text/html; charset=utf-8", **headers: str) -> Route:
    """``body`` as is, with a Content-Length (``headers`` are extra headers, ``_`` for ``-`` in names)."""
    def route(h: Handler, hit: Hit) -> None:
        h.send_response(200)
        h.send_header("Content-Type", ctype)
        for name, value in headers.items():
            h.send_header(name.replace("_", "-"), value)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.write(hit, body)
    return route


def redirect(location: str, status: int = 302) -> Route:
    def route(h: Handler, hit: Hit) -> None:
        h.send_response(status)
        h.send_header("Location", location)
        h.send_header("Content-Length", "0")
        h.end_headers()
        hit.complete = True
    return route


def trickle_body(every: float = 0.2, budget_s: float = 60, announced: int = 100_000) -> Route:
    """Headers at once (announcing ``announced`` bytes), then one body byte every ``every`` seconds until the
    client hangs up or ``budget_s`` passed: the response never completes while anyone is patient."""
    def route(h: Handler, hit: Hit) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/html; charset=utf-8")
        h.send_header("Content-Length", str(announced))
        h.end_headers()
        h.wfile.flush()
        h.drip(hit, b"<html><body><h1>Langsam</h1><p>" + b"x" * announced, every, budget_s)
    return route


def trickle_headers(every: float = 0.2, budget_s: float = 60) -> Route:
    """The status line, then header bytes one at a time, never reaching the blank line that ends them."""
    def route(h: Handler, hit: Hit) -> None:
        h.drip(hit, b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Slow: " + b"a" * 100_000, every, budget_s)
    return route


def stream(total: int, chunk: int = 64 * 1024, with_length: bool = False) -> Route:
    """``total`` bytes of an HTML page, generated chunk by chunk (never held in memory), with or without a
    Content-Length (without: the connection's end marks the body's)."""
    def route(h: Handler, hit: Hit) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/html; charset=utf-8")
        if with_length:
            h.send_header("Content-Length", str(total))
        else:
            h.send_header("Connection", "close")
            h.close_connection = True
        h.end_headers()
        block = b"<p>" + b"z" * (chunk - 7) + b"</p>\n"
        head = b"<html><body><h1>Riesig</h1>"
        try:
            h.wfile.write(head)
            hit.sent += len(head)
            while hit.sent < total and not h.server.stopping.is_set():
                piece = block[:total - hit.sent]
                h.wfile.write(piece)
                hit.sent += len(piece)
            hit.complete = hit.sent >= total
        except HANGUP:
            hit.hung_up = True
    return route


def gzip_bomb(decompressed: int, member: int = 1024 * 1024) -> bytes:
    """Gzip data of ``decompressed`` zero bytes, about a thousandth of that in size: one gzip member of
    ``member`` zeros, repeated (concatenated members are one valid gzip stream), so it is built in
    milliseconds."""
    one = gzip.compress(b"\0" * member, compresslevel=9)
    return one * (decompressed // member)


class Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        path = urlsplit(self.path).path
        hit = Hit(self.path)
        self.server.record(hit)
        try:
            if self.server.held is not None and self.server.held(path):
                self.server.released.wait(timeout=self.server.hold_s)
            route = self.server.routes.get(path)
            if route is not None:
                route(self, hit)
            else:
                self._mirror(hit)
        except HANGUP:
            hit.hung_up = True
        finally:
            hit.ended = time.monotonic()

    def _mirror(self, hit: Hit) -> None:
        target = resolve(self.server.mirror, self.path) if self.server.mirror else None
        if target is None:
            self.send_response(404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", "0")
            self.end_headers()
            hit.complete = True
            return
        static(target.read_bytes(), content_type(target))(self, hit)

    def write(self, hit: Hit, body: bytes) -> None:
        self.wfile.write(body)
        hit.sent += len(body)
        hit.complete = True

    def drip(self, hit: Hit, data: bytes, every: float, budget_s: float) -> None:
        """One byte of ``data`` every ``every`` seconds, until the client hangs up, ``budget_s`` passed or
        the server stops."""
        deadline = time.monotonic() + budget_s
        for i in range(len(data)):
            if time.monotonic() > deadline or self.server.stopping.wait(every):
                break
            try:
                self.wfile.write(data[i:i + 1])
                self.wfile.flush()
            except HANGUP:
                hit.hung_up = True
                return
            hit.sent += 1
        self.close_connection = True

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (http.server's signature)
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str, routes: dict[str, Route], mirror: Path | None):
        super().__init__((host, 0), Handler)  # port 0: the kernel picks a free one, no race
        self.routes = routes
        self.mirror = mirror
        self.stopping = threading.Event()
        self.held: Callable[[str], bool] | None = None  # requests for which this is true wait for ``released``
        self.released = threading.Event()
        self.hold_s = 90.0
        self.lock = threading.Lock()
        self.hits_by_path: dict[str, list[Hit]] = defaultdict(list)
        self.all_hits: list[Hit] = []

    def record(self, hit: Hit) -> None:
        with self.lock:
            self.all_hits.append(hit)
            self.hits_by_path[urlsplit(hit.path).path].append(hit)


class HostileServer:
    """``with HostileServer(routes, mirror=...) as server:`` serves on ``server.base`` (http://HOST:PORT)."""

    def __init__(self, routes: dict[str, Route] | None = None, mirror: Path | None = None, host: str = "127.0.0.1"):
        self._server = _Server(host, dict(routes or {}), mirror)
        self.host, self.port = self._server.server_address[:2]
        self.base = f"http://{self.host}:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name=f"hostile-{self.port}", daemon=True)

    def route(self, path: str, route: Route) -> None:
        self._server.routes[path] = route

    def hold(self, predicate: Callable[[str], bool], at_most_s: float = 90) -> None:
        """Hold every request whose path ``predicate`` accepts until :meth:`release` (at most ``at_most_s``)."""
        self._server.hold_s = at_most_s
        self._server.held = predicate

    def release(self) -> None:
        self._server.released.set()

    def hits(self, path: str | None = None) -> list[Hit]:
        """Requests received (for ``path`` only, when given), in order."""
        with self._server.lock:
            return list(self._server.all_hits if path is None else self._server.hits_by_path.get(path, []))

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.stopping.set()  # ends every drip and stream at its next step
        self._server.released.set()  # and every hold
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

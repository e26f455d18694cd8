"""Issue 11, D6 and D7: real `scrapy crawl` runs against a hostile loopback server, then a look at what the
embedded store holds.

- D7: two publishers (127.0.0.1:P and localhost:P: one server, pages chosen by the Host header) whose article
  URLs end in the same number are two articles, in one run and across runs.
- D6: a page declaring another site's canonical URL (heute's) or another host's (``<link rel=canonical>``,
  ``og:url``, JSON-LD ``mainEntityOfPage``) cannot replace the article stored under that key; its canonical
  is kept as ``canonical_claim``.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from newscrawl.store import SQLiteStore
from newscrawl.urls import normalise_url
from tests.conftest import HEUTE_MIRROR, read_jsonl, run_scrapy

HEUTE_ID = "100148088"
HEUTE_HEADLINE = json.loads((HEUTE_MIRROR / "s" / f"{HEUTE_ID}.expected.json").read_text(encoding="utf-8"))["headline"]
HEUTE_CANONICAL = f"https://www.heute.at/s/hoechste-unwetter-warnstufe-in-oesterreich-ausgerufen-{HEUTE_ID}"
PARAGRAPH = ("Der Gemeinderat hat am Dienstagabend nach langer Debatte beschlossen, die Sanierung der alten "
             "Brücke über den Fluss um ein weiteres Jahr zu verschieben. ")


def page(headline: str, canonical: str | None = None) -> bytes:
    """An article page; ``canonical`` is declared in every place extraction reads one from."""
    head = ""
    if canonical:
        ld = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": headline,
              "mainEntityOfPage": {"@type": "WebPage", "@id": canonical}, "url": canonical}
        head = (f'<link rel="canonical" href="{canonical}"><meta property="og:url" content="{canonical}">'
                f'<script type="application/ld+json">{json.dumps(ld)}</script>')
    body = "".join(f"<p>{headline}: {PARAGRAPH * 2}Absatz {i}.</p>" for i in range(4))
    return (f'<!doctype html><html lang="de"><head><meta charset="utf-8"><title>{headline}</title>{head}</head>'
            f"<body><article><h1>{headline}</h1>{body}</article></body></html>").encode("utf-8")


@contextmanager
def hostile_server(pages: dict[tuple[str, str], bytes]):
    """A loopback server answering ``(host, path)`` from ``pages`` (host as in the Host header, without the
    port), else 404; yields its port. ``127.0.0.1`` and ``localhost`` reach it as two publishers."""
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            host = (self.headers.get("Host") or "").rsplit(":", 1)[0]
            body = pages.get((host, self.path))
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def hostile():
    """The hostile server with its pages; yields ``{name: url}``.

    ``politics`` and ``sport`` are two publishers' articles ending in the same number; ``politics_b`` is the
    politics path on the other host (another publisher's page); ``takeover`` declares heute's canonical;
    ``copy`` (on localhost) declares ``politics``' URL (on 127.0.0.1) as its canonical."""
    holder: dict[str, str] = {}
    pages: dict[tuple[str, str], bytes] = {}
    with hostile_server(pages) as port:
        a, b = f"http://127.0.0.1:{port}", f"http://localhost:{port}"
        holder.update(politics=f"{a}/pub/politics/story-123456", sport=f"{b}/pub/sport/match-report-123456",
                      politics_b=f"{b}/pub/politics/story-123456", takeover=f"{b}/evil/heute-takeover-{HEUTE_ID}",
                      copy=f"{b}/evil/copy-123456")
        pages.update({
            ("127.0.0.1", "/pub/politics/story-123456"): page("Politics headline", holder["politics"]),
            ("localhost", "/pub/sport/match-report-123456"): page("Sport headline"),
            ("localhost", "/pub/politics/story-123456"): page("Other publisher headline"),
            ("localhost", f"/evil/heute-takeover-{HEUTE_ID}"): page("Attacker headline", HEUTE_CANONICAL),
            ("localhost", "/evil/copy-123456"): page("Attacker copy headline", holder["politics"]),
        })
        yield holder


def crawl_article(tmp_path: Path, state: Path, urls: list[str], name: str) -> tuple[list[dict], str]:
    listing = tmp_path / f"{name}.txt"
    listing.write_text("\n".join(urls) + "\n", encoding="utf-8")
    out = tmp_path / f"{name}.jsonl"
    result = run_scrapy("crawl", "article", "-a", f"urls={listing}", "-O", str(out),
                        env={"NEWSCRAWL_STATE": str(state), "NEWSCRAWL_OUTPUT_DIR": str(tmp_path / "output")})
    assert result.returncode == 0, result.stderr[-3000:]
    return read_jsonl(out), result.stderr


def crawl_heute(tmp_path: Path, state: Path, mirror: str) -> list[dict]:
    out = tmp_path / "heute.jsonl"
    result = run_scrapy("crawl", "heute", "-a", f"base_url={mirror}", "-a", f"url=https://heute.at/s/-{HEUTE_ID}",
                        "-O", str(out), env={"NEWSCRAWL_STATE": str(state),
                                             "NEWSCRAWL_OUTPUT_DIR": str(tmp_path / "output")})
    assert result.returncode == 0, result.stderr[-3000:]
    return read_jsonl(out)


def stored(state: Path) -> dict[str, tuple[int, dict]]:
    """Every article the store holds: key -> (revision, document)."""
    with sqlite3.connect(state) as conn:
        rows = conn.execute("SELECT key, revision, doc FROM articles").fetchall()
    return {key: (revision, json.loads(doc)) for key, revision, doc in rows}


def headlines(held: dict[str, tuple[int, dict]]) -> dict[str, str]:
    """url -> headline of every stored article."""
    return {doc["url"]: doc["headline"] for _, doc in held.values()}


def stat(log: str, name: str) -> int:
    import re

    m = re.search(rf"'{re.escape(name)}': (\d+)", log)
    return int(m.group(1)) if m else 0


# -- D7: the same trailing number at two publishers ---------------------------------------------------------
def test_same_number_on_two_hosts_are_two_articles_in_one_run(tmp_path, hostile):
    state = tmp_path / "state.sqlite3"
    urls = [hostile["politics"], hostile["sport"], hostile["politics_b"]]
    items, log = crawl_article(tmp_path, state, urls, "run")
    assert stat(log, "newscrawl/dedup/duplicate_in_run") == 0
    assert stat(log, "newscrawl/dedup/new") == 3
    held = stored(state)
    assert len(held) == 3  # three keys, one per article
    assert headlines(held) == {hostile["politics"]: "Politics headline", hostile["sport"]: "Sport headline",
                               hostile["politics_b"]: "Other publisher headline"}
    assert {rev for rev, _ in held.values()} == {1}
    assert len({it["site"] for it in items}) == 1 and items[0]["site"] == "generic"


def test_same_number_on_two_hosts_are_two_articles_across_runs(tmp_path, hostile):
    state = tmp_path / "state.sqlite3"
    crawl_article(tmp_path, state, [hostile["politics"]], "first")
    items, log = crawl_article(tmp_path, state, [hostile["sport"]], "second")
    assert stat(log, "newscrawl/dedup/new") == 1 and stat(log, "newscrawl/dedup/changed") == 0
    _, log = crawl_article(tmp_path, state, [hostile["politics_b"]], "third")
    assert stat(log, "newscrawl/dedup/new") == 1 and stat(log, "newscrawl/dedup/changed") == 0
    held = stored(state)
    assert headlines(held) == {hostile["politics"]: "Politics headline", hostile["sport"]: "Sport headline",
                               hostile["politics_b"]: "Other publisher headline"}
    assert {rev for rev, _ in held.values()} == {1}
    # a fourth run of the first URL finds its own article unchanged: its key did not move
    _, log = crawl_article(tmp_path, state, [hostile["politics"]], "fourth")
    assert stat(log, "newscrawl/dedup/unchanged") == 1 and stat(log, "newscrawl/dedup/new") == 0


# -- D6: canonical poisoning ------------------------------------------------------------------------------
def test_foreign_canonicals_replace_nothing_across_runs(tmp_path, hostile, heute_mirror):
    state = tmp_path / "state.sqlite3"
    [heute] = crawl_heute(tmp_path, state, heute_mirror)
    assert (heute["site"], heute["article_id"], heute["headline"]) == ("heute", HEUTE_ID, HEUTE_HEADLINE)
    crawl_article(tmp_path, state, [hostile["politics"]], "first")
    before = stored(state)

    items, log = crawl_article(tmp_path, state, [hostile["takeover"], hostile["copy"]], "attack")
    assert stat(log, "newscrawl/dedup/new") == 2 and stat(log, "newscrawl/dedup/changed") == 0
    held = stored(state)
    assert held[f"heute:{HEUTE_ID}"] == before[f"heute:{HEUTE_ID}"]  # revision 1, original headline
    assert held[f"heute:{HEUTE_ID}"][0] == 1 and held[f"heute:{HEUTE_ID}"][1]["headline"] == HEUTE_HEADLINE
    for key, value in before.items():
        assert held[key] == value
    assert len(held) == 4
    assert headlines(held)[hostile["takeover"]] == "Attacker headline"
    assert headlines(held)[hostile["copy"]] == "Attacker copy headline"
    by_url = {it["url"]: it for it in items}
    takeover = by_url[hostile["takeover"]]
    assert takeover["site"] == "generic"
    assert takeover["canonical_claim"] == HEUTE_CANONICAL  # recorded, not trusted
    assert takeover["canonical_url"] == normalise_url(hostile["takeover"], strip_www=False)  # its own URL
    assert by_url[hostile["copy"]]["canonical_claim"] == hostile["politics"]


def test_foreign_canonicals_replace_nothing_in_one_run(tmp_path, hostile):
    state = tmp_path / "state.sqlite3"
    urls = [hostile["copy"], hostile["takeover"], hostile["politics"], hostile["sport"]]
    items, log = crawl_article(tmp_path, state, urls, "run")
    assert stat(log, "newscrawl/dedup/duplicate_in_run") == 0
    held = stored(state)
    assert not [key for key in held if key.startswith("heute:")]
    assert headlines(held) == {hostile["copy"]: "Attacker copy headline", hostile["takeover"]: "Attacker headline",
                               hostile["politics"]: "Politics headline", hostile["sport"]: "Sport headline"}
    assert {rev for rev, _ in held.values()} == {1}


def test_the_heute_mirror_still_writes_heute_keys(tmp_path, heute_mirror):
    """The operator's mapping (``-a base_url=``) makes the loopback mirror heute: its pages keep heute keys."""
    state = tmp_path / "state.sqlite3"
    [item] = crawl_heute(tmp_path, state, heute_mirror)
    assert item["canonical_url"] == HEUTE_CANONICAL and item.get("canonical_claim") is None
    assert list(stored(state)) == [f"heute:{HEUTE_ID}"]
    st = SQLiteStore(state)
    st.open()
    try:
        assert st.get(f"heute:{HEUTE_ID}")["headline"] == HEUTE_HEADLINE
    finally:
        st.close()

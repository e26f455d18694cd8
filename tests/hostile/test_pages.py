"""Hostile article pages (issue 11's held cases): one real `scrapy crawl article -a urls=...` run into a real
MongoDB-wire server over a hostile loopback site — XXE and entity bombs in pages, a gzip bomb, a trickled
body and trickled headers (slowloris), 50 MB pages, a page over the warn size, wrong and odd charsets,
``$``/``.`` keys in JSON-LD, redirects to other hosts — next to a plain good page. Each test asserts one
case on that run: what was stored, the stats, what the server saw (bytes sent, who hung up) and that the
canary hosts were never contacted.

Settings of the run: the shipped DOWNLOAD_MAXSIZE (16 MiB); DOWNLOAD_TIMEOUT 3 s, one retry after 0.2 s and
DOWNLOAD_WARNSIZE 1 MB so the slow and large cases finish in seconds; memory sampled every 0.2 s.
"""

from __future__ import annotations

import json
import re
import time
import uuid

import pytest
from pymongo import MongoClient

from tests.conftest import read_jsonl, run_scrapy
from tests.hostile import MAXSIZE, MEMORY_BOUND, crawl_stats, entity_bomb_dtd, keys_of, offsite_drops
from tests.hostile.server import HostileServer, gzip_bomb, redirect, static, stream, trickle_body, trickle_headers

TIMEOUT, WARNSIZE = 3, 1_000_000
PARAGRAPHS = [
    "Der Gemeinderat hat am Montag über die Sanierung der städtischen Wohnhausanlagen beraten und Beschlüsse gefasst.",
    "Die Mieterinnen und Mieter sollen über die geplanten Arbeiten früh informiert werden, heißt es aus dem Rathaus.",
    "Erste Baustellen werden im Frühjahr eingerichtet; die Kosten trägt nach dem Beschluss zur Gänze die Stadt.",
]


def page(title: str, *, head: str = "", prolog: str = "<!DOCTYPE html>", body_extra: str = "",
         paragraphs: list[str] = PARAGRAPHS) -> str:
    text = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f'{prolog}\n<html lang="de"><head><title>{title}</title>{head}</head><body><article>'
            f"<h1>{title}</h1>{text}{body_extra}</article></body></html>")


# What each hostile URL is, by path. Every article gets its own id, so none is a duplicate of another.
GOOD = "/news/gute-meldung-500001"
XXE_HTML, XXE_XHTML = "/news/xxe-html-500002", "/news/xxe-xhtml-500003"
LAUGHS = "/news/lachen-500004"
BOMB = "/news/gzip-bombe-500005"
SLOW_BODY, SLOW_HEADERS = "/news/langsam-500006", "/news/langsame-header-500007"
HUGE_LENGTH, HUGE_STREAM = "/news/riesig-mit-laenge-500008", "/news/riesig-ohne-laenge-500009"
OVER_WARNSIZE = "/news/gross-500010"
DOLLAR_KEYS = "/news/dollar-schluessel-500011"
CS_META_1252, CS_WRONG_HEADER, CS_UTF16, CS_MIXED, CS_UNKNOWN = (
    "/news/cp1252-meta-500012", "/news/falscher-zeichensatz-500013", "/news/utf16-500014",
    "/news/gemischt-500015", "/news/unbekannt-500016")
TO_CANARY, TO_METADATA, TO_LOCALHOST = "/news/umleitung-500017", "/news/metadaten-500018", "/news/lokal-500019"
SSRF_TARGETS = {TO_CANARY, TO_METADATA, TO_LOCALHOST}

DOLLAR_JSONLD = {
    "@context": "https://schema.org", "@type": "NewsArticle", "headline": "Dollar und Punkt im JSON-LD",
    "$where": "sleep(10000)", "a.b": "punkt", "datePublished": "2025-03-01T10:00:00+01:00",
    "author": {"@type": "Person", "name": "Anna Muster", "$ref": "users", "x.y": 1},
    "publisher": {"@type": "Organization", "name": "Hostile News", "$id": "1", "logo.url": "x"},
    "image": {"@type": "ImageObject", "url": "https://img.example.org/bild.jpg", "$oid": "x", "caption": "Ein Bild"},
    "keywords": {"$ne": None}, "articleSection": {"$gt": ""},
}


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory, mongo_server):
    tmp = tmp_path_factory.mktemp("hostile-pages")
    token = f"XXE-SECRET-{uuid.uuid4().hex}"
    secret = tmp / "secret.txt"
    secret.write_text(token + "\n", encoding="utf-8")
    db = f"hostile_{uuid.uuid4().hex[:12]}"
    with HostileServer(host="127.0.0.2") as canary, HostileServer() as localhost_canary:
        xxe_dtd = (f'<!DOCTYPE html [<!ENTITY xxe SYSTEM "file://{secret}">'
                   f'<!ENTITY ssrf SYSTEM "{canary.base}/xxe-entity">'
                   f'<!ENTITY % remote SYSTEM "{canary.base}/xxe-dtd"> %remote;]>')
        xxe_extra = "<p>Geheim: &xxe; Anfrage: &ssrf;</p>"
        routes = {
            GOOD: static(page("Gute Meldung aus dem Rathaus").encode()),
            XXE_HTML: static(page("XXE in einer Seite", prolog=xxe_dtd, body_extra=xxe_extra).encode()),
            XXE_XHTML: static(page("XXE in einer XHTML-Seite", prolog='<?xml version="1.0" encoding="utf-8"?>\n'
                                   + xxe_dtd, body_extra=xxe_extra).encode(), "application/xhtml+xml"),
            LAUGHS: static(page("Milliarde Lacher", prolog=entity_bomb_dtd("html"),
                                body_extra="<p>&lol9;</p>").encode()),
            BOMB: static(gzip_bomb(1024 * 1024 * 1024), Content_Encoding="gzip"),
            SLOW_BODY: trickle_body(),
            SLOW_HEADERS: trickle_headers(),
            HUGE_LENGTH: stream(50 * 1024 * 1024, with_length=True),
            HUGE_STREAM: stream(50 * 1024 * 1024, with_length=False),
            OVER_WARNSIZE: static(page("Große Seite mit langem Kommentar",
                                       body_extra="<!--" + "k" * 2 * WARNSIZE + "-->").encode()),
            DOLLAR_KEYS: static(page("Dollar und Punkt im JSON-LD", head='<script type="application/ld+json">'
                                     + json.dumps(DOLLAR_JSONLD) + "</script>").encode()),
            # charsets
            CS_META_1252: static(page("Gemeinderäte beschließen Förderung", head='<meta charset="windows-1252">')
                                 .encode("cp1252"), "text/html"),
            CS_WRONG_HEADER: static(page("Falscher Zeichensatz für Gemeinderäte").encode("cp1252"),
                                    "text/html; charset=utf-8"),
            CS_UTF16: static(page("Zeichensatz UTF-16 für Gemeinderäte", head='<meta charset="utf-8">')
                             .encode("utf-16"), "text/html"),
            CS_MIXED: static(page("Gemischter Zeichensatz für Gemeinderäte").encode().replace(
                "Mieterinnen".encode(), "Mieter\xe4innen".encode("cp1252")), "text/html; charset=utf-8"),
            CS_UNKNOWN: static(page("Unbekannter Zeichensatz für Gemeinderäte", head='<meta charset="utf-8">')
                               .encode(), "text/html; charset=x-no-such-charset"),
            # other hosts
            TO_CANARY: redirect(f"{canary.base}/news/gestohlen-600001"),
            TO_METADATA: redirect("http://169.254.169.254/latest/meta-data/iam/security-credentials/news-600002"),
            TO_LOCALHOST: redirect(f"http://localhost:{localhost_canary.port}/news/gestohlen-600003"),
        }
        with HostileServer(routes) as site:
            urls = tmp / "urls.txt"
            urls.write_text("".join(f"{site.base}{path}\n" for path in routes), encoding="utf-8")
            out = tmp / "items.jsonl"
            started = time.monotonic()
            result = run_scrapy(
                "crawl", "article", "-a", f"urls={urls}", "-O", str(out),
                "-s", f"DOWNLOAD_TIMEOUT={TIMEOUT}", "-s", "RETRY_TIMES=1", "-s", "NEWSCRAWL_RETRY_BACKOFF=0.2",
                "-s", f"DOWNLOAD_WARNSIZE={WARNSIZE}", "-s", "MEMUSAGE_CHECK_INTERVAL_SECONDS=0.2",
                env={"MONGO_URI": mongo_server, "MONGO_DATABASE": db, "NEWSCRAWL_SPOOL": str(tmp / "spool.jsonl")},
                timeout=150)
            elapsed = time.monotonic() - started
    with MongoClient(mongo_server, serverSelectionTimeoutMS=5000) as client:
        docs = list(client[db]["articles"].find({}, {"_id": 0}))
        client.drop_database(db)
    items = read_jsonl(out) if out.exists() else []
    yield {"result": result, "log": result.stderr, "stats": crawl_stats(result.stderr), "elapsed": elapsed,
           "items": {item["url"].removeprefix(site.base): item for item in items}, "jsonl": out,
           "docs": {doc["url"].removeprefix(site.base): doc for doc in docs}, "site": site, "canary": canary,
           "localhost_canary": localhost_canary, "token": token, "base": site.base}


def test_the_run_ends_cleanly_in_bounded_time_and_memory(hostile_run):
    run, stats = hostile_run, hostile_run["stats"]
    assert run["result"].returncode == 0, run["log"][-3000:]
    assert stats["finish_reason"] == "finished"
    assert "spider_exceptions" not in " ".join(stats) and "Error processing" not in run["log"]
    assert "newscrawl/skipped/extract_crashed" not in stats
    assert run["elapsed"] < 120  # trickled pages end at the timeout: seconds, not the server's 60 s budget
    assert stats["memusage/max"] < MEMORY_BOUND, stats["memusage/max"]
    assert GOOD in run["docs"] and run["items"][GOOD]["headline"] == "Gute Meldung aus dem Rathaus"
    assert "newscrawl/store/spooled" not in stats and "newscrawl/store/write_errors" not in stats
    # Every output is strict UTF-8 JSON without lone surrogates.
    for line in run["jsonl"].read_bytes().splitlines():
        json.dumps(json.loads(line.decode("utf-8")), ensure_ascii=False).encode("utf-8")


@pytest.mark.parametrize("path", [XXE_HTML, XXE_XHTML])
def test_xxe_in_a_page_reads_no_file_and_contacts_no_host(hostile_run, path):
    run = hostile_run
    assert path in run["docs"], run["log"][-3000:]  # the page itself is an article and is stored
    doc = run["docs"][path]
    assert doc["headline"].startswith("XXE in einer") and doc["body"][0] == PARAGRAPHS[0]
    everything = json.dumps(doc, ensure_ascii=False) + run["jsonl"].read_text(encoding="utf-8") + run["log"]
    assert run["token"] not in everything  # the file entity was never read
    assert run["canary"].hits() == []      # neither the general entity nor the external DTD was fetched


def test_billion_laughs_in_a_page_is_not_expanded(hostile_run):
    run = hostile_run
    assert LAUGHS in run["docs"], run["log"][-3000:]
    doc = run["docs"][LAUGHS]
    assert doc["headline"] == "Milliarde Lacher"
    assert len(json.dumps(doc)) < 100_000 and "lollollol" not in json.dumps(doc)


def test_a_gzip_bomb_page_is_dropped_after_at_most_download_maxsize_inflated(hostile_run):
    run = hostile_run
    hits = run["site"].hits(BOMB)
    assert len(hits) == 1 and hits[0].complete  # ~1 MB sent, never retried
    m = re.search(rf"Ignored response <200 {re.escape(run['base'] + BOMB)}> because its body \((\d+) B compressed, "
                  rf"(\d+) B decompressed so far\) exceeded DOWNLOAD_MAXSIZE \({MAXSIZE} B\)", run["log"])
    assert m, run["log"][-3000:]
    assert int(m.group(1)) < 2 * 1024 * 1024 and int(m.group(2)) <= MAXSIZE + 1024 * 1024  # inflated in bounded steps
    assert BOMB not in run["items"] and BOMB not in run["docs"]
    assert run["stats"].get("downloader/response_bytes", 0) < 64 * 1024 * 1024


@pytest.mark.parametrize("path", [SLOW_BODY, SLOW_HEADERS])
def test_a_trickled_response_is_abandoned_at_the_download_timeout(hostile_run, path):
    run = hostile_run
    hits = run["site"].hits(path)
    assert len(hits) == 2, hits  # the first try and one retry, no more
    for hit in hits:
        assert not hit.complete and hit.hung_up  # the crawler closed the connection, not the server
        took = hit.ended - hit.started
        assert TIMEOUT - 0.5 < took < TIMEOUT + 10, took  # at DOWNLOAD_TIMEOUT, far from the 60 s drip budget
        assert hit.sent < 100
    assert f"Getting {run['base']}{path} took longer than {float(TIMEOUT)} seconds" in run["log"]
    assert path not in run["items"]
    assert run["stats"]["retry/max_reached"] >= 2


@pytest.mark.parametrize("path", [HUGE_LENGTH, HUGE_STREAM])
def test_a_50_mb_page_is_not_downloaded_past_download_maxsize(hostile_run, path):
    run = hostile_run
    hits = run["site"].hits(path)
    assert hits and all(hit.hung_up and not hit.complete for hit in hits)  # the crawler hung up
    assert all(hit.sent < MAXSIZE + 16 * 1024 * 1024 for hit in hits), [hit.sent for hit in hits]  # + socket buffers
    prefix = "Expected to receive 52428800" if path == HUGE_LENGTH else r"Received \d+"
    assert re.search(rf"{prefix} bytes which is larger than download max size \({MAXSIZE}\) in request "
                     rf"<GET {re.escape(run['base'] + path)}>", run["log"]), run["log"][-3000:]
    assert path not in run["items"]


def test_a_page_over_the_warn_size_is_logged_and_still_extracted(hostile_run):
    run = hostile_run
    assert re.search(rf"Expected to receive \d+ bytes which is larger than download warn size \({WARNSIZE}\) in "
                     rf"request <GET {re.escape(run['base'] + OVER_WARNSIZE)}>", run["log"])
    assert run["docs"][OVER_WARNSIZE]["headline"] == "Große Seite mit langem Kommentar"


@pytest.mark.parametrize("path, headline", [
    (CS_META_1252, "Gemeinderäte beschließen Förderung"),            # declared only in <meta>: read right
    (CS_UTF16, "Zeichensatz UTF-16 für Gemeinderäte"),               # the BOM wins over a lying <meta>
    (CS_UNKNOWN, "Unbekannter Zeichensatz für Gemeinderäte"),        # an unknown header charset: <meta> used
    (CS_MIXED, "Gemischter Zeichensatz für Gemeinderäte"),           # UTF-8 with one stray cp1252 byte
    (CS_WRONG_HEADER, "Falscher Zeichensatz f\ufffdr Gemeinder\ufffdte"),  # header says UTF-8, bytes are cp1252
], ids=["meta-cp1252", "utf16-bom", "unknown-charset", "mixed", "wrong-header"])
def test_charsets_decode_to_valid_text(hostile_run, path, headline):
    run = hostile_run
    assert path in run["docs"], run["log"][-3000:]
    doc = run["docs"][path]
    assert doc["headline"] == headline and run["items"][path]["headline"] == headline
    assert all(isinstance(p, str) and p for p in doc["body"]) and len(doc["body"]) == 3
    if path == CS_MIXED:  # only the stray byte is lost, the UTF-8 around it is intact
        assert doc["body"][1].startswith("Die Mieter\ufffdinnen und Mieter sollen über")


def test_dollar_and_dot_keys_in_json_ld_never_become_field_names(hostile_run):
    run = hostile_run
    assert DOLLAR_KEYS in run["docs"], run["log"][-3000:]
    doc = run["docs"][DOLLAR_KEYS]
    bad = {k for k in keys_of(doc) if k.startswith("$") or "." in k}
    assert not bad, bad
    assert doc["authors"] == ["Anna Muster"]  # the JSON-LD was read, only its values taken
    assert doc["published"] == "2025-03-01T10:00:00+01:00"
    assert all(isinstance(k, str) for k in doc["keywords"]) and isinstance(doc["section"], (str, type(None)))
    assert "newscrawl/dropped/bad_key" not in run["stats"]


def test_redirects_to_other_hosts_are_never_followed(hostile_run):
    run = hostile_run
    assert run["canary"].hits() == [] and run["localhost_canary"].hits() == []
    for path in SSRF_TARGETS:
        assert [hit.complete for hit in run["site"].hits(path)] == [True]  # the 302 was served
        assert path not in run["items"]
    assert offsite_drops(run["stats"]) == len(SSRF_TARGETS)
    # Every request the downloader sent reached the site itself: none was even tried elsewhere.
    assert run["stats"]["downloader/request_count"] == len(run["site"].hits())
    assert "169.254.169.254" not in " ".join(run["stats"])  # no download was tried there (no exception stat)
    assert not re.search(r"(Crawled|Retrying|Gave up retrying|Error downloading).*169\.254\.169\.254", run["log"])

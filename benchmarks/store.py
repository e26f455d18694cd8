"""Store and dedup throughput on a MongoDB-wire server, measured side by side in one run; and what versions cost.

    python benchmarks/store.py [--items 10000] [--rounds 3]
    python benchmarks/store.py versions [--items 10000] [--revisions 5] [--rounds 3]

Starts SecantusDB on a free loopback port (or uses ``MONGO_URI``), then for N synthetic articles measures
items/s of (a) the store pipeline with buffered ``bulk_write`` upserts, (b) one ``update_one`` per item
with the same filter and update documents, and the dedup pipeline's items/s against MongoDB and against the
embedded SQLite store. Rounds alternate a/b on fresh databases; medians are printed with the ratio a/b.

``versions``: the store pipeline writes N records made from the mirror's articles (tests/site/heute/s/*.expected.json,
given ids of their own) as successive revisions — N/R articles, each written R times with heute-style edits (an
"Update um" paragraph, a headline rewritten, the lead image replaced, an author added, a paragraph corrected) and
the ``changes`` newscrawl.versions.changes.diff gives — with article versions on and off
(NEWSCRAWL_VERSIONS_ENABLED), to MongoDB-wire and to the embedded SQLite store, in one run. Printed: records/s
(medians over alternating rounds on fresh databases), the ratio on/off (the median of each round's, on and off
measured next to each other), and the bytes each version takes
(SQLite: the file's growth over the same run without versions, per version; MongoDB: article_versions'
collStats storageSize + totalIndexSize per version, and its avgObjSize).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pymongo import MongoClient  # noqa: E402
from scrapy.exceptions import DropItem  # noqa: E402

from newscrawl.pipelines.dedup import DedupPipeline  # noqa: E402
from newscrawl.pipelines.store import StorePipeline  # noqa: E402
from newscrawl.records import content_hash  # noqa: E402
from newscrawl.store import MongoStore, build_record  # noqa: E402
from newscrawl.versions.changes import diff  # noqa: E402
from tests.conftest import free_port, wait_for_mongo  # noqa: E402
from tests.project_crawler import project_crawler  # noqa: E402

WORDS = ("Wien Regierung Wetter Unwetter Hofer Netflix Bundesland Polizei Feuerwehr Gemeinde Stadt Bahn "
         "Preis Teuerung Schule Kinder Sommer Hitze Gewitter Warnstufe Verkehr Stau Unfall").split()


def synthetic_article(i: int) -> dict:
    text = lambda n, k: " ".join(WORDS[(i * 7 + j * 3 + k) % len(WORDS)] for j in range(n))  # noqa: E731
    entries = [{"position": p, "image_url": f"https://img.example/{i}/{p}.jpeg", "caption": text(20, p),
                "caption_html": None, "credits": ["APA"], "credit_raw": "Foto: APA", "date": None, "title": None,
                "teaser": None, "link_url": None, "linked_article_id": str(120000000 + (i + p) % 500)}
               for p in range(1, 11)] if i % 5 == 0 else []
    item = {
        "url": f"https://www.heute.at/s/artikel-{120000000 + i}", "canonical_url": f"https://www.heute.at/s/artikel-{120000000 + i}",
        "site": "heute", "article_id": str(120000000 + i), "headline": text(10, 1), "kicker": "Wien",
        "section": "Wien", "lead": text(30, 2), "body": [text(60, k) for k in range(12)], "subheadings": [text(5, 9)],
        "authors": ["Anna Muster"], "source": None, "published": "2025-06-27T20:04:00+02:00",
        "published_raw": "27.06.2025, 20:04", "modified": None, "modified_raw": None, "language": "de",
        "keywords": ["Wien"], "lead_image": {"url": f"https://img.example/{i}.jpeg", "caption": text(15, 3), "alt": None,
                                              "credits": ["Getty Images"], "credit_raw": "Getty Images"},
        "images": [], "galleries": [{"title": None, "size": 10, "entries": entries}] if entries else [],
        "comment_count": None,
        "fetched_at": "2026-11-28T06:00:00+00:00", "revision": 1, "content_hash": None,
        "field_sources": {"headline": "html"}, "extractor": {"name": "newscrawl"},
    }
    item["content_hash"] = content_hash(item)
    return item


async def run_pipeline(pipeline, items) -> float:
    await pipeline.open_spider()
    t0 = time.perf_counter()
    for item in items:
        try:
            await pipeline.process_item(dict(item))
        except DropItem:
            pass
    await pipeline.close_spider()
    return len(items) / (time.perf_counter() - t0)


def crawler_for(settings: dict):
    return project_crawler(**settings)


def bulk_store(uri: str, items) -> float:
    db = f"bench_{uuid.uuid4().hex[:8]}"
    crawler = crawler_for({"MONGO_URI": uri, "MONGO_DATABASE": db, "NEWSCRAWL_STORE_BUFFER_SIZE": 500,
                           "NEWSCRAWL_STORE_FLUSH_INTERVAL": 0})
    rate = asyncio.run(run_pipeline(StorePipeline.from_crawler(crawler), items))
    assert crawler.stats.get_value("newscrawl/store/written") == len(items), crawler.stats.get_stats()
    return rate


def one_by_one(uri: str, items) -> float:
    db = f"bench_{uuid.uuid4().hex[:8]}"
    store = MongoStore(uri, database=db)
    store.open()
    try:
        t0 = time.perf_counter()
        for item in items:
            rec = build_record(item, item["fetched_at"])
            op = store._article_op(rec)
            store.articles.update_one(op._filter, op._doc, upsert=True)
            for ekey, entry in rec.gallery_entries:  # what the store did before batching slides per flush
                store.entries.update_one({"key": ekey}, {"$set": {**entry, "key": ekey}, "$max": {"last_seen": rec.seen_at},
                                                         "$setOnInsert": {"first_seen": rec.seen_at},
                                                         "$addToSet": {"articles": rec.key}}, upsert=True)
        rate = len(items) / (time.perf_counter() - t0)
        assert store.count() == len(items)
        return rate
    finally:
        store.close()


def dedup_rate(settings: dict, items) -> float:
    crawler = crawler_for(settings)
    return asyncio.run(run_pipeline(DedupPipeline.from_crawler(crawler), items))


def throughput(args, uri: str, tmp) -> None:
    items = [synthetic_article(i) for i in range(args.items)]
    bulk, single, dedup_mongo, dedup_sqlite = [], [], [], []
    for r in range(args.rounds):
        order = (bulk_store, one_by_one) if r % 2 == 0 else (one_by_one, bulk_store)
        for fn in order:
            (bulk if fn is bulk_store else single).append(fn(uri, items))
        dedup_mongo.append(dedup_rate({"MONGO_URI": uri, "MONGO_DATABASE": f"bench_{uuid.uuid4().hex[:8]}"}, items))
        dedup_sqlite.append(dedup_rate({"NEWSCRAWL_STATE": f"{tmp.name}/dedup{r}.sqlite3"}, items))
        print(f"round {r + 1}: bulk {bulk[-1]:.0f}/s, update_one {single[-1]:.0f}/s", flush=True)
    b, s = statistics.median(bulk), statistics.median(single)
    print(f"\n{args.items} synthetic articles (every 5th with a 10-slide news gallery), {args.rounds} rounds, medians:")
    print("| measurement | items/s |")
    print("|---|---|")
    print(f"| store pipeline, buffered bulk upserts (MongoDB-wire) | {b:,.0f} |")
    print(f"| one update_one per item (same documents) | {s:,.0f} |")
    print(f"| ratio bulk / update_one | {b / s:.1f}x |")
    print(f"| dedup pipeline vs MongoDB-wire (lookup per new item) | {statistics.median(dedup_mongo):,.0f} |")
    print(f"| dedup pipeline vs embedded SQLite | {statistics.median(dedup_sqlite):,.0f} |")



# -- versions mode ------------------------------------------------------------------------------------------------

MIRROR_ARTICLES = Path(__file__).resolve().parent.parent / "tests" / "site" / "heute" / "s"


def edited(item: dict, revision: int, k: int) -> dict:
    """``item`` as its ``revision``-th stored state: the edits heute makes to published articles, one more each time."""
    item = json.loads(json.dumps(item))
    for r in range(2, revision + 1):
        edit = (r - 2) % 4
        if edit == 0:
            item["body"] = [*item["body"], f"Update um {8 + r}.{k % 60:02d} Uhr: Die Polizei bestätigte am Nachmittag "
                            f"weitere Details, die Ermittlungen laufen (Meldung {r})."]
        elif edit == 1:
            item["headline"] = f"{item['headline']} – jetzt spricht die Polizei"
        elif edit == 2 and item.get("lead_image"):
            item["lead_image"] = {**item["lead_image"], "url": item["lead_image"]["url"].replace(".", f".r{r}.", 1)}
        else:
            item["authors"] = [*(item.get("authors") or []), f"Redakteurin {r}"]
            if item["body"]:
                item["body"] = [item["body"][0] + " (korrigiert)", *item["body"][1:]]
    return item


def revision_items(n: int, revisions: int) -> list[dict]:
    """``n`` records: n/revisions articles made from the mirror's, each as revisions 1..R (all revision 1 first)."""
    templates = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(MIRROR_ARTICLES.glob("*.expected.json"))]
    articles = max(1, n // revisions)
    out, previous = [], {}
    for revision in range(1, revisions + 1):
        for k in range(articles):
            base = templates[k % len(templates)]
            article_id = str(300000000 + k)
            url = f"https://www.heute.at/s/artikel-{article_id}"
            item = {**edited(base, revision, k), "article_id": article_id, "url": url, "canonical_url": url,
                    "fetched_at": f"2026-03-0{1 + revision % 9}T08:{k // 60 % 60:02d}:{k % 60:02d}+00:00",
                    "revision": revision, "field_sources": {}, "extractor": {"name": "newscrawl"}}
            item["changes"] = diff(previous[k], item) if revision > 1 else None
            item["content_hash"] = content_hash(item)
            previous[k] = item
            out.append(item)
    return out


def store_run(settings: dict, items: list[dict]) -> float:
    crawler = crawler_for({**settings, "NEWSCRAWL_STORE_BUFFER_SIZE": 500, "NEWSCRAWL_STORE_FLUSH_INTERVAL": 0})
    rate = asyncio.run(run_pipeline(StorePipeline.from_crawler(crawler), items))
    assert crawler.stats.get_value("newscrawl/store/written") == len(items), crawler.stats.get_stats()
    return rate


def sqlite_run(tmp, items, on: bool, label: str) -> tuple[float, int]:
    path = Path(tmp.name) / f"{label}.sqlite3"
    rate = store_run({"NEWSCRAWL_STATE": str(path), "NEWSCRAWL_VERSIONS_ENABLED": on}, items)
    size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))  # with any -wal left
    return rate, size


def mongo_run(uri: str, items, on: bool) -> tuple[float, dict]:
    db = f"bench_{uuid.uuid4().hex[:8]}"
    rate = store_run({"MONGO_URI": uri, "MONGO_DATABASE": db, "NEWSCRAWL_VERSIONS_ENABLED": on}, items)
    with MongoClient(uri) as client:
        stats = client[db].command("collStats", "article_versions") if on else {}
        client.drop_database(db)
    return rate, stats


def versions_cost(args, uri: str, tmp) -> None:
    items = revision_items(args.items, args.revisions)
    rates: dict[tuple[str, bool], list[float]] = {(s, on): [] for s in ("MongoDB-wire", "SQLite")
                                                  for on in (True, False)}
    sqlite_bytes: list[float] = []
    mongo_stats: list[dict] = []
    for r in range(args.rounds):
        sizes = {}
        for on in ((True, False) if r % 2 == 0 else (False, True)):
            rate, stats = mongo_run(uri, items, on)
            rates["MongoDB-wire", on].append(rate)
            if on:
                mongo_stats.append(stats)
            rate, sizes[on] = sqlite_run(tmp, items, on, f"versions-{r}-{on}")
            rates["SQLite", on].append(rate)
        sqlite_bytes.append((sizes[True] - sizes[False]) / len(items))
        done = ", ".join(f"{s} {'on' if on else 'off'} {v[-1]:.0f}/s" for (s, on), v in rates.items())
        print(f"round {r + 1}: {done}", flush=True)
    med = {k: statistics.median(v) for k, v in rates.items()}
    st = mongo_stats[-1]
    per_mongo = (st["storageSize"] + st.get("totalIndexSize", 0)) / st["count"]
    print(f"\n{len(items)} records = {len(items) // args.revisions} mirror articles x {args.revisions} revisions, "
          f"buffer 500, {args.rounds} rounds, medians:")
    print("| store | versions | records/s | ratio on/off | bytes per version |")
    print("|---|---|---|---|---|")
    for store in ("MongoDB-wire", "SQLite"):
        size = (f"{per_mongo:,.0f} (avgObjSize {st['avgObjSize']:,.0f})" if store == "MongoDB-wire"
                else f"{statistics.median(sqlite_bytes):,.0f}")
        ratio = statistics.median(on / off for on, off in zip(rates[store, True], rates[store, False]))
        print(f"| {store} | on | {med[store, True]:,.0f} | {ratio:.2f} | {size} |")
        print(f"| {store} | off | {med[store, False]:,.0f} | | |")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("mode", nargs="?", choices=("throughput", "versions"), default="throughput")
    ap.add_argument("--items", type=int, default=10_000)
    ap.add_argument("--revisions", type=int, default=5, help="versions mode: revisions per article")
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    proc, uri = None, os.environ.get("MONGO_URI")
    tmp = tempfile.TemporaryDirectory()
    if not uri:
        port = free_port()
        proc = subprocess.Popen([str(Path(sys.executable).with_name("secantusd-py")), "--host", "127.0.0.1",
                                 "--port", str(port), "--storage-path", f"{tmp.name}/db", "--log-level", "WARNING"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        uri = f"mongodb://127.0.0.1:{port}"
    try:
        wait_for_mongo(uri)
        (versions_cost if args.mode == "versions" else throughput)(args, uri, tmp)
        with MongoClient(uri) as client:
            for name in client.list_database_names():
                if name.startswith("bench_"):
                    client.drop_database(name)
    finally:
        if proc:
            proc.terminate()
            proc.wait(timeout=15)
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())

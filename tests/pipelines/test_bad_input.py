"""Items whose fields would break MongoDB: dropped with a counted reason or repaired, never a crash and never a
half-written record. Real items (extracted from mirror pages), the real pipelines, a real MongoDB-wire server."""

from __future__ import annotations

import asyncio
import copy

import pytest
from pymongo import MongoClient
from scrapy.exceptions import DropItem

from newscrawl.extract import extract
from newscrawl.pipelines.dedup import DedupPipeline
from newscrawl.pipelines.normalise import NormalisePipeline
from newscrawl.pipelines.store import StorePipeline
from newscrawl.pipelines.validate import ValidatePipeline
from tests.conftest import HEUTE_MIRROR, strings
from tests.project_crawler import project_crawler

GALLERY_PAGE = "100170609"  # has a 65-slide gallery
PLAIN_PAGE = "100148088"


def article(article_id: str = GALLERY_PAGE):
    html = (HEUTE_MIRROR / "s" / f"{article_id}.html").read_bytes()
    return extract(html, f"https://www.heute.at/s/x-{article_id}")


def crawler(**settings):
    return project_crawler(**settings)


def validated(item, c=None):
    c = c or crawler()
    return ValidatePipeline.from_crawler(c).process_item(item), c


@pytest.mark.parametrize("key", ["lead_image.credits", "$where", "a.b.c", "x$y", "nul\x00key"])
def test_a_key_mongodb_cannot_store_drops_the_item_with_reason_bad_key(key):
    item = article()
    item.field_sources[key] = "html"
    c = crawler()
    with pytest.raises(DropItem, match="bad_key"):
        ValidatePipeline.from_crawler(c).process_item(item)
    assert c.stats.get_value("newscrawl/dropped/bad_key") == 1
    assert c.stats.get_value("newscrawl/validated") is None


def test_nul_characters_are_stripped_everywhere_and_counted():
    item = article()
    item.headline = "Bakterien\x00 – Hofer"
    item.body[0] = "\x00" + item.body[0] + "\x00"
    item.lead_image.caption = "Eine\x00 Hofer-Filiale"
    item.galleries[0].entries[3].caption_html = "<strong>\x00fett</strong>"  # kept verbatim otherwise
    item.authors.append("A\x00B")
    out, c = validated(item)
    assert not any("\x00" in s for s in strings(out))
    assert out.headline == "Bakterien – Hofer" and out.lead_image.caption == "Eine Hofer-Filiale"
    assert out.galleries[0].entries[3].caption_html == "<strong>fett</strong>" and out.authors[-1] == "AB"
    assert c.stats.get_value("newscrawl/repaired/nul") == 5
    assert c.stats.get_value("newscrawl/validated") == 1


def test_an_oversized_document_is_dropped_with_reason_oversized():
    item = article(PLAIN_PAGE)
    item.body = item.body + ["x" * 1024 * 1024] * 16  # 16 MiB of text: over MongoDB's 16 MiB limit
    c = crawler()
    with pytest.raises(DropItem, match=r"oversized: \d+ bytes as BSON, over the 15728640 byte limit"):
        ValidatePipeline.from_crawler(c).process_item(item)
    assert c.stats.get_value("newscrawl/dropped/oversized") == 1
    # The limit is a setting; the same item under a higher one passes.
    out, c2 = validated(item, crawler(NEWSCRAWL_MAX_DOCUMENT_BYTES=64 * 1024 * 1024))
    assert c2.stats.get_value("newscrawl/validated") == 1


@pytest.mark.parametrize("values", [
    [0] * 100_000, [""] * 100_000, [[]] * 100_000, [{}] * 100_000, [None] * 100_000, [2 ** 40] * 10_000,
    [True] * 100_000, [{"a": [0, ""]}] * 20_000,
], ids=["ints", "empty-strings", "empty-lists", "empty-dicts", "nulls", "int64", "bools", "nested"])
def test_the_json_size_shortcut_bounds_bson_size_even_for_tiny_values(values):
    """check_size skips the BSON encoding when 10x the JSON size is under the limit: BSON must never be
    larger than that, even for arrays of tiny values where its per-entry overhead is largest."""
    import bson
    import orjson
    from newscrawl.pipelines.validate import BSON_PER_JSON_BYTE
    document = {"keywords": values}
    assert len(bson.encode(document)) <= BSON_PER_JSON_BYTE * len(orjson.dumps(document))


def test_a_document_of_many_tiny_values_over_the_limit_is_still_dropped():
    item = article(PLAIN_PAGE)
    item.field_sources = {f"f{i}": "" for i in range(20_000)}  # ~150 KB of JSON, ~250 KB of BSON
    c = crawler(NEWSCRAWL_MAX_DOCUMENT_BYTES=200_000)
    with pytest.raises(DropItem, match=r"oversized: \d+ bytes as BSON, over the 200000 byte limit"):
        ValidatePipeline.from_crawler(c).process_item(item)


def test_a_value_bson_cannot_encode_is_dropped_as_not_storable_not_passed_by_the_shortcut():
    from decimal import Decimal
    item = article(PLAIN_PAGE)
    item.comment_count = Decimal("3")  # BSON cannot encode a Decimal
    item.extractor = {"name": "newscrawl", "when": {1, 2}}  # a set: neither
    c = crawler()
    with pytest.raises(DropItem, match="not_storable"):
        ValidatePipeline.from_crawler(c).process_item(item)
    assert c.stats.get_value("newscrawl/dropped/not_storable") == 1
    assert not [k for k in c.stats.get_stats() if "unusual" in k]


def test_absurd_numbers_lone_surrogates_bad_dates_and_bad_lists_are_repaired():
    item = article()
    item.galleries[0].size = 10 ** 30  # "1/1000000000000000000000000000000": not a 64-bit integer
    item.comment_count = -(2 ** 70)
    item.lead = "Teaser \ud800 kaputt"
    item.published = "2999-99-99T99:99"
    item.modified = "gestern"
    item.galleries[0].entries[0].date = "31.02.2024"
    item.keywords = "Hofer"
    item.authors = ["Anna", None, 7]
    out, c = validated(item)
    assert out.galleries[0].size is None and out.comment_count is None
    assert out.lead == "Teaser ? kaputt"
    assert out.published is None and out.modified is None and out.published_raw  # the raw text stays
    assert out.galleries[0].entries[0].date is None
    assert out.keywords == ["Hofer"] and out.authors == ["Anna"]
    stats = c.stats.get_stats()
    assert (stats["newscrawl/repaired/int_range"], stats["newscrawl/repaired/surrogate"],
            stats["newscrawl/repaired/bad_date"], stats["newscrawl/repaired/bad_list"]) == (2, 1, 3, 2)


def test_a_real_item_passes_unchanged():
    item = article()
    before = copy.deepcopy(item)
    out, c = validated(item)
    assert out == before
    assert not [k for k in c.stats.get_stats() if k.startswith(("newscrawl/repaired", "newscrawl/dropped"))]


def test_through_every_pipeline_into_mongodb_only_whole_storable_records_arrive(mongo_db, tmp_path):
    """validate -> normalise -> dedup -> store in-process against the real server: the good and the repaired
    items are stored whole, the bad-key and oversized ones not at all, nothing is spooled."""
    uri, db = mongo_db
    c = crawler(MONGO_URI=uri, MONGO_DATABASE=db, NEWSCRAWL_STORE_FLUSH_INTERVAL=0, NEWSCRAWL_SPOOL=str(tmp_path / "spool.jsonl"))
    good = article(PLAIN_PAGE)
    repaired = article(GALLERY_PAGE)
    repaired.body[0] += "\x00"
    repaired.galleries[0].size = 10 ** 30
    bad_key = article("120053546")
    bad_key.field_sources["body.0"] = "html"
    oversized = article("100124532")
    oversized.body = ["y" * 1024 * 1024] * 16

    async def run() -> list[str]:
        pipes = [ValidatePipeline.from_crawler(c), NormalisePipeline.from_crawler(c), DedupPipeline.from_crawler(c),
                 StorePipeline.from_crawler(c)]
        await asyncio.gather(pipes[2].open_spider(), pipes[3].open_spider())
        outcomes = []
        for item in (good, repaired, bad_key, oversized):
            try:
                for pipe in pipes:
                    item = pipe.process_item(item)
                    if asyncio.iscoroutine(item):
                        item = await item
                outcomes.append("stored")
            except DropItem as exc:
                outcomes.append(str(exc).split(":")[0])
        await asyncio.gather(pipes[2].close_spider(), pipes[3].close_spider())
        return outcomes

    assert asyncio.run(run()) == ["stored", "stored", "bad_key", "oversized"]
    stats = c.stats.get_stats()
    assert stats["newscrawl/store/written"] == 2 and "newscrawl/store/spooled" not in stats
    with MongoClient(uri, serverSelectionTimeoutMS=5000) as client:
        docs = {d["key"]: d for d in client[db]["articles"].find({}, {"_id": 0})}
    assert sorted(docs) == sorted([f"heute:{PLAIN_PAGE}", f"heute:{GALLERY_PAGE}"])
    stored = docs[f"heute:{GALLERY_PAGE}"]
    assert not stored["body"][0].endswith("\x00") and stored["galleries"][0]["size"] is None
    assert len(stored["galleries"][0]["entries"]) == len(repaired.galleries[0].entries)  # whole, slides and all
    assert not (tmp_path / "spool.jsonl").exists()

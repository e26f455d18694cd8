"""Validate: drop items that cannot be stored or deduplicated, repair what would break a store or a reader.

Drops, each counted under ``newscrawl/dropped/<reason>`` and logged with the URL:

- ``no_url``, ``no_headline``, ``no_key`` (neither site+article_id nor canonical_url);
- ``bad_key``: a dict field (``field_sources``, ``extractor``, ...) has a key MongoDB cannot store as a
  field name — one containing ``.`` or ``$``, a NUL character, or not a string;
- ``oversized``: the item's BSON encoding is larger than ``NEWSCRAWL_MAX_DOCUMENT_BYTES`` (15 MiB by
  default; MongoDB refuses documents over 16 MiB). The whole item is measured, gallery slides included,
  although the store keeps those in their own documents: the margin is on the safe side;
- ``not_storable``: anything else BSON cannot encode (what the repairs below did not cover).

Repairs, counted under ``newscrawl/repaired/<what>``; the item goes on:

- ``nul``: NUL characters removed from strings (MongoDB and many readers choke on them);
- ``surrogate``: lone surrogates (not encodable as UTF-8) replaced by ``?``;
- ``int_range``: integers outside BSON's 64-bit range (an absurd gallery counter) set to null;
- ``bad_date``: ``published``, ``modified`` or ``fetched_at`` that is not ISO 8601 with a UTC offset, or
  a slide ``date`` that is not an ISO date, set to null (the ``*_raw`` text stays);
- ``bad_list``: a list-of-text field (``body``, ``subheadings``, ``authors``, ``keywords``, ``credits``)
  holding something else: non-text entries removed, a lone string wrapped, null made ``[]``.

Dropped items never reach the store, so no record is half written. Switched off with
``NEWSCRAWL_VALIDATE_ENABLED = False``.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from typing import Any

import bson
import orjson
from itemadapter import ItemAdapter
from scrapy.exceptions import NotConfigured

from ..exceptions import Dropped
from ..records import item_dict

INT64 = 2 ** 63
LIST_OF_TEXT = frozenset({"body", "subheadings", "authors", "keywords", "credits"})
DATETIME_FIELDS = frozenset({"published", "modified", "fetched_at"})
METADATA_MAPS = frozenset({"field_sources", "extractor"})  # free-form str -> str maps
RESHAPED = LIST_OF_TEXT | DATETIME_FIELDS | {"date"}  # the fields reshape() looks at
UNUSUAL = "_unusual_type"  # counted by repair_field for values other than JSON types; not a repair
# BSON bytes per JSON byte at most: a tiny array entry ("1," in JSON) costs a type byte, an index key and an
# 8-byte integer in BSON; strings cost the same UTF-8 bytes in both.
BSON_PER_JSON_BYTE = 10


class BadKey(ValueError):
    pass


def drop(crawler, reason: str, detail: str) -> Dropped:
    crawler.stats.inc_value(f"newscrawl/dropped/{reason}")
    return Dropped(reason, detail)


def is_iso_datetime_with_offset(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        return datetime.fromisoformat(value).utcoffset() is not None
    except ValueError:
        return False


def is_iso_date(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        date.fromisoformat(value)
        return True
    except ValueError:
        return False


def repair_text(value: str, repaired: Counter) -> str:
    if "\x00" in value:
        value = value.replace("\x00", "")
        repaired["nul"] += 1
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            value = value.encode("utf-8", "replace").decode("utf-8")
            repaired["surrogate"] += 1
    return value


def _plain_text(value: Any) -> bool:
    """ASCII text without NUL: nothing to repair (most values; checked without a call to repair_field)."""
    return type(value) is str and "\x00" not in value and value.isascii()


def repair_field(name: str | None, value: Any, repaired: Counter) -> Any:
    """``value`` made storable, and shaped as the field ``name`` (of an item, image, gallery or slide)
    requires (see the module doc); raises :class:`BadKey`. List entries are repaired, not reshaped."""
    cls = type(value)  # exact types first: an article with a 50-slide gallery has ~1,000 values
    if cls is str:
        value = repair_text(value, repaired)
    elif value is None or cls is bool:
        pass
    elif cls is list:
        value = [v if _plain_text(v) else repair_field(None, v, repaired) for v in value]
    elif (names := getattr(cls, "__dataclass_fields__", None)) is not None:
        for f in names:
            v = getattr(value, f)
            if f in RESHAPED or not (v is None or _plain_text(v)):
                setattr(value, f, repair_field(f, v, repaired))
    elif isinstance(value, str):
        value = repair_text(value, repaired)
    elif isinstance(value, int):
        if not -INT64 <= value < INT64:
            repaired["int_range"] += 1
            value = None
    elif isinstance(value, (list, tuple)):
        value = [repair_field(None, v, repaired) for v in value]
    elif isinstance(value, dict):
        for key in value:
            if not isinstance(key, str) or "." in key or "$" in key or "\x00" in key:
                raise BadKey(f"{name or 'a dict'} has the key {key!r}")
        # An image, gallery or slide as a plain dict is shaped by its keys; metadata maps are not.
        shape = name not in METADATA_MAPS
        value = {k: repair_field(k if shape else None, v, repaired) for k, v in value.items()}
    elif not isinstance(value, float):
        repaired[UNUSUAL] += 1  # a set, a date, a Decimal...: check_size asks BSON itself
    return reshape(name, value, repaired) if name in RESHAPED else value


def reshape(name: str | None, value: Any, repaired: Counter) -> Any:
    if name in LIST_OF_TEXT:
        if value is None:
            repaired["bad_list"] += 1
            return []
        if isinstance(value, str):
            repaired["bad_list"] += 1
            return [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            repaired["bad_list"] += 1
            return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
    elif name in DATETIME_FIELDS:
        if value is not None and not is_iso_datetime_with_offset(value):
            repaired["bad_date"] += 1
            return None
    elif name == "date":
        if value is not None and not is_iso_date(value):
            repaired["bad_date"] += 1
            return None
    return value


class ValidatePipeline:
    def __init__(self, crawler, max_document_bytes: int):
        self.crawler = crawler
        self.max_document_bytes = max_document_bytes

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("NEWSCRAWL_VALIDATE_ENABLED"):
            raise NotConfigured("NEWSCRAWL_VALIDATE_ENABLED is off")
        return cls(crawler, crawler.settings.getint("NEWSCRAWL_MAX_DOCUMENT_BYTES"))

    def process_item(self, item):
        adapter = ItemAdapter(item)
        url = adapter.get("url")
        if not url or not isinstance(url, str):
            raise drop(self.crawler, "no_url", "item has no url")
        headline = adapter.get("headline")
        if not isinstance(headline, str) or not headline.replace("\x00", "").strip():
            raise drop(self.crawler, "no_headline", f"no headline at {url}")
        if not (adapter.get("site") and adapter.get("article_id")) and not adapter.get("canonical_url"):
            raise drop(self.crawler, "no_key", f"neither article id nor canonical URL at {url}")
        unusual = self.repair(adapter, url)
        self.check_size(adapter, url, exact=unusual)
        self.crawler.stats.inc_value("newscrawl/validated")
        return item

    def repair(self, adapter: ItemAdapter, url: str) -> bool:
        """Repairs the item in place; True when it holds values of other than JSON types."""
        repaired: Counter = Counter()
        try:
            for name in adapter.field_names():
                if name in adapter:
                    adapter[name] = repair_field(name, adapter[name], repaired)
        except BadKey as exc:
            raise drop(self.crawler, "bad_key", f"{exc} (MongoDB field names cannot hold '.', '$' or NUL) at {url}")
        unusual = bool(repaired.pop(UNUSUAL, 0))
        for what, n in repaired.items():
            self.crawler.stats.inc_value(f"newscrawl/repaired/{what}", n)
        return unusual

    def check_size(self, adapter: ItemAdapter, url: str, exact: bool = True) -> None:
        """Drop what BSON cannot encode or what is too big. An item of JSON types only whose JSON is small
        enough that its BSON cannot reach the limit (most articles: 50 KB against 15 MiB) is passed after
        one orjson call (~0.02 ms), without building and encoding a BSON copy (~0.3 ms)."""
        if not exact:
            try:
                if len(orjson.dumps(adapter.item)) * BSON_PER_JSON_BYTE <= self.max_document_bytes:
                    return
            except TypeError:  # orjson refuses it (a lone surrogate was repaired above; a huge int): ask BSON
                pass
        try:
            size = len(bson.encode(item_dict(adapter)))
        except (bson.errors.BSONError, OverflowError, ValueError, TypeError) as exc:
            raise drop(self.crawler, "not_storable", f"{type(exc).__name__}: {str(exc)[:200]} at {url}")
        if size > self.max_document_bytes:
            raise drop(self.crawler, "oversized",
                       f"{size} bytes as BSON, over the {self.max_document_bytes} byte limit, at {url}")

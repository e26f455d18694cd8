"""What makes two items the same article, and whether its content changed.

- :func:`record_key`: ``<site>:<article_id>`` for a site module's article (its ids are stable and unique
  within the site), else ``url:<normalised canonical URL>``. A generic page's trailing number is no key:
  it is unique at most within one publisher (``/politics/story-123456`` and ``/sport/match-123456`` can be
  two articles, a date like ``/20240131`` ends many pages), and two publishers share numbers all the time;
  the URL names the publisher (host without ``www.``, port) and the article. Only a canonical URL on the
  fetched page's own publisher counts: another publisher's is a claim (``canonical_claim``, see
  :meth:`newscrawl.extract.sites.Site.may_claim`) and the fetched URL is used instead, so no page can write
  over another publisher's article. Dedup, the store, the spool's replay and the incremental sitemap state
  all key through this one function.
- :func:`content_hash`: SHA-256 over the article's own content fields, serialised canonically. Fetch
  metadata (``url``, ``fetched_at``, ``field_sources``, ``extractor``), the volatile ``comment_count``
  and galleries the site injects into every page (news-of-the-day slides that link to *other*
  articles) are left out, so re-crawling an unchanged article gives the same hash.
- What counts as a change: the content fields after :func:`comparable`, which makes cosmetic differences
  vanish — whitespace (runs of spaces, tabs, newlines, no-break spaces; leading and trailing), invisible
  characters (zero-width spaces, soft hyphens, BOM, control characters) and Unicode composition (NFC) in any
  text; an empty or blank text is no text (``None``; dropped from lists); tracking parameters (``utm_*``, ``fbclid``, ``gclid``, ...:
  :data:`newscrawl.urls.TRACKING_PARAMS`) and the order of query parameters in URLs (image, link and canonical
  URLs); the order and repeats of ``keywords``. Everything else is content: an edited word, a new paragraph,
  another image URL (another size of the same picture too), a credit, the order of paragraphs or authors.
  Two items have the same hash exactly when their :func:`content_fields` are equal, and
  :func:`newscrawl.versions.diff` reports a change for every field in which they differ.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import is_dataclass
from typing import Any, Mapping
from urllib.parse import urlsplit

import orjson
from itemadapter import ItemAdapter

from .items import plain

from .urls import normalise_url, strip_tracking

CONTENT_FIELDS = (
    "site", "article_id", "canonical_url", "headline", "kicker", "section", "lead", "body", "subheadings",
    "authors", "source", "published", "modified", "language", "keywords", "lead_image", "images", "galleries",
)


# Values orjson must not turn into text silently (a datetime, a str subclass): item_dict leaves them to plain().
_ROUND_TRIP = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_SUBCLASS


def item_dict(item: Any) -> dict[str, Any]:
    """An item as a new plain dict. A dataclass item of JSON types goes through an orjson round trip (C
    code, ~2x faster than :func:`newscrawl.items.plain`, many times faster than ``ItemAdapter.asdict()`` on
    articles with large galleries); other values through ``plain``; other items through ItemAdapter."""
    if isinstance(item, ItemAdapter):
        item = item.item
    if is_dataclass(item) and not isinstance(item, type):
        try:
            return orjson.loads(orjson.dumps(item, option=_ROUND_TRIP))
        except TypeError:  # a datetime, a set, a lone surrogate, a huge int...: kept as they are
            return plain(item)
    return ItemAdapter(item).asdict()


GENERIC = "generic"  # the site name of pages no site module serves (reserved: no module may take it)


def publisher(url: str | None) -> str | None:
    """Who publishes ``url``, as far as its URL tells: the lower-case host without ``www.``, with the port
    unless it is 80 or 443 (http and https of one host are one publisher). None without a usable host."""
    if not isinstance(url, str):
        return None
    try:
        parts = urlsplit(url.strip())
        host, port = (parts.hostname or "").lower(), parts.port
    except ValueError:  # a malformed host ("http://[::1") or port: no publisher
        return None
    if not host:
        return None
    host = host.removeprefix("www.")
    return host if port in (None, 80, 443) else f"{host}:{port}"


def same_publisher(url: str | None, other: str | None) -> bool:
    return (mine := publisher(url)) is not None and mine == publisher(other)


def record_key(item: Mapping[str, Any]) -> str | None:
    site, article_id = item.get("site"), item.get("article_id")
    if site and site != GENERIC and article_id:
        return f"{site}:{article_id}"
    url, canonical = (v if isinstance(v, str) and v.strip() else None
                      for v in (item.get("url"), item.get("canonical_url")))
    # Extraction keeps only the page's own canonical (an item spooled by an older version may hold another
    # publisher's): a canonical on another host than the fetched URL never names the record.
    if canonical and (not url or same_publisher(canonical, url)):
        return f"url:{normalise_url(canonical)}"
    return f"url:{normalise_url(url)}" if url else None


def _get(value: Any, name: str) -> Any:
    """A field of a mapping or a dataclass item (an Image, a Gallery or a GalleryEntry, say)."""
    return value.get(name) if isinstance(value, Mapping) else getattr(value, name, None)


def links_elsewhere(entry: Any) -> bool:
    """A slide that links to another article: by its ``linked_article_id``, or, as the store keeps an article's
    slides (``{"entry": <slide key>, "position": n}``, :func:`newscrawl.store.base.gallery_entry_key`), by a
    slide key that names an article rather than a picture (``img:``)."""
    if _get(entry, "linked_article_id"):
        return True
    ref = entry.get("entry") if isinstance(entry, Mapping) and "image_url" not in entry else None
    return isinstance(ref, str) and not ref.startswith("img:")


def is_injected_gallery(gallery: Any) -> bool:
    """A news-of-the-day gallery: every slide links to another article (heute injects these everywhere)."""
    entries = _get(gallery, "entries") or []
    return bool(entries) and all(links_elsewhere(e) for e in entries)


# The normalisation of what counts as a change (see the module's docstring).
URL_FIELDS = frozenset({"url", "image_url", "link_url", "canonical_url"})  # of the article, an image, a slide
UNORDERED_FIELDS = frozenset({"keywords"})  # lists whose order and repeats mean nothing
LIST_FIELDS = frozenset({"body", "subheadings", "authors", "keywords", "images", "galleries"})
# As newscrawl.extract.document.clean_text drops them (that module imports this one: not imported here).
_INVISIBLE = re.compile(r"[\u200b-\u200d\u2060\ufeff\u00ad\x7f\x00-\x08\x0b\x0c\x0e-\x1f]")
_LEAVES = frozenset({int, float, bool, type(None)})


def comparable_text(value: str, field: str = "") -> str | None:
    """A text as compared: NFC, no invisible characters, single spaces, no blanks at either end; a URL also
    without tracking parameters and with its query sorted. None for a text that is empty then."""
    if not unicodedata.is_normalized("NFC", value):
        value = unicodedata.normalize("NFC", value)
    if value.isprintable() and "  " not in value and value == value.strip():
        text = value  # most texts: already clean (isprintable is false for tabs, newlines and the invisible ones)
    else:
        text = " ".join(_INVISIBLE.sub("", value).split())
    if text and field in URL_FIELDS and "?" in text:
        text = _comparable_query(text)
    return text or None


def _comparable_query(url: str) -> str:
    """``url`` without tracking parameters, its other query parameters sorted (their order means nothing)."""
    try:
        url = strip_tracking(url)
    except ValueError:  # not a URL one can take apart ("http://[::1?a"): its query is still sorted
        pass
    head, _, rest = url.partition("?")
    query, hash_mark, fragment = rest.partition("#")
    params = sorted(p for p in query.split("&") if p)
    return head + ("?" + "&".join(params) if params else "") + hash_mark + fragment


def comparable(value: Any, field: str = "") -> Any:
    """``value`` as plain data with cosmetic differences removed (texts by :func:`comparable_text`; empty texts
    dropped from lists; the lists of :data:`UNORDERED_FIELDS` sorted without repeats). Idempotent."""
    cls = type(value)
    if cls in _LEAVES:
        return value
    if isinstance(value, str):
        return comparable_text(value, field)
    names = getattr(cls, "__dataclass_fields__", None)
    if names is not None:
        return {name: comparable(getattr(value, name), name) for name in names}
    if isinstance(value, Mapping):
        return {key: comparable(v, key) for key, v in value.items()}
    if isinstance(value, (list, tuple)):
        items = [v for v in (comparable(v, field) for v in value) if v is not None]
        if field in UNORDERED_FIELDS and all(isinstance(v, str) for v in items):
            items = sorted(set(items))
        return items
    return value


def content_fields(item: Any) -> dict[str, Any]:
    """The fields the content hash covers, as compared (:func:`comparable`), of a dict item, a dataclass item,
    an ItemAdapter or a stored document (slides as references: injected galleries are told by their keys)."""
    adapter = item if isinstance(item, (Mapping, ItemAdapter)) else ItemAdapter(item)
    content = {field: adapter.get(field) for field in CONTENT_FIELDS}
    content["galleries"] = [g for g in (adapter.get("galleries") or []) if not is_injected_gallery(g)]
    fields = {field: comparable(value, field) for field, value in content.items()}
    for field in LIST_FIELDS:
        if fields[field] is None:
            fields[field] = []
    return fields


def _fields_of(value: Any) -> dict[str, Any]:
    if is_dataclass(value) and not isinstance(value, type):
        return {name: getattr(value, name) for name in value.__dataclass_fields__}
    raise TypeError(type(value).__name__)


def content_hash(item: Any) -> str:
    """SHA-256 of the content fields (:func:`content_fields`: as compared) as canonical JSON (sorted keys,
    compact, UTF-8) of a dict item, a dataclass item or an ItemAdapter: the same digest for an item and its
    :func:`item_dict`, and for two items that differ only cosmetically."""
    content = content_fields(item)
    try:
        # orjson writes the same bytes as the json call below for this data (checked on the mirror and
        # the 181-page corpus; tests/test_urls_records.py), ~10x faster, so stored hashes stay valid.
        # Nested dataclasses go through _fields_of, so that their keys are sorted too.
        payload = orjson.dumps(content, default=_fields_of,
                               option=orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATACLASS)
    except TypeError:  # a value orjson refuses (beyond 64-bit ints, lone surrogates, non-str keys)
        payload = json.dumps(plain(content), sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                             default=str).encode("utf-8", "surrogatepass")
    return hashlib.sha256(payload).hexdigest()

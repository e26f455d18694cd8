"""The article store contract shared by the embedded (SQLite) and MongoDB stores.

Both keep one document per article key with ``content_hash``, ``revision``, ``first_seen``,
``last_seen`` and a short ``history`` of the content hashes written, one document per gallery slide
(``gallery_entries``) listing the articles it appeared in, and one version per stored revision
(``article_versions``: what that revision held, :mod:`newscrawl.store.versions`). Both are used from Scrapy
pipelines through :class:`~newscrawl.store.client.StoreClient`, which runs every call on one thread of its own
(blocking I/O never runs on the reactor thread, and calls reach the store in the order they were made).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from ..records import GENERIC, publisher, record_key
from ..urls import normalise_url

HISTORY_LENGTH = 10


class StoreUnavailable(RuntimeError):
    """The store cannot be reached or opened; the message is one line and safe to log."""


class StoreWriteError(RuntimeError):
    """Some operations of a batch failed for good; ``failed`` counts them, ``records`` and ``touches`` are
    what was not written (everything else of the batch was). ``reasons`` maps ``id(record)`` to why the
    store refused it, for the records it will refuse again (a constraint, a value it cannot hold): a
    replay sets those aside instead of trying them forever."""

    def __init__(self, message: str, failed: int, records: list | None = None,
                 touches: list[tuple[str, str]] | None = None, reasons: dict[int, str] | None = None):
        super().__init__(message)
        self.failed = failed
        self.records = records or []
        self.touches = touches or []
        self.reasons = reasons or {}


class ItemsLost(RuntimeError):
    """A flush whose leftovers neither the store nor the spool could take (a full or read-only disk):
    ``items`` articles and ``touches`` sightings are lost; ``result`` is what the flush did before."""

    def __init__(self, message: str, result: "FlushResult", items: int, touches: int):
        super().__init__(message)
        self.result = result
        self.items = items
        self.touches = touches


@dataclass(frozen=True)
class StoredState:
    content_hash: str
    revision: int


@dataclass
class Record:
    """One article write: the stored document plus its gallery slides, keyed and hashed."""

    key: str
    content_hash: str
    revision: int
    seen_at: str
    doc: dict[str, Any]
    gallery_entries: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    item: dict[str, Any] | None = field(default=None, repr=False)  # the item it came from (for the spool)


def gallery_entry_key(site: str | None, entry: dict[str, Any]) -> str:
    """A slide is the same slide wherever it appears: keyed by the article it links to (a site module's id,
    else the linked URL: a generic page's number is no key, see record_key), else image+caption."""
    linked, link = entry.get("linked_article_id"), entry.get("link_url")
    if linked and site and site != GENERIC:
        return f"{site}:{linked}"
    if linked and isinstance(link, str) and publisher(link):
        return f"url:{normalise_url(link)}"
    digest = hashlib.sha1(f"{entry.get('image_url')}\n{entry.get('caption')}".encode("utf-8")).hexdigest()[:20]
    return f"img:{digest}"


def build_record(item: dict[str, Any], seen_at: str) -> Record:
    """Split an item dict into the article document (slides replaced by references) and its slides."""
    key = record_key(item)
    if key is None:
        raise ValueError("item has neither site+article_id nor canonical_url")
    doc = {k: v for k, v in item.items() if k not in ("revision", "content_hash")}
    entries: list[tuple[str, dict[str, Any]]] = []
    galleries = []
    for gallery in item.get("galleries") or []:
        refs = []
        for entry in gallery.get("entries") or []:
            ekey = gallery_entry_key(item.get("site"), entry)
            refs.append({"entry": ekey, "position": entry.get("position")})
            entries.append((ekey, {k: v for k, v in entry.items() if k != "position"}))
        galleries.append({"title": gallery.get("title"), "size": gallery.get("size"), "entries": refs})
    doc["galleries"] = galleries
    doc["key"] = key
    return Record(key=key, content_hash=item["content_hash"], revision=item["revision"], seen_at=seen_at,
                  doc=doc, gallery_entries=entries, item=item)


@dataclass
class EntrySighting:
    """All sightings of one gallery slide within a write batch, merged into one upsert."""

    entry: dict[str, Any]
    articles: list[str]
    first_seen: str
    last_seen: str


def merge_entries(records: list[Record]) -> dict[str, EntrySighting]:
    """Group a batch's slides by key: heute shows the same news slides in most articles of a batch."""
    merged: dict[str, EntrySighting] = {}
    for rec in records:
        for ekey, entry in rec.gallery_entries:
            seen = merged.get(ekey)
            if seen is None:
                merged[ekey] = EntrySighting(entry, [rec.key], rec.seen_at, rec.seen_at)
                continue
            seen.entry = entry
            if rec.key not in seen.articles:
                seen.articles.append(rec.key)
            seen.first_seen, seen.last_seen = min(seen.first_seen, rec.seen_at), max(seen.last_seen, rec.seen_at)
    return merged


class Store:
    """Synchronous store API; implementations are only ever called from the store client's thread."""

    name = "store"

    def open(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def lookup(self, key: str) -> StoredState | None:
        raise NotImplementedError

    def write(self, records: list[Record], touches: list[tuple[str, str]]) -> int:
        """Upsert ``records`` and set ``last_seen`` for ``touches`` (key, time); returns records written."""
        raise NotImplementedError

    def describe(self) -> str:
        return self.name

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored article document with its bookkeeping (``content_hash``, ``revision``, ``first_seen``,
        ``last_seen``, ``history``), None when there is none."""
        raise NotImplementedError

    # Versions (newscrawl.store.versions): what each revision held, written with the article.
    def versions(self, key: str) -> list[dict[str, Any]]:
        """Every kept version of ``key``, by revision ascending: dicts of ``key``, ``revision``, ``seen_at``
        (ISO 8601, UTC), ``content_hash``, ``fields`` and ``changes``."""
        raise NotImplementedError

    def changed_since(self, since: str) -> list[dict[str, Any]]:
        """The versions of revision 2 or later seen at or after ``since`` (ISO 8601; a naive time is UTC), by
        ``seen_at``: dicts of ``key``, ``url`` (the stored article's), ``revision``, ``seen_at``, ``changes``."""
        raise NotImplementedError

    def key_for_url(self, url: str) -> str | None:
        """The key of the stored article whose ``url`` or ``canonical_url`` is ``url`` once both are normalised
        (:func:`newscrawl.urls.normalise_url`); None when no stored article has it."""
        target = normalise_url(url)
        candidates = [f"url:{target}"]
        from ..extract.sites import site_for  # the site modules import much of extraction: only when asked

        site = site_for(url)
        article_id = site.article_id(url) if site.NAME != GENERIC else None
        if article_id:
            candidates.append(f"{site.NAME}:{article_id}")
        for key in candidates:  # the keys an article at this URL would have
            if self.lookup(key) is not None:
                return key
        found = self._key_with_url(sorted({url.strip(), target}))  # stored exactly so (one query)
        if found is not None:
            return found
        for key, urls in self._article_urls():  # stored in another spelling: every article's, normalised
            if any(isinstance(u, str) and u.strip() and normalise_url(u) == target for u in urls):
                return key
        return None

    def _key_with_url(self, urls: list[str]) -> str | None:
        """The key of a stored article whose ``url`` or ``canonical_url`` is one of ``urls`` as written."""
        raise NotImplementedError

    def _article_urls(self):
        """(key, (url, canonical_url)) of every stored article."""
        raise NotImplementedError

    # Incremental crawling (newscrawl.incremental) reads what the store holds and keeps a small table of
    # its own, ``sitemap_state``; a store without these methods knows nothing (every entry is fetched).
    def article_summaries(self, keys: list[str]) -> dict[str, dict[str, Any]]:
        """For the stored ones of ``keys``: ``content_hash``, ``published``, ``modified``, ``last_seen``."""
        return {}

    def sitemap_states(self, keys: list[str]) -> dict[str, dict[str, Any]]:
        """For the known ones of ``keys``: ``lastmod``, ``fetched_at``, ``status``, ``record_key`` and
        ``content_hash`` as last saved by :meth:`save_sitemap_states`."""
        return {}

    def save_sitemap_states(self, rows: list[dict[str, Any]]) -> int:
        """Upsert sitemap-state rows (dicts with ``key`` and the fields above); returns the rows saved."""
        return 0


def chunked(keys: list[str], size: int = 500) -> list[list[str]]:
    """``keys`` in slices small enough for one ``IN (...)`` or ``$in`` query."""
    return [keys[i:i + size] for i in range(0, len(keys), size)]


class _Unknown:
    """What the store client's ``lookup`` answers when the store cannot be asked."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()


@dataclass
class FlushResult:
    written: int = 0
    spooled: int = 0  # items
    spooled_touches: int = 0
    failed: bool = False  # a write failed (its records were spooled)

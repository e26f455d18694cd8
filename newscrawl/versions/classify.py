"""New, changed or unchanged: one item against what the store holds, and what changed.

Used by the dedup pipeline and, when dedup is switched off, by the store pipeline (one rule for both):

- the store cannot be asked: ``unknown`` (the item is spooled; the replay decides later);
- no stored article with the item's key: ``new``, revision 1;
- the stored content hash is the item's: ``unchanged``;
- another hash: the stored document is read (its gallery slides with it, which the store keeps apart) and
  compared field by field (:func:`newscrawl.versions.diff`). A difference makes it ``changed``: the next
  revision, with ``changes``. No difference — the stored hash was made by an older version of the hash,
  before cosmetic differences were taken out of it — makes it ``cosmetic``: unchanged, nothing written but
  the sighting.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from ..credentials import redact
from ..exceptions import UNCHANGED
from ..records import content_hash, links_elsewhere
from ..store.base import UNKNOWN  # the module, not the package: the store's replay imports this one
from .changes import diff

logger = logging.getLogger(__name__)

NEW, CHANGED, COSMETIC, UNKNOWN_STATE = "new", "changed", "cosmetic", "unknown"  # and UNCHANGED
SLIDE_BOOKKEEPING = ("key", "first_seen", "last_seen", "articles", "_id")  # what the store adds to a slide


@dataclass(frozen=True)
class Verdict:
    kind: str  # NEW, CHANGED, UNCHANGED, COSMETIC or UNKNOWN_STATE
    content_hash: str
    revision: int | None  # the item's: 1, the stored one + 1, the stored one (unchanged), None (unknown)
    changes: dict[str, Any] | None = None  # what changed (CHANGED only)


def slide_keys(doc: dict[str, Any]) -> list[str]:
    """The keys of the slides a stored document refers to, in its galleries of the article's own pictures."""
    keys = []
    for gallery in doc.get("galleries") or []:
        entries = gallery.get("entries") or [] if isinstance(gallery, dict) else []
        if entries and all(links_elsewhere(e) for e in entries):
            continue  # an injected news gallery: not content
        keys += [e["entry"] for e in entries if isinstance(e, dict) and "image_url" not in e
                 and isinstance(e.get("entry"), str)]
    return list(dict.fromkeys(keys))


def read_slides(store, keys: list[str]) -> dict[str, dict[str, Any]]:
    """On the store's thread: the stored slides of ``keys`` (those it has), without the store's bookkeeping."""
    slides = {}
    for key in keys:
        slide = store.gallery_entry(key)
        if slide is not None:
            slides[key] = {k: v for k, v in slide.items() if k not in SLIDE_BOOKKEEPING}
    return slides


def with_slides(doc: dict[str, Any], slides: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """``doc`` with each slide reference replaced by the slide (at its position); a slide the store lost stays
    a reference, so the comparison sees a difference rather than a gallery that lost nothing."""
    galleries = []
    for gallery in doc.get("galleries") or []:
        if not isinstance(gallery, dict):
            galleries.append(gallery)
            continue
        entries = []
        for entry in gallery.get("entries") or []:
            key = entry.get("entry") if isinstance(entry, dict) and "image_url" not in entry else None
            entries.append({**slides[key], "position": entry.get("position")} if key in slides else entry)
        galleries.append({**gallery, "entries": entries})
    return {**doc, "galleries": galleries}


def stored_content(store, key: str) -> dict[str, Any] | None:
    """On the store's thread: the stored document of ``key`` with its slides (None when there is none) — what
    an item is compared with. For callers that hold the store itself (the spool's replay)."""
    doc = store.get(key)
    if doc is None:
        return None
    return with_slides(doc, read_slides(store, slide_keys(doc)))


def compare(stored: dict[str, Any], item: Any, digest: str) -> Verdict:
    """``item`` (hash ``digest``) against a stored document that has another hash (with its slides)."""
    changes = diff(stored, item)
    revision = stored.get("revision") or 0
    if not changes:
        return Verdict(COSMETIC, digest, revision)
    return Verdict(CHANGED, digest, revision + 1, changes)


async def classify(client, key: str, item: Any) -> Verdict:
    """``item`` (a dict, a dataclass item or an ItemAdapter) with record key ``key`` against the store of
    ``client`` (a :class:`newscrawl.store.StoreClient`)."""
    digest = content_hash(item)
    stored = await client.lookup(key)
    if stored is UNKNOWN:
        return Verdict(UNKNOWN_STATE, digest, None)
    if stored is None:
        return Verdict(NEW, digest, 1)
    if stored.content_hash == digest:
        return Verdict(UNCHANGED, digest, stored.revision)
    doc = await client.document(key)
    if doc is UNKNOWN:
        return Verdict(UNKNOWN_STATE, digest, None)
    if doc is None:  # removed since the lookup: written again as the next revision, nothing to compare with
        return Verdict(CHANGED, digest, stored.revision + 1)
    keys = slide_keys(doc)
    if keys:
        try:
            doc = with_slides(doc, await client.call(read_slides, client.store, keys))
        except Exception as exc:  # noqa: BLE001 — the store failed mid-read: unknown, as a failed lookup is
            text = redact(str(exc).splitlines()[0][:300] if str(exc) else "", getattr(client.store, "uri", ""))
            logger.error("Store read of the gallery slides of %s failed (%s: %s); the item is kept as unknown",
                         key, type(exc).__name__, text)
            return Verdict(UNKNOWN_STATE, digest, None)
    return compare(doc, item, digest)


def count_verdict(stats, verdict: Verdict) -> None:
    """``newscrawl/dedup/<kind>``; a cosmetic difference counts as unchanged too."""
    stats.inc_value(f"newscrawl/dedup/{verdict.kind}")
    if verdict.kind == COSMETIC:
        stats.inc_value(f"newscrawl/dedup/{UNCHANGED}")


def apply_verdict(adapter, verdict: Verdict) -> None:
    """Set the item's (an ItemAdapter's) ``content_hash``, ``revision`` (None: unknown, for the replay to decide)
    and ``changes``."""
    adapter["content_hash"] = verdict.content_hash
    adapter["revision"] = verdict.revision
    if "changes" in adapter.field_names() or verdict.changes is not None:
        adapter["changes"] = verdict.changes

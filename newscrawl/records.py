"""What makes two items the same article, and whether its content changed.

- :func:`record_key`: ``<site>:<article_id>`` when the site has stable ids, else ``url:<normalised canonical URL>``.
- :func:`content_hash`: SHA-256 over the article's own content fields, serialised canonically. Fetch
  metadata (``url``, ``fetched_at``, ``field_sources``, ``extractor``), the volatile ``comment_count``
  and galleries the site injects into every page (news-of-the-day slides that link to *other*
  articles) are left out, so re-crawling an unchanged article gives the same hash.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import is_dataclass
from typing import Any, Mapping

from itemadapter import ItemAdapter

from .items import plain

from .urls import normalise_url

CONTENT_FIELDS = (
    "site", "article_id", "canonical_url", "headline", "kicker", "section", "lead", "body", "subheadings",
    "authors", "source", "published", "modified", "language", "keywords", "lead_image", "images", "galleries",
)


def item_dict(item: Any) -> dict[str, Any]:
    """An item as a plain dict. Dataclass items go through :func:`newscrawl.items.plain`, which is many times
    faster than ``ItemAdapter(item).asdict()`` on articles with large galleries; other items use ItemAdapter."""
    if isinstance(item, ItemAdapter):
        item = item.item
    if is_dataclass(item) and not isinstance(item, type):
        return plain(item)
    return ItemAdapter(item).asdict()


def record_key(item: Mapping[str, Any]) -> str | None:
    site, article_id = item.get("site"), item.get("article_id")
    if site and article_id:
        return f"{site}:{article_id}"
    if canonical := item.get("canonical_url"):
        return f"url:{normalise_url(canonical)}"
    return None


def is_injected_gallery(gallery: Mapping[str, Any]) -> bool:
    """A news-of-the-day gallery: every slide links to another article (heute injects these everywhere)."""
    entries = gallery.get("entries") or []
    return bool(entries) and all(e.get("linked_article_id") for e in entries)


def content_fields(item: Mapping[str, Any]) -> dict[str, Any]:
    content = {field: item.get(field) for field in CONTENT_FIELDS}
    content["galleries"] = [g for g in (item.get("galleries") or []) if not is_injected_gallery(g)]
    return content


def content_hash(item: Mapping[str, Any]) -> str:
    payload = json.dumps(content_fields(item), sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                         default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()

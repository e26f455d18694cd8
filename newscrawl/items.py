"""Item definitions.

Items are plain dataclasses, so Scrapy's ItemAdapter, the feed exporters and the pipelines handle them
without glue, and extraction code can build them without importing Scrapy. Every field is documented in
the README's field table; keep the two in sync.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Image:
    url: str | None = None
    caption: str | None = None
    alt: str | None = None
    credits: list[str] = field(default_factory=list)
    credit_raw: str | None = None


@dataclass
class GalleryEntry:
    position: int = 0
    image_url: str | None = None
    caption: str | None = None
    caption_html: str | None = None
    credits: list[str] = field(default_factory=list)
    credit_raw: str | None = None
    date: str | None = None
    title: str | None = None
    teaser: str | None = None
    link_url: str | None = None
    linked_article_id: str | None = None


@dataclass
class Gallery:
    title: str | None = None
    size: int | None = None
    entries: list[GalleryEntry] = field(default_factory=list)


@dataclass
class Article:
    url: str | None = None
    canonical_url: str | None = None
    # A canonical URL the page declared on another publisher's host: recorded, never used as key or id.
    canonical_claim: str | None = None
    site: str | None = None
    article_id: str | None = None
    headline: str | None = None
    kicker: str | None = None
    section: str | None = None
    lead: str | None = None
    body: list[str] = field(default_factory=list)
    subheadings: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    source: str | None = None
    published: str | None = None
    published_raw: str | None = None
    modified: str | None = None
    modified_raw: str | None = None
    language: str | None = None
    keywords: list[str] = field(default_factory=list)
    lead_image: Image | None = None
    images: list[Image] = field(default_factory=list)
    galleries: list[Gallery] = field(default_factory=list)
    comment_count: int | None = None
    fetched_at: str | None = None
    revision: int | None = None
    content_hash: str | None = None
    # What changed since the stored revision (newscrawl.versions.diff): set on changed articles, None otherwise.
    changes: dict[str, Any] | None = None
    field_sources: dict[str, str] = field(default_factory=dict)
    extractor: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return plain(self)


ARTICLE_FIELDS = tuple(Article.__dataclass_fields__)


_LEAF_TYPES = frozenset({str, int, float, bool, type(None)})


def plain(value: Any) -> Any:
    """Items, lists and dicts as plain JSON-ready data: what :func:`dataclasses.asdict` gives for these
    items, without its deep copies and type checks of every leaf (several times faster on big galleries)."""
    cls = type(value)
    if cls in _LEAF_TYPES:  # most values: checked first, by exact type
        return value
    if cls is list:
        return [plain(v) for v in value]
    fields = getattr(cls, "__dataclass_fields__", None)
    if fields is not None:
        return {name: plain(getattr(value, name)) for name in fields}
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value

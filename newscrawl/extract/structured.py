"""Layer 1: structured data — JSON-LD, OpenGraph and ``<meta>`` tags.

Each function reads one kind of structured data and proposes candidates (see :mod:`.merge`); none of them
decides. JSON-LD comes in many shapes — a single object, a list, ``@graph``, nested ``author``/``image``
objects, ``@type`` as a string or a list — and :func:`jsonld_objects` flattens them all.
"""

from __future__ import annotations

import html
import json
import logging
import re
from typing import Any, Iterator


from .document import Page, clean_text, split_url
from .merge import Candidates

ARTICLE_TYPES = frozenset(
    {
        "article", "newsarticle", "reportagenewsarticle", "analysisnewsarticle", "opinionnewsarticle",
        "backgroundnewsarticle", "reviewnewsarticle", "blogposting", "liveblogposting", "socialmediaposting",
        "techarticle", "scholarlyarticle", "report",
    }
)
PERSON_TYPES = frozenset({"person"})
ORG_TYPES = frozenset({"organization", "newsmediaorganization", "corporation", "organisation"})
TRAILING_COMMA = re.compile(r",\s*([}\]])")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# A JSON-LD block longer than this (characters) is not read: real ones, an article's whole text included,
# stay far below (a live blog's updates reach a few hundred KB); parsing more only costs memory.
MAX_JSONLD_CHARS = 4_000_000
# Nesting deeper than the walks below read (_walk: 8 levels, _image_objects: 6) carries nothing they use;
# json itself refuses nesting deeper than the interpreter's recursion limit (RecursionError, ~1,000 levels).

logger = logging.getLogger(__name__)


class UnreadableJsonLd(ValueError):
    """A JSON-LD block that is not read: too large, or nested too deeply for json."""


def _types(obj: dict) -> set[str]:
    t = obj.get("@type")
    if isinstance(t, str):
        return {t.lower()}
    if isinstance(t, list):
        return {x.lower() for x in t if isinstance(x, str)}
    return set()


def _load_json(text: str) -> Any:
    """The parsed block; None when it is no JSON (malformed blocks are common and simply not read).
    Raises :class:`UnreadableJsonLd` for a block too large or too deeply nested to read."""
    if len(text) > MAX_JSONLD_CHARS:
        raise UnreadableJsonLd(f"{len(text):,} characters, more than {MAX_JSONLD_CHARS:,}")
    text = text.strip()
    if text.startswith("<!--"):
        text = text[4:].rsplit("-->", 1)[0]
    try:
        try:
            return json.loads(text)
        except ValueError:
            pass
        # Common publisher mistakes: trailing commas, raw control characters inside strings.
        try:
            return json.loads(TRAILING_COMMA.sub(r"\1", CONTROL.sub(" ", text)))
        except ValueError:
            return None
    except RecursionError:  # raised by json's own decoder, before any of our code sees the data
        raise UnreadableJsonLd("nested deeper than json decodes") from None


def _walk(node: Any, depth: int = 0) -> Iterator[dict]:
    if depth > 8:
        return
    if isinstance(node, list):
        for item in node:
            yield from _walk(item, depth + 1)
    elif isinstance(node, dict):
        yield node
        graph = node.get("@graph")
        if graph is not None:
            yield from _walk(graph, depth + 1)
        main = node.get("mainEntity")
        if isinstance(main, (dict, list)):
            yield from _walk(main, depth + 1)


def jsonld_objects(page: Page) -> list[dict]:
    """Every top-level or ``@graph`` JSON-LD object of the page, in document order."""
    out: list[dict] = []
    for text in page.jsonld_texts:
        try:
            out.extend(_walk(_load_json(text)))
        except UnreadableJsonLd as exc:  # the page's other blocks and its HTML are still read
            logger.warning("Skipped a JSON-LD block of %s: %s", page.url, exc)
    return out


def _resolve(obj: Any, index: dict[str, dict]) -> Any:
    if isinstance(obj, dict) and set(obj) <= {"@id"} and obj.get("@id") in index:
        return index[obj["@id"]]
    return obj


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _text(value: Any) -> str:
    if isinstance(value, dict):
        value = value.get("name") or value.get("@value") or value.get("text")
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str)), "")
    return unescape_text(value) if isinstance(value, str) else ""


def unescape_text(value: str) -> str:
    """Structured data is often HTML-escaped twice by the CMS ("&quot;", "&uuml;"): undo it, then clean."""
    return clean_text(html.unescape(value) if "&" in value else value)


def _names(value: Any, index: dict[str, dict]) -> tuple[list[str], list[str]]:
    """Split an author/creator value into (person names, organisation names)."""
    persons, orgs = [], []
    for entry in _as_list(value):
        entry = _resolve(entry, index)
        if isinstance(entry, str):
            name = clean_text(entry)
            if name:
                persons.append(name)
        elif isinstance(entry, dict):
            name = _text(entry.get("name"))
            if not name:
                continue
            (orgs if _types(entry) & ORG_TYPES else persons).append(name)
    return persons, orgs


def _image(value: Any, index: dict[str, dict]) -> dict | None:
    """Normalise a JSON-LD image (URL string, ImageObject, or a list of either) to an Image-like dict."""
    for entry in _as_list(value):
        entry = _resolve(entry, index)
        if isinstance(entry, str) and entry.strip():
            return {"url": entry.strip()}
        if isinstance(entry, dict):
            url = entry.get("url") or entry.get("contentUrl")
            url = _text(url) if not isinstance(url, str) else url.strip()
            if not url:
                continue
            credit = _text(entry.get("creditText")) or _text(entry.get("copyrightHolder")) or _text(
                entry.get("author") or entry.get("creator")
            )
            return {
                "url": url,
                "caption": _text(entry.get("caption")) or _text(entry.get("description")) or None,
                "credit_raw": credit or None,
            }
    return None


def _keywords(value: Any) -> list[str]:
    out: list[str] = []
    for entry in _as_list(value):
        if isinstance(entry, str):
            out.extend(k for k in (clean_text(x) for x in entry.split(",")) if k)
        elif isinstance(entry, dict) and _text(entry):
            out.append(_text(entry))
    return out


def _image_objects(node: Any, index: dict[str, dict], out: dict[str, dict], depth: int = 0) -> None:
    """Every ImageObject with a URL and a caption or credit, anywhere in the JSON-LD, by URL path."""
    if depth > 6:
        return
    if isinstance(node, list):
        for item in node:
            _image_objects(item, index, out, depth + 1)
    elif isinstance(node, dict):
        if "imageobject" in _types(node) and (image := _image(node, index)) and (
                image.get("caption") or image.get("credit_raw")):
            out.setdefault(split_url(image["url"]).path, image)
        for value in node.values():
            if isinstance(value, (dict, list)):
                _image_objects(value, index, out, depth + 1)


def from_jsonld(page: Page, cands: Candidates) -> None:
    objects = jsonld_objects(page)
    index = {o["@id"]: o for o in objects if isinstance(o.get("@id"), str)}
    images: dict[str, dict] = {}
    _image_objects(objects, index, images)
    cands.add("image_index", images, "jsonld")
    articles = [o for o in objects if _types(o) & ARTICLE_TYPES]
    if not articles:
        return
    art = max(articles, key=len)
    add = cands.adder("jsonld")
    add("headline", _text(art.get("headline")) or _text(art.get("name")))
    add("lead", _text(art.get("description")))
    add("published_raw", _text(art.get("datePublished")) or _text(art.get("dateCreated")))
    add("modified_raw", _text(art.get("dateModified")))
    add("section", _text(_as_list(art.get("articleSection"))[0]) if art.get("articleSection") else "")
    add("keywords", _keywords(art.get("keywords")))
    add("language", _text(art.get("inLanguage")))
    persons, orgs = _names(art.get("author") or art.get("creator"), index)
    add("authors", persons)
    add("source_orgs", orgs)
    publisher, _ = _names(art.get("publisher"), index)
    add("publisher", [p for p in publisher] + [o for o in _names(art.get("publisher"), index)[1]])
    add("lead_image", _image(art.get("image") or art.get("thumbnailUrl"), index))
    main = _resolve(art.get("mainEntityOfPage"), index)
    add("canonical_url", _text(main.get("@id") or main.get("url")) if isinstance(main, dict) else _text(main))
    add("canonical_url", _text(art.get("url")))
    count = art.get("commentCount")
    if isinstance(count, (int, str)) and str(count).strip().isdigit():
        add("comment_count", int(str(count).strip()))
    body = art.get("articleBody")
    if isinstance(body, str) and body.strip():
        add("body_text", body)  # cleaned only if the DOM gives no body (often the whole article: large)


def from_meta(page: Page, cands: Candidates) -> None:
    """OpenGraph, Twitter cards, Dublin Core, ``<link rel=canonical>``, ``<html lang>`` and plain meta."""
    add = cands.adder("meta")
    meta = page.meta
    first = page.meta_first
    for name in ("og:title", "twitter:title", "dc.title", "title", "sailthru.title"):
        if hit := first(name):
            add("headline", hit[1])
    for name in ("og:description", "description", "twitter:description", "dc.description"):
        if hit := first(name):
            add("lead", hit[1])
    for name in ("article:published_time", "og:article:published_time", "datepublished", "date",
                 "pubdate", "publishdate", "dc.date.issued", "dc.date", "dcterms.created", "sailthru.date",
                 "parsely-pub-date", "article.published", "published_time"):
        if hit := first(name):
            add("published_raw", hit[1])
            break
    for name in ("article:modified_time", "og:updated_time", "datemodified", "dcterms.modified", "last-modified",
                 "article.updated", "modified_time"):
        if hit := first(name):
            add("modified_raw", hit[1])
            break
    if hit := first("article:section", "og:article:section", "section", "parsely-section"):
        add("section", hit[1])
    authors = [a for name in ("article:author", "author", "dc.creator", "parsely-author", "sailthru.author")
               for a in meta.get(name, []) if not a.startswith(("http://", "https://"))]
    if authors:
        add("authors", authors)
    keywords = meta.get("news_keywords") or meta.get("keywords") or meta.get("article:tag")
    if keywords:
        add("keywords", [k for v in keywords for k in (clean_text(x) for x in v.split(",")) if k])
    if hit := first("og:image", "og:image:url", "og:image:secure_url", "twitter:image", "twitter:image:src"):
        alt = first("og:image:alt", "twitter:image:alt")
        add("lead_image", {"url": page.absolute(hit[1]), "alt": alt[1] if alt else None})
    if hit := first("og:site_name", "application-name"):
        add("site_name", hit[1])
    if canonical := page.links.get("canonical"):
        add("canonical_url", canonical)
    if hit := first("og:url"):
        add("canonical_url", page.absolute(hit[1]))
    if page.language:
        add("language", page.language)
    elif hit := first("og:locale", "content-language", "language", "dc.language"):
        add("language", hit[1])

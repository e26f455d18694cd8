"""Photo galleries: the "1/N" size, one entry per slide, and the parts of a news-gallery caption.

A slide's caption may be plain text ("Das Finale ... stattfinden.") or, in news galleries, HTML such as
``<strong>18.11.2024: Title.</strong> Teaser <a data-li-document-ref="120072901" href="...">Weiterlesen</a>``.
Some pages carry that HTML twice, once escaped as literal text and once rendered; :func:`caption_parts`
accepts either and :func:`dedupe_slides` keeps each slide once.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

import lxml.html
from lxml import etree
from lxml_html_clean import Cleaner

from .credits import split_credits
from .document import clean_text, element_text

COUNTER = re.compile(r"(?<![\d/.,])1\s*/\s*(\d{1,4})(?![\d/])")
DATE_PREFIX = re.compile(r"^\s*(\d{1,2})\.(\d{1,2})\.(\d{4})\s*:\s*")
MAX_GALLERY_SIZE = 2000  # a counter above this is a parsing accident, not a gallery

_CLEANER = Cleaner(
    allow_tags={"strong", "b", "em", "i", "u", "a", "br", "sup", "sub", "span", "mark", "small"},
    safe_attrs_only=True,
    safe_attrs=frozenset({"href", "data-li-document-ref", "title"}),
    remove_unknown_tags=False,
    kill_tags={"script", "style", "noscript", "template", "iframe", "object"},
    page_structure=False,
    links=False,
    javascript=True,
    comments=True,
    forms=True,
    embedded=True,
    frames=True,
    annoying_tags=False,
)


def gallery_size(text: str) -> int | None:
    """N of the first "1/N" counter in ``text``, or None (also for absurd counters)."""
    m = COUNTER.search(text or "")
    if not m:
        return None
    n = int(m.group(1))
    return n if 0 < n <= MAX_GALLERY_SIZE else None


def looks_like_escaped_html(text: str) -> bool:
    text = text.strip()
    return text.startswith("<") and bool(re.search(r"</?(strong|b|a|em|i|p|span)\b", text))


def sanitise(fragment: str) -> str:
    """Keep only text-level tags and links (href, data-li-document-ref) of a caption's HTML."""
    if not fragment.strip():
        return ""
    try:
        wrapper = lxml.html.fragment_fromstring(fragment, create_parent="div")
        cleaned = _CLEANER.clean_html(wrapper)
    except (etree.ParserError, ValueError):
        return clean_text(fragment)
    inner = (cleaned.text or "") + "".join(
        etree.tostring(child, encoding="unicode", method="html") for child in cleaned
    )
    return re.sub(r"\s+", " ", inner).strip()


def caption_parts(fragment: str, *, article_id_of=None) -> dict:
    """Split a caption (HTML or text) into text, sanitised HTML, date, title, teaser and link.

    ``article_id_of`` maps a link URL to the linked article's id (site-specific); the
    ``data-li-document-ref`` attribute, when present, wins over it. Parsing is memoised: news galleries
    repeat the same slides in hundreds of articles.
    """
    parts = dict(_parse_caption(fragment))
    if parts["linked_article_id"] is None and parts["link_url"] and article_id_of:
        parts["linked_article_id"] = article_id_of(parts["link_url"])
    return parts


@lru_cache(maxsize=8192)
def _parse_caption(fragment: str) -> dict:
    html = sanitise(fragment) if "<" in fragment else ""
    try:
        root = lxml.html.fragment_fromstring(html or f"<span>{_escape(fragment)}</span>", create_parent="div")
    except (etree.ParserError, ValueError):
        root = None
    text = element_text(root) if root is not None else clean_text(fragment)
    parts = {"caption": text or None, "caption_html": html or None, "date": None, "title": None,
             "teaser": None, "link_url": None, "linked_article_id": None}
    if root is None:
        return parts
    bold = next((b for b in root.xpath(".//strong|.//b") if element_text(b)), None)  # an empty <strong> is no title
    link = next(iter(root.xpath(".//a[@href or @data-li-document-ref]")), None)
    if bold is not None:
        title = element_text(bold)
        if m := DATE_PREFIX.match(title):
            parts["date"] = _iso_day(*m.groups())
            title = title[m.end():]
        parts["title"] = clean_text(title) or None
        rest = text.split(element_text(bold), 1)[-1]
        if link is not None and (link_text := element_text(link)):
            rest = rest.replace(link_text, " ")
        parts["teaser"] = clean_text(rest).lstrip(".:;,– ").strip() or None
    elif m := DATE_PREFIX.match(text):
        parts["date"] = _iso_day(*m.groups())
    if link is not None:
        href = (link.get("href") or "").strip() or None
        parts["link_url"] = href
        ref = (link.get("data-li-document-ref") or "").strip()
        if ref.isdigit():
            parts["linked_article_id"] = ref
    return parts


def credit_parts(raw: str | None) -> dict:
    raw = clean_text(raw) or None
    return {"credit_raw": raw, "credits": split_credits(raw) if raw else []}


def dedupe_slides(entries: list[dict]) -> list[dict]:
    """Drop repeated slides (same image and caption), keep order, renumber positions from 1."""
    seen, out = set(), []
    for entry in entries:
        key = (entry.get("image_url"), clean_text(entry.get("caption")).casefold())
        if key in seen:
            continue
        seen.add(key)
        out.append(entry)
    for i, entry in enumerate(out, 1):
        entry["position"] = i
    return out


def _iso_day(day: str, month: str, year: str) -> str | None:
    try:
        return date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return None


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

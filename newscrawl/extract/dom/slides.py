"""Inline photo galleries: one entry per slide, the "1/N" size and the title."""

from __future__ import annotations

import hashlib

from lxml import etree

from ..document import Page, element_text
from ..galleries import caption_parts, credit_parts, dedupe_slides, gallery_size, looks_like_escaped_html
from .images import _holds_credit, _img_url
from .scan import Scan
from .vocabulary import CAPTION, CREDIT, class_words

def galleries(scan: Scan, add, *, article_id_of=None, memo: SlideMemo | None = None) -> None:
    found = [g for g in (parse_gallery(scan.page, el, article_id_of=article_id_of, memo=memo)
                         for el in scan.galleries) if g]
    add("galleries", found)


def _slides(container) -> list:
    """The slide elements of a gallery: the largest group of siblings that each hold an image."""
    best: list = []
    for parent in container.iter():
        if not isinstance(parent.tag, str) or len(parent) <= len(best):
            continue
        group = [c for c in parent if isinstance(c.tag, str) and (c.tag == "img" or next(c.iter("img"), None) is not None)]
        if len(group) > len(best):
            best = group
    return best


class SlideMemo:
    """Slides already read, by their markup: heute puts the same 50-slide news-of-the-day gallery into every
    article of a day, so most slides of a crawl were seen on an earlier page. Whoever extracts many pages
    (a crawl's extraction worker) keeps one and passes it to :func:`newscrawl.extract.extract`. Bounded;
    the least recently used slide is dropped first (a dict keeps insertion order)."""

    def __init__(self, size: int = 4096):
        self.size = size
        self._parts: dict[tuple, dict] = {}

    def __len__(self) -> int:
        return len(self._parts)

    def parts(self, key: tuple, read) -> dict:
        """The remembered parts for ``key``, else ``read()``'s, remembered."""
        parts = self._parts.pop(key, None)  # re-inserted below: the most recently used slides stay
        if parts is None:
            parts = read()
            if len(self._parts) >= self.size:
                del self._parts[next(iter(self._parts))]
        self._parts[key] = parts
        return parts


def parse_gallery(page: Page, container, *, article_id_of=None, memo: SlideMemo | None = None) -> dict | None:
    entries = []
    # A bound method is a new object on every Site instance: key on its class and function.
    reader = (type(article_id_of.__self__), article_id_of.__func__) if hasattr(article_id_of, "__func__") \
        else article_id_of
    for slide in _slides(container):
        img = slide if slide.tag == "img" else next(slide.iter("img"))
        if memo is None:
            parts = _slide_text(slide, img, article_id_of)
        else:
            key = (hashlib.blake2b(etree.tostring(slide, with_tail=False), digest_size=16).digest(), reader)
            parts = memo.parts(key, lambda: _slide_text(slide, img, article_id_of))
        # The image URL may be relative to the page: resolved per page, outside the memo.
        entries.append({"position": 0, "image_url": _img_url(page, img), **parts, "credits": list(parts["credits"])})
    entries = dedupe_slides(entries)
    if not entries:
        return None
    counter_text = " ".join(
        t for el in container.iter() if isinstance(el.tag, str) and len(el) == 0 and (t := el.text)
        and "/" in t and len(t) < 20
    )
    if not gallery_size(counter_text):  # a counter split across spans: "1", "/", "50"
        counter_text = " ".join(
            element_text(el) for el in container.iter() if isinstance(el.tag, str) and 0 < len(el) <= 4
            and _slash_near(el) and len("".join(el.itertext())) < 20)
    title_el = next((el for el in container.iter("h2", "h3", "h4") if element_text(el)), None)
    size = gallery_size(counter_text) or len(entries)
    return {"title": element_text(title_el) if title_el is not None else None, "size": size, "entries": entries}


def _slash_near(el) -> bool:
    """A "/" in the element's own text or in a child's text or tail: where a split counter keeps it."""
    return "/" in (el.text or "") or any("/" in (c.text or "") or "/" in (c.tail or "") for c in el)


def _slide_text(slide, img, article_id_of) -> dict:
    """Caption, credit and linked-article fields of one slide (everything but its image URL)."""
    caption_html, caption_text, credit = None, None, None
    for el in slide.iter():
        if not isinstance(el.tag, str) or el is img:
            continue
        words = class_words(el)
        if not words & (CAPTION | CREDIT):
            continue
        # Text is read only where it is used (a figcaption wrapping caption and credit is skipped unread).
        if (el.text or "").lstrip().startswith("<") and looks_like_escaped_html(text := element_text(el)):
            caption_html = caption_html or text  # the escaped copy is the source HTML itself
        elif words & CREDIT and credit is None:
            credit = element_text(el)
        elif words & CAPTION and caption_text is None and not _holds_credit(el) and element_text(el):
            caption_text = _inner_html(el)
    fragment = caption_text or caption_html or ""
    if not fragment and img.get("alt"):
        fragment = img.get("alt")
    return {**caption_parts(fragment, article_id_of=article_id_of), **credit_parts(credit)}


def _inner_html(el) -> str:
    return (el.text or "") + "".join(etree.tostring(c, encoding="unicode", method="html") for c in el)

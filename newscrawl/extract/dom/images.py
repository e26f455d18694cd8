"""Article images: figures and image boxes with caption, alt text and credit."""

from __future__ import annotations

import re

from ..credits import split_glued_credit
from ..document import Page, clean_text, element_text
from ..galleries import credit_parts
from .scan import Scan, within
from .vocabulary import CAPTION, CREDIT, EXCLUDED, IN_HEADER, class_words, has_words, text_without

def _img_url(page: Page, img) -> str | None:
    for attr in ("src", "data-src", "data-original", "data-lazy-src", "data-srcset", "srcset"):
        value = (img.get(attr) or "").strip()
        if value and not value.startswith("data:"):
            if "srcset" in attr and not (value := first_srcset_url(value)):
                continue  # only commas
            return page.absolute(value)
    return None


def first_srcset_url(srcset: str) -> str:
    """The first candidate's URL, as the HTML srcset parser reads it: a URL ends at whitespace, not at a comma
    (image CDNs put commas in their paths: ``/crops/w=875,q=90/…``); commas only separate candidates."""
    parts = srcset.lstrip(" \t\n\r\f,").split(None, 1)
    return parts[0].rstrip(",") if parts else ""


def _holds_credit(el) -> bool:
    """A credit element, or a wrapper around one (its text would mix caption and credit)."""
    return has_words(el, CREDIT) or any(has_words(d, CREDIT) for d in el.iterdescendants() if isinstance(d.tag, str))


CREDIT_TAGS = frozenset({"footer", "small", "cite"})


def figure_image(page: Page, fig) -> dict | None:
    """An Image dict from a ``<figure>`` (or any element holding one image and its caption).

    Caption and credit come from class names (caption/credit/copyright/source …); else from a credit-tagged
    element (``<footer>``, ``<small>``, ``<cite>``) or a part of the caption that starts like a credit ("©",
    "Foto:"); else from a credit glued to the caption text or to the image's alt text.
    """
    imgs = [fig] if fig.tag == "img" else list(fig.iter("img"))
    if not imgs:
        return None
    # A lazy-loading placeholder (data: URI) may come before the real image, e.g. one in <noscript>.
    img = next((i for i in imgs if _img_url(page, i)), imgs[0])
    caption, credit = None, None
    capel = next(fig.iter("figcaption"), None)
    scope = capel if capel is not None else fig
    for el in scope.iter():
        if el is img or not isinstance(el.tag, str):
            continue
        words = class_words(el)
        if not words:
            continue
        if words & CREDIT and credit is None:
            credit = element_text(el)
        elif words & CAPTION and caption is None and el.tag != "figure" and not words & CREDIT:
            caption = text_without(el, CREDIT) if _holds_credit(el) else element_text(el)
    if credit is None:
        credit = _credit_element(fig, img)
        if caption and credit and credit in caption:  # the caption element held the credit too
            caption = clean_text(caption.replace(credit, ""))
    if capel is not None and caption is None:
        text = element_text(capel)
        if credit:
            text = clean_text(text.replace(credit, ""))
        caption, glued = split_glued_credit(text)
        credit = credit or glued
    alt = clean_text(img.get("alt")) or None
    if caption and not credit:
        caption, credit = split_glued_credit(caption)
    if not caption and alt and len(alt.split()) >= 3:  # no visible caption: the alt text describes the image
        caption, glued = split_glued_credit(alt)
        credit = credit or glued
    return {"url": _img_url(page, img), "caption": caption or None, "alt": alt, **credit_parts(credit)}


CREDIT_START = re.compile(r"^\s*(?:©|\(c\)|Fotos?\s*:|Bild(?:er)?\s*:|Photos?\s*:|Credits?\s*:|Quelle\s*:|"
                          r"Source\s*:|Image\s*:|Picture\s*:|Copyright\b)", re.IGNORECASE)


def _credit_element(fig, img) -> str | None:
    """A credit in its own element: ``<footer>``/``<small>``/``<cite>``, or a leaf starting like a credit."""
    for el in fig.iter():
        if el is img or not isinstance(el.tag, str):
            continue
        if el.tag in CREDIT_TAGS:
            text = element_text(el)
            if 0 < len(text) <= 150:
                return text
        elif len(el) == 0 and el.text and CREDIT_START.match(el.text) and len(el.text) <= 150:
            text = clean_text(el.text)
            if CREDIT_START.sub("", text).strip(" :") or (parent := el.getparent()) is None:
                return text
            # the label alone ("<span>Image:</span> <span>GCIS</span>"): the name is beside it
            text = element_text(parent)
            return text if len(text) <= 150 else None
    return None


def images(scan: Scan, add) -> None:
    """Article images in document order; ``is_lead`` marks one that comes before the first body paragraph."""
    found = []
    first = scan.first_paragraph
    root = scan.content_root
    area = root.getparent() if root is not None and root.getparent() is not None else root
    # Images of the article: inside the text's container (or the one around it), or above the text (the
    # lead image); figures elsewhere illustrate teasers of other articles.
    boxes = [(fig, flags, pos) for fig, flags, pos in scan.figures
             if (not flags & EXCLUDED or flags & IN_HEADER)
             and (area is None or pos < first or within(fig, area))]
    for fig, flags, pos in boxes:
        image = figure_image(scan.page, fig)
        if image and image["url"]:
            image["is_lead"] = pos < first and not found
            found.append(image)
    add("figures", found)

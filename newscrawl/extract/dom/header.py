"""Headline, kicker, lead, dates, comment count, breadcrumbs and a "Quelle:" line: the fields around the text."""

from __future__ import annotations

import re

from ..dates import find_dates
from ..document import clean_text, element_text
from .scan import Scan
from .vocabulary import EMPTY, EXCLUDED, IN_CAPTION, IN_FIGURE, IN_GALLERY, KICKER, class_words, has_words

COMMENT_COUNT = re.compile(r"(\d{1,6})\s*(?:zu den\s+)?(?:Kommentare|Kommentaren|Kommentar|comments?|Reaktionen)\b",
                           re.IGNORECASE)
SOURCE_LINE = re.compile(r"^(?:Quelle|Source|Mit Material von|Material)\s*:\s*(.{2,60})$", re.IGNORECASE)


def headline(scan: Scan, add) -> None:
    h1s = [h for h, f, _ in scan.h1s if not f & EXCLUDED] or [h for h, _, _ in scan.h1s]
    if not h1s:
        return
    h1 = h1s[0]
    text = element_text(h1)
    for part in h1:
        if isinstance(part.tag, str) and has_words(part, KICKER):
            kicker = element_text(part)
            add("kicker", kicker)
            text = clean_text(text.replace(kicker, "", 1))
    add("headline", text)


def kicker_and_lead(scan: Scan, add) -> None:
    for el in scan.kickers:
        text = element_text(el)
        if 0 < len(text) <= 80:
            add("kicker", text)
    # A standfirst sits between the headline and the first body paragraph; lead-named elements elsewhere are
    # mostly teasers of other articles.
    start = next((pos for _, flags, pos in scan.h1s if not flags & EXCLUDED), 0)
    for el, pos in scan.leads:
        if start <= pos <= scan.first_paragraph:
            text = element_text(el)
            if 30 <= len(text) <= 1500:
                add("lead", text)
                break


# The text around a <time> is its label ("Aktualisiert: <time>…") only in a short element; a longer one is a
# paragraph or a list of teasers (each with a <time>), whose words say nothing about this date. Reading the
# whole parent for every <time> in it was quadratic: 8,000 dates in one list took 150 s.
LABEL_CHARS = 300


def dates(scan: Scan, add) -> None:
    for prop, el in scan.date_props:
        value = el.get("content") or el.get("datetime") or element_text(el)
        add("modified_raw" if prop == "datemodified" else "published_raw", value)
    labels: dict = {}  # parent -> its text when short enough to be a label, else ""
    for el in scan.times:
        value = el.get("datetime") or element_text(el)
        parent = el.getparent()
        words = class_words(el) | (class_words(parent) if parent is not None else EMPTY)
        if parent is None:
            label = ""
        elif (label := labels.get(parent)) is None:
            label = labels[parent] = "" if _longer_than(parent, LABEL_CHARS) else element_text(parent)
        own = element_text(el) if label else ""
        at = label.find(own) if own else -1
        before = label[:at] if at > 0 else ""
        modified = bool(words & {"updated", "modified", "update", "aktualisiert"}) or bool(
            re.search(r"aktualisiert|update|akt\.?:|stand", before, re.IGNORECASE))
        add("modified_raw" if modified else "published_raw", value)


def comment_count(scan: Scan, add) -> None:
    for el in scan.comments:
        if next(el.iterdescendants(), None) is not None and _longer_than(el, 60):
            continue  # a comment thread, not a counter: not worth reading whole
        text = element_text(el)
        if len(text) > 60:
            continue
        if m := COMMENT_COUNT.search(text):
            add("comment_count", int(m.group(1)))
            return
        if text.isdigit() and len(text) <= 6:
            add("comment_count", int(text))
            return


def _longer_than(el, limit: int) -> bool:
    """Whether the text of ``el`` is longer than ``limit`` characters, reading no more of it than that."""
    n = 0
    for text in el.itertext():
        n += len(text.strip())
        if n > limit:
            return True
    return False


def breadcrumbs(scan: Scan, add) -> None:
    """Breadcrumb trail labels, in order (microdata BreadcrumbList or breadcrumb-named containers)."""
    el = scan.breadcrumb
    if el is None:
        return
    items = [element_text(a) for a in el.iter("a", "span", "li") if len(a) == 0]
    items = [t for t in items if t and t not in ("›", "»", ">", "/", "|")]
    if items:
        add("breadcrumb", items)


def source_line(scan: Scan, add) -> None:
    """A "Quelle: APA" line under the article (not an image credit)."""
    for text in [*("".join(el.itertext()) for el in scan.sources),
                 *(seg.text for seg in scan.segments if seg.tag == "p" and seg.chars < 80
                   and not seg.flags & (IN_FIGURE | IN_GALLERY | IN_CAPTION))]:
        if len(text) < 80 and (m := SOURCE_LINE.match(clean_text(text))):
            add("source", m.group(1).strip(" ."))
            return


def text_dates(scan: Scan, add) -> None:
    """Visible date lines in bylines and date elements (``27.06.2025, 20:04``, ``Akt: ...``)."""
    seen = set()
    for el in [*scan.bylines, *scan.datelines, *(p for p in (t.getparent() for t in scan.times) if p is not None)]:
        if el in seen:
            continue
        seen.add(el)
        text = element_text(el)
        if text and len(text) <= 160:
            for kind, raw, _ in find_dates(text):
                add("modified_raw" if kind == "modified" else "published_raw", raw)

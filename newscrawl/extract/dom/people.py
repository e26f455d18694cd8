"""Authors: person names from bylines near the article text."""

from __future__ import annotations

import re

from ..document import clean_text
from .scan import Scan, within
from .vocabulary import DATE_WORDS, text_without

# Separators between names: punctuation and "and" in the languages of the sites we see most.
BY_PREFIX = re.compile(r"^(?:von|by|text|autor(?:in)?|author|written by|redaktion)\s*[:\-]?\s+", re.IGNORECASE)
NAME_SPLIT = re.compile(r"\s*(?:,|;|&|\||\s(?:und|and|AND|UND|sowie|og|och|et|y|e|i|ve|și|és)\s)\s*")
PERSON = re.compile(r"^(?:[A-ZÀ-ÖØ-Þ][\w'’\-.]*\.?\s+){0,3}(?:[a-zà-ÿ]{1,3}\s+)?[A-ZÀ-ÖØ-Þ][\w'’\-.]+$", re.UNICODE)



def split_names(text: str) -> list[str]:
    text = BY_PREFIX.sub("", clean_text(text))
    return [n for n in (clean_text(x) for x in NAME_SPLIT.split(text)) if n]


def is_person_name(name: str) -> bool:
    return 3 <= len(name) <= 60 and not any(ch.isdigit() for ch in name) and bool(PERSON.match(name))


def authors(scan: Scan, add) -> None:
    found: list[str] = []
    area = scan.content_root.getparent() if scan.content_root is not None else None
    for el in scan.bylines:
        if area is not None and not within(el, area) and not _before(el, scan):
            continue  # the byline of a teaser further down the page
        name_els = el.xpath(".//*[@itemprop='name']") or _name_leaves(el) or [el]
        for name_el in name_els:
            for name in split_names(text_without(name_el, DATE_WORDS)):
                if len(name) <= 60 and name not in found:
                    found.append(name)
    people = [n for n in found if is_person_name(n)]
    add("authors", people)
    add("byline_other", [n for n in found if n not in people])


def _before(el, scan: Scan) -> bool:
    """Whether ``el`` comes before the article text (a byline in the header)."""
    return scan.byline_positions.get(el, 10 ** 9) < scan.first_paragraph


def _name_leaves(el) -> list:
    """Names set one per element without separators ("<span>A B</span><span>C D</span>")."""
    leaves = [d for d in el.iter() if isinstance(d.tag, str) and len(d) == 0 and d.text and d.text.strip()]
    if len(leaves) >= 2 and all(is_person_name(clean_text(d.text)) for d in leaves):
        return leaves
    return []
"""The article text: paragraphs and crossheads of the element that holds the page's main text."""

from __future__ import annotations

from ..document import element_text
from .scan import Scan, within
from .vocabulary import HEADING_TAGS, IN_HEADER, NOT_TEXT

def body(scan: Scan, add) -> None:
    """Paragraphs and crossheads of the main content root, outside navigation, teasers and figures."""
    root = scan.content_root = _content_root(scan)
    paragraphs: list[str] = []
    subheadings: list[str] = []
    for el, tag, flags, roots, pos in scan.blocks:
        if flags & (NOT_TEXT | IN_HEADER) or (root is not None and not within(el, root)):
            continue
        if tag in ("li", "blockquote") and next(el.iterdescendants("p", "h2", "h3", "h4"), None) is not None:
            continue  # a structured list item or quote: its own paragraphs and headings are counted one by one
        if tag == "p" and el.getparent() is not None and el.getparent().tag in ("li", "blockquote") \
                and next(el.getparent().iterdescendants("p", "h2", "h3", "h4"), None) is None:
            continue
        text = element_text(el)
        if not text:
            continue
        if tag in HEADING_TAGS:
            if len(text) <= 200:
                subheadings.append(text)
            continue
        if len(text) > 80 and pos < scan.first_paragraph:
            scan.first_paragraph = pos
        paragraphs.append(text)
    add("body", paragraphs)
    add("subheadings", subheadings)


def _content_root(scan: Scan):
    """The element that holds the article text: the deepest element that still holds most of the page's
    long paragraphs (outside navigation, teasers and comments); None when the page has no long paragraph."""
    long_under: dict = {}
    total = 0
    for el, tag, flags, _, _ in scan.blocks:
        if tag in HEADING_TAGS or tag == "li" or flags & (NOT_TEXT | IN_HEADER):
            continue  # list items are too often menus to vote
        n = len("".join(el.itertext()).strip())
        if n < 80 or _link_text(el) > n / 2:
            continue
        total += n
        node = el.getparent()
        while node is not None:
            long_under[node] = long_under.get(node, 0) + n
            node = node.getparent()
    if not total:
        return None
    node = scan.page.body
    while True:
        best = max((c for c in node if c in long_under), key=long_under.get, default=None)
        if best is None or long_under[best] < SHARE_OF_TEXT * total:
            return node
        node = best


SHARE_OF_TEXT = 0.7


def _link_text(el) -> int:
    return sum(len("".join(a.itertext())) for a in el.iter("a"))

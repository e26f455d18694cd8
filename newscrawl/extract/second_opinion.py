"""A second opinion on the main text, asked only where the page's own evidence is weak: trafilatura.

The generic layers find the text by the evidence of the page itself (:mod:`.dom.body`). On most pages that
evidence is clear: a container holds most of the long text and the article's first paragraph. Where it is
not — little text was found, or the container was found only after a fallback — trafilatura (Apache-2.0,
pinned in requirements.txt) extracts the page once more, and its text replaces ours when it is clearly
longer: on those pages the usual failure is text left out (a list of items with linked titles read as
teasers, a text split across blocks named like furniture).

Measured on the shared corpora (``benchmarks/extraction.py``, figures in the README): asking below 1,000
characters lifts the snippet corpus's F1 from 0.925 to 0.931 and keeps extraction twice as fast as
trafilatura alone; asking below 1,500 characters adds 0.0004 and costs the speed target; taking its text
only when it also holds most of ours loses half the gain. trafilatura runs in its fast mode (without its own
readability and jusText fallbacks): its full mode adds 0.0004 and falls just under twice trafilatura's speed.
readability-lxml as the second opinion scored 0.9285 at the same speed: trafilatura it is.

Sites with a module of their own never ask: their markup is known.
"""

from __future__ import annotations

# Ask when the text found is shorter than this (characters) ...
FEW_CHARS = 1000
# ... or when the container was found by one of these fallbacks (see dom.body.text_parts).
WEAK_PATHS = frozenset({"none", "again", "top", "relaxed"})
# Take trafilatura's text when it is at least this many times as long as ours.
LONGER = 1.2
# Never ask on a page with more elements in its body than this: trafilatura's main pass is quadratic in them
# on some pages (it counts its result again for each trailing heading it drops: 20,000 headings take 4.5 s,
# 100,000 minutes). The largest page of the shared corpora has about 10,000, most fewer than 3,000.
MAX_ELEMENTS = 15_000


def needed(evidence: dict, paragraphs: list[str]) -> bool:
    """Whether the evidence for the text found is weak enough to ask for a second opinion."""
    if evidence.get("elements", 0) > MAX_ELEMENTS:
        return False
    return evidence.get("path") in WEAK_PATHS or sum(map(len, paragraphs)) < FEW_CHARS


def text_of(html: str, url: str) -> str | None:
    """trafilatura's main text of the page (paragraphs on their own lines), or None when it finds none."""
    import trafilatura  # imported on the first page that needs it: most crawls of news sites rarely do

    return trafilatura.extract(html, url=url, include_comments=False, fast=True) or None


def decide(paragraphs: list[str], other: str | None) -> list[str] | None:
    """trafilatura's paragraphs when they are clearly more text than ``paragraphs``; else None (keep ours)."""
    if not other:
        return None
    theirs = [line.strip() for line in other.split("\n") if line.strip()]
    if sum(map(len, theirs)) > LONGER * sum(map(len, paragraphs)):
        return theirs
    return None

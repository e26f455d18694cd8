"""The article text: the runs of text inside the element that holds the page's main text.

The scan has cut the page into runs of text (:class:`~.scan.Segment`) and decided which furniture-named
boxes are furniture. Here:

1. runs inside repeated teaser items (three or more siblings alike, each with a linked title and little
   text) are set aside: a stack of teasers must not outweigh a short article;
2. the content root is the deepest element that still holds most of the remaining long, mostly unlinked
   text (:func:`content_root`);
3. the article's first paragraph after the headline (the scan's *anchor*) must be part of the text: a
   standfirst above the root's container joins it, a root that lies elsewhere (a right rail that holds
   more text than the article) gives way to the article's side of the page, long text all above the
   headline (a consent banner) is none, siblings holding long text join the root (:func:`text_parts`);
4. inside, links and lists of links, numbers, labels outside paragraphs, labelled date lines and bylines,
   small furniture boxes (unless of a kind that holds text elsewhere), crossheads that head nothing and short
   lines after the last sentence in other containers are left out;
5. a page whose text is all inside furniture-named boxes (a forum thread of "comments") keeps its visible
   text rather than an empty body.
"""

from __future__ import annotations

import re
from collections import Counter

from ..dates import find_dates
from .people import BY_PREFIX, is_person_name, split_names
from .scan import Scan, Segment, within
from .vocabulary import EXCLUDED, HEADING_TAGS, HIDDEN, IN_HEADER, MINOR, PARAGRAPH_TAGS

# Less article text than this (characters) on a page with at least RELAXED_MIN characters of paragraph text:
# the furniture names are read again (see body()).
SHORT = 150
RELAXED_MIN = 500
# After the last line this long or ending a sentence, shorter lines in other containers are left out (_trim_tail).
TAIL = 100
DATA_TAGS = frozenset({"td", "th", "li", "dd", "dt", "pre"})
# A line shorter than this that is a date or a byline is the article's header; a date line may hold this
# many letters besides the date ("Uhr", "Stand", "am").
DATELINE = 80
DATELINE_REST = 12
# A run outside a paragraph-like element, shorter than this and not ending a sentence, is a label.
LABEL = 40
TEXT_TAGS = PARAGRAPH_TAGS | {"td", "pre"}
SENTENCE_END = re.compile(r"[.!?…。！？»«\"“”')]$")
LETTER = re.compile(r"[^\W\d_]")
# Runs of text at least this long and at most half linked choose the content root.
LONG = 80
# The root is the deepest element holding at least this share of those runs.
SHARE_OF_TEXT = 0.7
# A run with more than this share of its text in links is navigation, "read more" or a teaser.
LINKED = 0.6
# Teaser items: at least this many alike siblings with a linked title (15-200 characters, 80 % linked),
# each under this many characters, and at least this share of their alike siblings.
TEASER_ITEMS = 3
TEASER_TITLE = (15, 200)
TEASER_CHARS = 600
TEASER_SHARE = 0.75
ITEM_TAGS = frozenset("div li article section".split())
# A sibling of the root holding at least this share of the root's long text is part of the text.
SIBLINGS = 0.3
# A root that misses the anchor is a standfirst's neighbour when less paragraph text than this lies
# between the anchor and the root's first run.
BETWEEN = 300


def body(scan: Scan, add) -> None:
    """Paragraphs and crossheads of the article text."""
    segments = [s for s in scan.segments if not scan.context(s.boxes) & (EXCLUDED | IN_HEADER) and s.tag != "h1"]
    items = _text(scan, segments)
    if _chars(items) < SHORT:
        # Little or no text outside furniture-named boxes, while the page has text: a page whose article is
        # all named like furniture (a forum thread of "comments", a gallery article, an ad network's
        # wrapper). Its visible text beats an empty body.
        visible = [s for s in scan.segments if not scan.context(s.boxes) & HIDDEN and s.tag != "h1"]
        if sum(s.chars for s in visible if s.is_paragraph_text) >= RELAXED_MIN:
            again = _text(scan, visible)
            if _chars(again) > _chars(items):
                items = again
                scan.evidence["path"] = "relaxed"
    for seg, lines in items:
        if seg.tag not in HEADING_TAGS and seg.chars > 80:
            scan.first_paragraph = seg.pos
            break
    flat = [(seg.tag in HEADING_TAGS and seg.chars <= 200, line) for seg, lines in items for line in lines]
    add("body", [text for heading, text in flat if not heading])
    add("subheadings", _crossheads(flat))


def _chars(items: list) -> int:
    return sum(seg.chars for seg, _ in items if seg.tag not in HEADING_TAGS)


def _text(scan: Scan, segments: list[Segment]) -> list[tuple[Segment, list[str]]]:
    """The runs of the article text among ``segments``, each with its lines."""
    teasers = teaser_segments(segments)
    if teasers:
        segments = [s for s in segments if s not in teasers]
    parts = text_parts(scan, segments)
    scan.content_root = parts[0] if parts else None
    content_blocks = _content_blocks(scan, parts)
    chosen: list[tuple[Segment, bool]] = []  # (run, inside a small furniture box) in document order
    for seg in segments:
        if parts is None:  # no long text anywhere
            if seg.owner is scan.page.body:
                continue  # no long text anywhere: loose characters in <body> are no article
        elif (part := next((p for p in parts if seg.owner is p or within(seg.owner, p)), None)) is None:
            continue
        if seg.links > LINKED * seg.chars or not LETTER.search(seg.text):
            continue  # links, lists of links; numbers and marks ("1", "|", "12.03.2021")
        chosen.append((seg, bool(scan.context(seg.boxes) & MINOR)
                       and _minor_inside(scan, seg, part if parts else None, content_blocks)))
    # Ad slots, share bars and bylines inside the text are left out, unless that would leave out most of it:
    # page builders name every block of text a "widget", CSS-in-JS names can hold "tag".
    minor = sum(s.chars for s, m in chosen if m and s.is_paragraph_text)
    if minor and minor > sum(s.chars for s, m in chosen if not m and s.is_paragraph_text):
        chosen = [(s, False) for s, _ in chosen]
    items = []
    for seg, in_minor in chosen:
        if in_minor:
            continue
        if seg.tag not in TEXT_TAGS and seg.chars < LABEL and "\n" not in seg.text \
                and not SENTENCE_END.search(seg.text):
            continue  # a label in a <div> or <span>: "Kontakt", "Mehr zum Thema", "Teilen"
        if seg.chars < DATELINE and (is_dateline(seg.text) or is_byline(seg.text)):
            continue  # "Stand: 22.04.2024, 06:00 Uhr", "Von Nina Magoley": the article's header, not its text
        items.append((seg, seg.text.split("\n") if seg.tag not in HEADING_TAGS or seg.chars > 200 else [seg.text]))
    return _trim_tail(items)


def _trim_tail(items: list) -> list:
    """Without the short lines after the text's last paragraph that end no sentence: the labels and calls
    to action below an article ("Join our commenting forum", "Comments", "Mehr zum Thema")."""
    last = next((seg for seg, _ in reversed(items) if seg.chars >= TAIL or SENTENCE_END.search(seg.text)), None)
    if last is None:
        return items
    home = last.owner.getparent()
    end = len(items)
    while end > 1 and items[end - 1][0] is not last:
        seg = items[end - 1][0]
        if seg.owner.getparent() is home or seg.tag in DATA_TAGS:
            break  # a sign-off beside the last paragraph ("Euer Hans", "x Franzi"); a table or a list
        end -= 1
    return items[:end]


def is_dateline(text: str) -> bool:
    """A line that is a labelled date and little else ("Stand: 22.04.2024, 06:00 Uhr", "Aktualisiert am
    17.01.2021"). A bare date stays: it can head the text that follows (a day's entries)."""
    found = find_dates(text)
    if not found or all(kind is None for kind, _, _ in found):
        return False
    rest = text
    for _, raw, _ in found:
        rest = rest.replace(raw, " ")
    return len(LETTER.findall(rest)) <= DATELINE_REST


def is_byline(text: str) -> bool:
    """A line that credits people and says nothing else ("Von Nina Magoley", "By Jane Doe and John Roe")."""
    if not BY_PREFIX.match(text):
        return False
    names = split_names(text)
    return bool(names) and all(is_person_name(n) for n in names)


def _crossheads(items: list[tuple[bool, str]]) -> list[str]:
    """Headings followed by a paragraph before the next heading: one that heads nothing headed a block that
    was left out ("Related", "More from ...")."""
    out = []
    for i, (heading, text) in enumerate(items):
        if heading and i + 1 < len(items) and not items[i + 1][0]:
            out.append(text)
    return out


def _minor_inside(scan: Scan, seg: Segment, root, content_blocks: frozenset = frozenset()) -> bool:
    """Whether a small furniture-named box around ``seg`` lies inside ``root`` (not around it) and is not of a
    kind of block that holds the text elsewhere (see :func:`_content_blocks`)."""
    return any(scan.box_flags(b) & MINOR and (root is None or within(b, root)) and _kind(b) not in content_blocks
               for b in seg.boxes)


def _kind(el) -> tuple:
    return el.tag, el.get("class") or ""


def _content_blocks(scan: Scan, parts) -> frozenset:
    """Kinds (tag and class) of furniture-named boxes in the text that are no furniture there: a text of
    "article-widget-text" blocks names the long ones like the short ones, and the short ones are text too."""
    if not parts:
        return frozenset()
    kinds = set()
    for box, flags in scan.boxes():
        if not flags & (MINOR | EXCLUDED) and any(box is p or within(box, p) for p in parts):
            kinds.add(_kind(box))
    return frozenset(kinds)


def teaser_segments(segments: list[Segment]) -> set[Segment]:
    """Runs inside repeated teaser items: siblings alike (tag and class) that each hold a linked title and
    little text. A live blog's entries are alike too, but their titles are not links."""
    chars: dict = {}
    titled: set = set()
    low, high = TEASER_TITLE
    for seg in segments:
        title = low <= seg.chars <= high and seg.links >= 0.8 * seg.chars
        node = seg.owner
        while node is not None:
            chars[node] = chars.get(node, 0) + seg.chars
            if title:
                titled.add(node)
            node = node.getparent()
    groups: dict = {}
    for el in titled:
        if el.tag in ITEM_TAGS and (parent := el.getparent()) is not None:
            groups.setdefault((parent, el.tag, el.get("class") or ""), []).append(el)
    items = set()
    kinds_of: dict = {}  # parent -> how many children of each kind (counted once per parent: linear)
    for (parent, tag, cls), group in groups.items():
        if len(group) < TEASER_ITEMS:
            continue
        if parent not in kinds_of:
            kinds_of[parent] = Counter((c.tag, c.get("class") or "") for c in parent)
        small = [el for el in group if chars[el] < TEASER_CHARS]
        if len(small) >= TEASER_SHARE * kinds_of[parent][(tag, cls)]:
            items.update(small)
    if not items:
        return set()
    return {seg for seg in segments if _under(seg.owner, items)}


def _under(el, elements: set) -> bool:
    while el is not None:
        if el in elements:
            return True
        el = el.getparent()
    return False


def text_parts(scan: Scan, segments: list[Segment]) -> list | None:
    """The elements whose runs are the article text, in document order; None when
    no element holds long text. The first is the content root for the rules that place images and bylines."""
    root = content_root(scan, segments)
    anchor = scan.anchor
    scan.evidence["path"] = "root" if root is not None else "none"
    if root is not None and scan.headline_pos is not None and all(
            s.pos < scan.headline_pos for s in segments
            if s.is_paragraph_text and (s.owner is root or within(s.owner, root))):
        # All the long text lies above the headline: a consent banner, a site's blurb over a list of teasers.
        scan.evidence["path"] = "above"
        return []
    if root is None or anchor is None or anchor.owner is root or within(anchor.owner, root) \
            or anchor not in segments or scan.context(anchor.boxes) & MINOR:
        return _siblings(scan, root) if root is not None else None
    top = common_ancestor(anchor.owner, root)
    branch = anchor.owner
    while branch is not top and branch.getparent() is not top:
        branch = branch.getparent()
    first = next((s.pos for s in segments if s.owner is root or within(s.owner, root)), None)
    alone = scan.long_under.get(branch, 0) <= 1.5 * anchor.chars  # the branch holds the anchor and no more text
    if first is not None and first > anchor.pos and alone:
        between = sum(s.chars for s in segments if s.is_paragraph_text and anchor.pos < s.pos < first
                      and not within(s.owner, root) and s.owner is not root)
        if between < BETWEEN:
            scan.evidence["path"] = "standfirst"
            return [branch, root]  # a standfirst above the text's container
    # The root holds more text than the article but not its first paragraph: a right rail, a teaser stack.
    others = [s for s in segments if not (s.owner is root or within(s.owner, root))]
    again = content_root(scan, others)
    if again is not None and (anchor.owner is again or within(anchor.owner, again)):
        scan.evidence["path"] = "again"
        return [again]
    scan.evidence["path"] = "top"
    return [top]


def _siblings(scan: Scan, root) -> list:
    """The root and those of its siblings that hold long text, at least SIBLINGS of the root's: a text split
    into several blocks (paragraph widgets, a block after an embedded video) is one text."""
    parent = root.getparent()
    if parent is None:
        return [root]
    held = scan.long_under
    least = SIBLINGS * held.get(root, 0)
    return [el for el in parent if el is root or held.get(el, 0) > max(least, 0)]


def common_ancestor(a, b):
    ancestors = set()
    node = a
    while node is not None:
        ancestors.add(node)
        node = node.getparent()
    node = b
    while node not in ancestors:
        node = node.getparent()
    return node


def content_root(scan: Scan, segments: list[Segment]):
    """The deepest element that still holds most of the long runs of text; None when there are none.

    List items and headings do not vote (lists are too often menus); a paragraph votes for its parent, a
    run written straight into a ``<div>`` for that element itself.
    """
    long_under: dict = {}
    total = 0
    for seg in segments:
        if seg.tag in HEADING_TAGS or seg.tag == "li" or seg.chars < LONG or seg.links * 2 > seg.chars:
            continue
        n = seg.chars
        total += n
        node = seg.owner if seg.tag not in ("p", "blockquote") else seg.owner.getparent()
        while node is not None:
            long_under[node] = long_under.get(node, 0) + n
            node = node.getparent()
    scan.long_under = long_under  # for text_parts and _siblings, which weigh the root's neighbours
    if not total:
        return None
    node = scan.page.body
    while True:
        best = max((c for c in node if c in long_under), key=long_under.get, default=None)
        if best is None or long_under[best] < SHARE_OF_TEXT * total:
            return node
        node = best

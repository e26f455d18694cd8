"""One walk over the page body that notes every element and every run of text a rule may need.

:class:`Scan` visits each element once. It files headings, figures, galleries, bylines, dates and
breadcrumbs into short lists, and cuts the visible text into :class:`Segment` runs: the text between two
block boundaries (``<p>``, ``<div>``, ``<td>``, ``<br>`` outside a paragraph, ...), so that text written
straight into a ``<div>``, after an ``<img>`` or between ``<br>`` tags is seen like a paragraph's.

Elements named or tagged like page furniture (navigation, teasers, headers, ad slots, hidden blocks, image
boxes) become *boxes*. Whether a box is furniture is decided only after the walk, from the text it holds: a
wrapper that holds most of the page's text and the article's first paragraph after the headline (the
*anchor*) is the article's wrapper, whatever its name says (``header-style-2``, ``…-content-and-menu``, the
``<form>`` around an ASP.NET page, an unclosed ``<nav>``). The rules then work on those lists instead of
searching the tree again, which keeps extraction within a small multiple of parsing time.
"""

from __future__ import annotations

from ..document import Page, clean_text
from .vocabulary import (BOX_ROLES, EXCLUDED, HEADING_TAGS, HIDDEN, HIDDEN_STYLE, IN_CAPTION, IN_FIGURE, IN_GALLERY,
                         IN_HEADER, INLINE_TAGS, LEAD_TAGS, MINOR, MOST_OF_PAGE, MOST_OF_PAGE_HIDDEN, NOT_TEXT,
                         PARAGRAPH_TAGS, PICTURE_LIMIT, R_AUTHOR, R_BREADCRUMB, R_CAPTION, R_COMMENT, R_CREDIT, R_DATE,
                         R_DATE_PROP, R_FIGURE, R_GALLERY, R_H1, R_HARD, R_HEADER, R_HIDDEN, R_IMAGE_BOX, R_KICKER,
                         R_LEAD, R_NOT_BODY, R_PICTURE, R_ROOT, R_SKIP, R_SOURCE, R_TIME, R_WEAK, SKIP_TAGS, SKIPPED,
                         TAG_ROLES, WEAK_LIMIT, _roles)

BR = "\ue000"  # a <br> inside a run of text (a private-use character: never in real text)
# The first run of text at least this long after the headline starts the article (Scan._anchor).
ANCHOR_CHARS = 80
# A header or small furniture-named box that holds the article's first paragraph and this share of the
# page's paragraph text wraps the article ("article-header" around the text, "tag-…" on a short post).
SHARE_WITH_START = 0.2
# A segment counts as paragraph text for the furniture decision when it is this long and mostly unlinked.
PARAGRAPH_CHARS = 50


class Segment:
    """A run of visible text between two block boundaries, with the context of the element that holds it."""

    __slots__ = ("text", "chars", "links", "owner", "tag", "roles", "flags", "boxes", "pos")

    def __init__(self, text: str, chars: int, links: int, owner, tag: str, roles: int, flags: int, boxes: tuple,
                 pos: int):
        self.text = text      # cleaned; "\n" where a <br> broke the lines of a non-paragraph element
        self.chars = chars    # length of the text without line breaks
        self.links = links    # characters of it inside links
        self.owner = owner    # the nearest block element around the text
        self.tag = tag        # its tag
        self.roles = roles    # its roles (vocabulary.R_*)
        self.flags = flags    # context flags inherited from ancestors (IN_FIGURE, IN_GALLERY, IN_CAPTION)
        self.boxes = boxes    # the furniture-named elements around it, outermost first (see Scan.context)
        self.pos = pos        # walk position: segments and elements compare in document order

    @property
    def is_paragraph_text(self) -> bool:
        return self.chars >= PARAGRAPH_CHARS and self.links * 2 < self.chars

    def __repr__(self) -> str:
        return f"<Segment {self.tag} {self.chars}c {self.links}l {self.text[:40]!r}>"


class _Run:
    """The text of one block element collected so far (inline children, tails), until the next boundary."""

    __slots__ = ("scan", "owner", "tag", "roles", "flags", "boxes", "parts", "links", "pos")

    def __init__(self, scan: Scan, owner, tag: str, roles: int, flags: int, boxes: tuple):
        self.scan, self.owner, self.tag, self.roles, self.flags, self.boxes = scan, owner, tag, roles, flags, boxes
        self.parts: list[str] = []
        self.links = 0
        self.pos = scan._pos

    def add(self, text: str, link: bool) -> None:
        """Add text; whitespace alone only separates text already there (so a run with parts has text)."""
        if text.isspace():
            if self.parts:
                self.parts.append(" ")
            return
        self.parts.append(text)
        if link:
            self.links += len(text.strip())

    def flush(self) -> None:
        if not self.parts:
            self.pos = self.scan._pos
            return
        raw = "".join(self.parts)
        self.parts.clear()  # in place: the walk holds the list
        links, self.links = self.links, 0
        if BR in raw:
            lines = [line for line in (clean_text(x) for x in raw.split(BR)) if line]
            text = "\n".join(lines)
            chars = sum(map(len, lines))
        else:
            text = clean_text(raw)
            chars = len(text)
        if text:
            self.scan.segments.append(Segment(text, chars, links if links < chars else chars, self.owner, self.tag,
                                              self.roles, self.flags, self.boxes, self.pos))
        self.pos = self.scan._pos


class Scan:
    """Everything the rules need from one walk over the body, in document order."""

    def __init__(self, page: Page):
        self.page = page
        self.segments: list[Segment] = []
        self.h1s: list[tuple] = []             # (element, flags, position)
        self.figures: list[tuple] = []         # (element, flags, position) for figures and image boxes
        self.galleries: list = []
        self.kickers: list = []
        self.leads: list = []                  # (element, position)
        self.bylines: list = []
        self.byline_positions: dict = {}
        self.times: list = []
        self.date_props: list = []
        self.breadcrumb = None
        self.comments: list = []
        self.sources: list = []                # elements named "source"/"quelle" outside figures
        self.datelines: list = []              # elements named like dates ("date", "timestamp", ...)
        self.content_root = None               # the element holding the article text (set by body())
        self.anchor: Segment | None = None     # the first paragraph after the headline (see _anchor)
        self.headline_pos: int | None = None   # walk position of the headline (<h1>) outside furniture
        self.evidence: dict = {}               # how the text was found: {"path": ...} (body.text_parts) and
                                               # in how large a page: {"elements": ...} (second_opinion)
        self.long_under: dict = {}             # element -> long text it holds (body.content_root)
        self.first_paragraph = 10 ** 9         # walk position of the first body paragraph (set by body())
        self._pos = 0
        self._noted: list[tuple] = []          # (list name, entry, boxes, static flags) until boxes are resolved
        self._box_flags: dict = {}             # box element -> the flags it gives the elements inside it
        self._context: dict = {}               # boxes tuple -> flags, memo of context()
        run = _Run(self, page.body, page.body.tag, 0, 0, ())
        if page.body.text:
            run.add(page.body.text, False)
        self._walk(page.body, 0, (), (), run, False)
        run.flush()
        self.evidence["elements"] = self._pos
        self._resolve_boxes()

    # -- the walk ---------------------------------------------------------------------------------------

    def _walk(self, el, flags: int, boxes: tuple, roots: tuple, run: _Run, link: bool) -> None:
        """Walk the children of ``el``; ``run`` collects the text of the nearest block element.

        The hottest loop of extraction: every element of the page passes here once, so the run's methods
        are inlined where they would be called for nothing (an empty run, a tail without a link).
        """
        parts = run.parts
        for child in el:
            tag = child.tag
            if tag.__class__ is not str:
                if child.tail:
                    run.add(child.tail, link)
                continue
            self._pos += 1
            if tag in SKIP_TAGS and not (tag == "noscript" and _holds_blocks(child)):
                pass
            elif tag == "br":
                if parts:
                    parts.append(" " if run.tag in PARAGRAPH_TAGS else BR)
            else:
                roles = TAG_ROLES.get(tag, 0)
                cls, eid, prop = child.get("class"), child.get("id"), child.get("itemprop")
                if cls or eid or prop:
                    roles |= _roles(cls or "", eid or "", prop or "")
                if tag == "a" and _names_author(child):
                    roles |= R_AUTHOR
                elif tag == "footer" and not roots:
                    roles |= R_SKIP  # the page's footer (an article's own footer is read)
                if (style := child.get("style")) and HIDDEN_STYLE.search(style) or child.get("hidden") is not None:
                    roles |= R_HIDDEN
                if tag in INLINE_TAGS and not roles & BOX_ROLES:
                    if roles:
                        self._note(child, tag, roles, flags, boxes, roots)
                    in_link = link or tag == "a"
                    if child.text:
                        run.add(child.text, in_link)
                    if len(child):
                        self._walk(child, flags, boxes, roots, run, in_link)
                else:
                    if parts:
                        run.flush()
                    f, b, r = flags, boxes, roots
                    if roles:
                        f, b, r = self._note(child, tag, roles, flags, boxes, roots)
                    if child.text or len(child):
                        sub = _Run(self, child, tag, roles, f, b)
                        if child.text:
                            sub.add(child.text, link)
                        if len(child):
                            self._walk(child, f, b, r, sub, link)  # a block in a link is link text: a teaser card
                        if sub.parts:
                            sub.flush()
                    run.pos = self._pos
            tail = child.tail
            if tail:  # inlined run.add(): most elements have a tail, most tails are a line break
                if not tail.isspace():
                    parts.append(tail)
                    if link:
                        run.links += len(tail.strip())
                elif parts:
                    parts.append(" ")

    def _note(self, el, tag: str, roles: int, flags: int, boxes: tuple, roots: tuple) -> tuple[int, tuple, tuple]:
        """File ``el`` for the rules its roles name; returns the context (flags, boxes, roots) of its children.

        An element is filed with the context of its parent (a figure is not excluded for being a figure),
        except a headline, whose own name counts.
        """
        inner = boxes
        picture = roles & R_FIGURE or (roles & R_IMAGE_BOX and not flags & (IN_FIGURE | IN_GALLERY)
                                       and _one_image_with_text(el))
        if picture and not roles & R_FIGURE:
            roles |= R_PICTURE
        if roles & BOX_ROLES:
            inner = boxes + (el,)
            self._box_flags[el] = roles & BOX_ROLES  # roles for now: _resolve_boxes turns them into flags
        if roles & R_ROOT:  # <article>, <main>, [itemprop=articleBody]: their own <footer> is read
            roots = roots + (el,)
        pos = self._pos
        if roles & R_H1:
            self._noted.append(("h1s", (el, pos), inner, flags))
        elif roles & R_TIME:
            self._noted.append(("times", el, boxes, flags))
        if roles & R_DATE_PROP:
            self._noted.append(("date_props", ((el.get("itemprop") or "").lower(), el), boxes, flags))
        if roles & R_KICKER and not roles & R_GALLERY:
            self._noted.append(("kickers", el, boxes, flags))
        elif roles & R_LEAD and tag in LEAD_TAGS and not flags & (IN_FIGURE | IN_GALLERY | IN_CAPTION):
            self._noted.append(("leads", (el, pos), boxes, flags))
        if roles & R_AUTHOR and not flags & (IN_FIGURE | IN_GALLERY):
            self._noted.append(("bylines", el, boxes, flags))
            self.byline_positions[el] = pos
        if roles & R_BREADCRUMB or "BreadcrumbList" in (el.get("itemtype") or ""):
            self._noted.append(("breadcrumb", el, boxes, flags))
        if roles & R_COMMENT:
            self._noted.append(("comments", el, boxes, flags))
        if roles & R_DATE:
            self._noted.append(("datelines", el, boxes, flags))
        if roles & R_SOURCE and not flags & (IN_FIGURE | IN_GALLERY | IN_CAPTION) and len(el) <= 2:
            self._noted.append(("sources", el, boxes, flags))
        if picture and not flags & (IN_FIGURE | IN_GALLERY):
            self._noted.append(("figures", (el, pos), boxes, flags))  # the figure's context, not its own
            flags |= IN_FIGURE
        if roles & R_GALLERY and not flags & IN_GALLERY:
            self._noted.append(("galleries", el, boxes, flags))
            flags |= IN_GALLERY
        if roles & (R_CAPTION | R_CREDIT):
            flags |= IN_CAPTION
        return flags, inner, roots

    # -- boxes --------------------------------------------------------------------------------------------

    def _resolve_boxes(self) -> None:
        """Decide for every furniture-named element whether it is furniture, from the text it holds, then
        file the noted elements with their final flags."""
        page_text = 0
        held: dict = dict.fromkeys(self._box_flags, 0)       # paragraph text inside each box
        held_all: dict = dict.fromkeys(self._box_flags, 0)   # all text inside each box
        for seg in self.segments:
            paragraph = seg.is_paragraph_text
            if paragraph:
                page_text += seg.chars
            for box in seg.boxes:
                held_all[box] += seg.chars
                if paragraph:
                    held[box] += seg.chars
        anchor, then = self._anchor()
        self.anchor = anchor
        around_anchor = frozenset(anchor.boxes) if anchor is not None else frozenset()
        around_start = around_anchor | frozenset(then.boxes) if then is not None else around_anchor
        for box, roles in self._box_flags.items():
            share = held[box] / page_text if page_text else 0.0
            # A wrapper around the article holds most of the page's text, and the article's first paragraph
            # (or the one after it, when the first is a standfirst of its own): a box holding most of the text
            # but neither paragraph is a big teaser list or a sidebar.
            most = share >= MOST_OF_PAGE and (anchor is None or box in around_start)
            start = box in around_anchor and share >= SHARE_WITH_START
            flags = 0
            if (roles & R_HARD and not (most and anchor is not None)) or (roles & (R_NOT_BODY | R_SKIP) and not most):
                flags |= EXCLUDED
            if roles & R_SKIP and not most:
                flags |= SKIPPED
            if roles & R_WEAK and held_all[box] < WEAK_LIMIT and not (most or start):
                flags |= MINOR
            if roles & R_HEADER and not (most or start):
                flags |= IN_HEADER
            if roles & R_PICTURE and held_all[box] < PICTURE_LIMIT and not most:
                flags |= EXCLUDED
            if roles & R_HIDDEN and not share >= MOST_OF_PAGE_HIDDEN:
                flags |= HIDDEN | EXCLUDED
            self._box_flags[box] = flags
        for name, entry, boxes, flags in self._noted:
            flags |= self.context(boxes)
            if flags & SKIPPED:
                continue  # navigation-like chrome: no rule reads it
            if name == "h1s" or name == "figures":
                el, pos = entry
                getattr(self, name).append((el, flags, pos))
            elif name == "kickers":
                if not flags & NOT_TEXT:
                    self.kickers.append(entry)
            elif name == "leads":
                if not flags & NOT_TEXT:
                    self.leads.append(entry)
            elif name == "breadcrumb":
                if self.breadcrumb is None:
                    self.breadcrumb = entry
            else:
                getattr(self, name).append(entry)
        self._noted = []

    def _anchor(self) -> tuple[Segment | None, Segment | None]:
        """The first two paragraphs after the headline: where the article text starts on nearly every page.

        Read before the boxes are resolved, so it skips only what is furniture whatever its size (hard
        furniture words, navigation-like chrome, hidden elements) and figures.
        """
        never = R_HARD | R_SKIP | R_HIDDEN
        start = next((entry[1] for name, entry, boxes, _ in self._noted
                      if name == "h1s" and not any(self._box_flags[b] & never for b in boxes)), None)
        self.headline_pos = start
        if start is None:
            return None, None
        found: list[Segment] = []
        for seg in self.segments:
            if seg.pos > start and seg.chars >= ANCHOR_CHARS and seg.links * 5 < seg.chars \
                    and seg.tag not in HEADING_TAGS and not seg.flags & (IN_FIGURE | IN_GALLERY) \
                    and not any(self._box_flags[b] & never for b in seg.boxes):
                found.append(seg)
                if len(found) == 2:
                    return found[0], found[1]
        return (found[0], found[0]) if found else (None, None)

    def boxes(self):
        """Every furniture-named element with the flags it gives the elements inside it."""
        return self._box_flags.items()

    def box_flags(self, box) -> int:
        """The flags a furniture-named element gives the elements inside it."""
        return self._box_flags[box]

    def context(self, boxes: tuple) -> int:
        """The flags (EXCLUDED, MINOR, IN_HEADER, HIDDEN, SKIPPED) that the boxes around an element give it."""
        if not boxes:
            return 0
        flags = self._context.get(boxes)
        if flags is None:
            flags = 0
            for box in boxes:
                flags |= self._box_flags[box]
            self._context[boxes] = flags
        return flags


def _names_author(a) -> bool:
    """A link that names an author without a class saying so: rel=author, a link to an author's page
    ("/autoren/name/max-kolter", "/author/jane-doe")."""
    href = a.get("href")
    if href and ("/autor" in href or "/author" in href or "/journalist" in href):
        return True
    rel = a.get("rel")
    return rel is not None and rel.lower() == "author"


def _holds_blocks(el) -> bool:
    """A <noscript> that holds paragraphs: some pages parse with the whole body inside one."""
    return next(el.iterchildren(*NOSCRIPT_BLOCKS), None) is not None


NOSCRIPT_BLOCKS = ("p", "div", "section", "article", "main", "table", "ul", "ol", "h1", "h2", "h3")


def _one_image_with_text(el) -> bool:
    imgs = list(el.iter("img"))
    return len(imgs) == 1 and bool(clean_text("".join(el.itertext())))


def within(el, root) -> bool:
    """Whether ``root`` is a proper ancestor of ``el``."""
    node = el.getparent()
    while node is not None:
        if node is root:
            return True
        node = node.getparent()
    return False

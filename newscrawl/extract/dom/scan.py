"""One walk over the page body that notes every element a rule may need.

:class:`Scan` visits each element once and files headings, paragraphs, figures, galleries, bylines, dates
and breadcrumbs into short lists, each with flags inherited from its ancestors (inside navigation or a
teaser list, inside a figure, inside a gallery, inside the article header). The rules then work on those
lists instead of searching the tree again, which keeps extraction within a small multiple of parsing time.
"""

from __future__ import annotations

from ..document import Page, clean_text
from .vocabulary import (BLOCKISH, EXCLUDED, IN_CAPTION, IN_FIGURE, IN_GALLERY, IN_HEADER, INLINE_PARENTS, LEAD_TAGS,
                         MINOR, NOT_TEXT, R_AUTHOR, R_BLOCK, R_BREADCRUMB, R_CAPTION, R_COMMENT, R_CREDIT, R_DATE,
                         R_DATE_PROP, R_FIGURE, R_GALLERY, R_H1, R_HEADER, R_IMAGE_BOX, R_KICKER, R_LEAD, R_NOT_BODY,
                         R_ROOT, R_SKIP, R_SOURCE, R_TIME, R_WEAK, SKIP_TAGS, TAG_ROLES, TEXT_BOXES, WEAK_LIMIT, _roles)


class Scan:
    """Everything the rules need from one walk over the body, in document order."""

    def __init__(self, page: Page):
        self.page = page
        self.h1s: list[tuple] = []             # (element, flags)
        self.blocks: list[tuple] = []          # (element, tag, flags, roots, position) for p/li/blockquote/h2-h4
        self.figures: list[tuple] = []         # (element, flags, position) for figures and image boxes
        self.galleries: list = []
        self.kickers: list = []
        self.leads: list = []
        self.bylines: list = []
        self.byline_positions: dict = {}
        self.times: list = []
        self.date_props: list = []
        self.breadcrumb = None
        self.comments: list = []
        self.sources: list = []                # elements named "source"/"quelle" outside figures
        self.datelines: list = []              # elements named like dates ("date", "timestamp", ...)
        self.roots: list = []                  # <article>, <main> and [itemprop=articleBody] elements
        self.content_root = None               # the element holding the article text (set by body())
        self.first_paragraph = 10 ** 9         # walk position of the first body paragraph (set by body())
        self._pos = 0
        # itemprop and rel=author are rare: find them in C once instead of reading them on every element.
        self._marked = {el: el.get("itemprop") for el in page.body.xpath(".//*[@itemprop or @rel='author']")}
        self._walk(page.body, 0, ())

    def _walk(self, el, flags: int, roots: tuple) -> None:
        for child in el:
            tag = child.tag
            if tag.__class__ is not str:
                continue
            self._pos += 1
            if tag in SKIP_TAGS or (tag == "footer" and not roots):  # an article's own footer stays
                continue
            roles = TAG_ROLES.get(tag, 0)
            cls, eid = child.get("class"), child.get("id")
            prop = self._marked.get(child, "") if self._marked else ""
            if cls or eid or prop:
                roles |= _roles(cls or "", eid or "", prop or "")
                if roles & R_SKIP:
                    continue
            if prop is None:  # marked for rel=author
                roles |= R_AUTHOR
            if tag in TEXT_BOXES and (tag != "span" or el.tag not in INLINE_PARENTS) \
                    and (own := child.text) and len(own) >= 40 and own.strip() \
                    and next(child.iterdescendants(*BLOCKISH), None) is None:
                roles |= R_BLOCK  # text written straight into a <div>, as some CMSs do for paragraphs
            if not roles:
                if len(child):
                    self._walk(child, flags, roots)
                continue
            f = flags
            if roles & R_NOT_BODY:
                f |= EXCLUDED
            elif roles & R_WEAK and len("".join(child.itertext())) < WEAK_LIMIT:
                f |= MINOR
            if roles & R_HEADER:
                f |= IN_HEADER  # headers hold kicker, headline and lead, never body text
            if roles & R_ROOT:
                self.roots.append(child)
                roots = roots + (child,)
            if roles & R_BLOCK:
                self.blocks.append((child, tag, f, roots, self._pos))
            elif roles & R_H1:
                self.h1s.append((child, f, self._pos))
            elif roles & R_TIME:
                self.times.append(child)
            if roles & R_DATE_PROP:
                self.date_props.append(((prop or "").lower(), child))
            if roles & ~(R_BLOCK | R_H1 | R_TIME | R_ROOT | R_DATE_PROP):
                self._classify(child, tag, roles, flags)
            if (roles & R_FIGURE or roles & R_IMAGE_BOX) and not f & (IN_FIGURE | IN_GALLERY):
                if roles & R_FIGURE or _one_image_with_text(child):
                    self.figures.append((child, flags, self._pos))  # the figure's context, not itself
                    f |= IN_FIGURE
            if roles & R_GALLERY and not f & IN_GALLERY:
                self.galleries.append(child)
                f |= IN_GALLERY
            if roles & (R_CAPTION | R_CREDIT):
                f |= IN_CAPTION
            if len(child):
                self._walk(child, f, roots)
            if roles & R_ROOT:
                roots = roots[:-1]

    def _classify(self, el, tag: str, roles: int, flags: int) -> None:
        """Note ``el`` for the rules its roles name; ``flags`` are its context (the parent's)."""
        if roles & R_KICKER and not roles & R_GALLERY and not flags & NOT_TEXT:
            self.kickers.append(el)
        elif roles & R_LEAD and tag in LEAD_TAGS and not flags & (NOT_TEXT | IN_FIGURE | IN_GALLERY | IN_CAPTION):
            self.leads.append((el, self._pos))
        if roles & R_AUTHOR and not flags & (IN_FIGURE | IN_GALLERY):
            self.bylines.append(el)
            self.byline_positions[el] = self._pos
        if self.breadcrumb is None and (roles & R_BREADCRUMB or "BreadcrumbList" in (el.get("itemtype") or "")):
            self.breadcrumb = el
        if roles & R_COMMENT:
            self.comments.append(el)
        if roles & R_DATE:
            self.datelines.append(el)
        if roles & R_SOURCE and not flags & (IN_FIGURE | IN_GALLERY | IN_CAPTION) and len(el) <= 2:
            self.sources.append(el)


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

"""Layer 2: generic DOM rules that hold across news sites.

One walk over the body (:class:`Scan`) notes every element a rule may need — headings, paragraphs,
figures, galleries, bylines, dates, breadcrumbs — together with flags inherited from its ancestors
(inside navigation or a teaser list, inside a figure, inside a gallery, inside the article header). The
rules below then work on those short lists instead of searching the tree again, which keeps extraction
within a small multiple of parsing time.

Naming conventions are matched on *class words*: class, id and itemprop attributes split at ``-``,
``_``, whitespace and camelCase humps (``Article_elementLead__x1`` gives article, element, lead, x1), so
``o-article-lead``, ``article__lead`` and ``ArticleLead`` all count as "lead" while ``leaderboard`` does
not. Nothing here knows a particular site.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

from lxml import etree

from .credits import split_glued_credit
from .dates import find_dates
from .document import Page, clean_text, element_text
from .galleries import caption_parts, credit_parts, dedupe_slides, gallery_size, looks_like_escaped_html
from .merge import Candidates

_HUMP = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SPLIT = re.compile(r"[-_\s:]+")
EMPTY: frozenset[str] = frozenset()

KICKER = frozenset("kicker overline dachzeile roofline topline eyebrow spitzmarke supertitle overhead flag".split())
LEAD = frozenset("lead intro standfirst summary abstract subtitle subheadline deck teaser description excerpt "
                 "dek".split())
AUTHOR = frozenset("author authors byline autor autoren writer creator contributor".split())
CAPTION = frozenset("caption legend bildunterschrift description text title figcaption".split())
CREDIT = frozenset("credit credits copyright source photographer quelle fotograf rights attribution".split())
GALLERY = frozenset("gallery galerie slideshow bildstrecke carousel slider swiper lightbox".split())
IMAGE_BOX = frozenset("image picture photo media img bild foto".split())
BREADCRUMB = frozenset({"breadcrumb", "breadcrumbs", "crumbs"})
COMMENT = frozenset({"comment", "comments", "kommentare", "kommentar"})
SOURCE = frozenset({"source", "quelle", "agency", "agentur"})
DATE_WORDS = frozenset("date time timestamp datum zeit published updated dateline".split())
DATE_PROPS = frozenset({"datepublished", "datemodified", "datecreated"})
# Containers whose text is not article body.
NOT_BODY = frozenset(
    "aside nav navigation footer comment comments newsletter promo recommendation recommendations related "
    "teaser-list breadcrumb breadcrumbs cookie consent caption credit figcaption gallery galerie slideshow "
    "bildstrecke outbrain taboola toolbar most popular trending subscription login signup modal "
    "overlay dialog poll survey".split()
)
# Words that name page furniture but also turn up on wrappers around the whole article (WordPress puts
# "tag-…" and "category-…" on the post, ad slots wrap text, a "lead" wrapper holds the story): they
# exclude only a small element.
WEAK_NOT_BODY = frozenset("share sharing social ad ads advert advertisement banner byline meta tags tag kicker lead "
                          "carousel slider swiper embed widget author authors sidebar".split())
# Words of layout wrappers ("sidebar-grid__content", "comments-enabled", "has-sidebar"): with one of them a
# furniture word only excludes a small element.
LAYOUT = frozenset("content main body article text story entry post grid layout wrapper wrap container enabled has "
                   "with page column col row inner".split())
WEAK_LIMIT = 1000  # characters of text
HEADER = frozenset({"header", "masthead", "hgroup"})
NOT_BODY_TAGS = frozenset("aside nav footer form figure figcaption button select textarea label".split())
LEAD_TAGS = frozenset({"p", "div", "h2", "span", "strong"})
PARAGRAPH_TAGS = frozenset({"p", "li", "blockquote"})
HEADING_TAGS = frozenset({"h2", "h3", "h4"})
ROOT_PROPS = frozenset({"articlebody"})
# Separators between names: punctuation and "and" in the languages of the sites we see most.
NAME_SPLIT = re.compile(r"\s*(?:,|;|&|\||\s(?:und|and|AND|UND|sowie|og|och|et|y|e|i|ve|și|és)\s)\s*")
BY_PREFIX = re.compile(r"^(?:von|by|text|autor(?:in)?|author|written by|redaktion)\s*[:\-]?\s+", re.IGNORECASE)
PERSON = re.compile(r"^(?:[A-ZÀ-ÖØ-Þ][\w'’\-.]*\.?\s+){0,3}(?:[a-zà-ÿ]{1,3}\s+)?[A-ZÀ-ÖØ-Þ][\w'’\-.]+$", re.UNICODE)
COMMENT_COUNT = re.compile(r"(\d{1,6})\s*(?:zu den\s+)?(?:Kommentare|Kommentaren|Kommentar|comments?|Reaktionen)\b",
                           re.IGNORECASE)
SOURCE_LINE = re.compile(r"^(?:Quelle|Source|Mit Material von|Material)\s*:\s*(.{2,60})$", re.IGNORECASE)

# Flags an element inherits from its ancestors.
# EXCLUDED: page chrome (navigation, teasers, comments); MINOR: a small element named like furniture (an ad
# slot, a widget, an embed) — not body text, but an image in it can still belong to the article.
EXCLUDED, IN_FIGURE, IN_GALLERY, IN_HEADER, IN_CAPTION, MINOR = 1, 2, 4, 8, 16, 32
NOT_TEXT = EXCLUDED | MINOR


@lru_cache(maxsize=65536)
def _words(attr: str) -> frozenset[str]:
    return frozenset(w.lower() for w in _SPLIT.split(_HUMP.sub(" ", attr)) if w)


def class_words(el) -> frozenset[str]:
    cls, eid, prop = el.get("class"), el.get("id"), el.get("itemprop")
    if not (cls or eid or prop):
        return EMPTY
    return _words(f"{cls or ''} {eid or ''} {prop or ''}")


def has_words(el, words: frozenset[str]) -> bool:
    return bool(class_words(el) & words)


# Roles an element can have, from its tag and its class words (bit flags, so one walk tests them cheaply).
(R_NOT_BODY, R_HEADER, R_KICKER, R_LEAD, R_AUTHOR, R_CAPTION, R_CREDIT, R_GALLERY, R_IMAGE_BOX, R_BREADCRUMB,
 R_COMMENT, R_DATE, R_SOURCE, R_ROOT, R_BLOCK, R_H1, R_TIME, R_FIGURE, R_DATE_PROP, R_WEAK) = (
    1 << i for i in range(20))
WORD_ROLES = ((NOT_BODY, R_NOT_BODY), (WEAK_NOT_BODY, R_WEAK), (HEADER, R_HEADER), (KICKER, R_KICKER), (LEAD, R_LEAD), (AUTHOR, R_AUTHOR),
              (CAPTION, R_CAPTION), (CREDIT, R_CREDIT), (GALLERY, R_GALLERY), (IMAGE_BOX, R_IMAGE_BOX),
              (BREADCRUMB, R_BREADCRUMB), (COMMENT, R_COMMENT), (DATE_WORDS, R_DATE), (SOURCE, R_SOURCE))
TAG_ROLES = {
    **{t: R_NOT_BODY for t in NOT_BODY_TAGS}, "header": R_HEADER, "hgroup": R_HEADER,
    **{t: R_BLOCK for t in PARAGRAPH_TAGS | HEADING_TAGS}, "h1": R_H1, "time": R_TIME, "article": R_ROOT,
    "main": R_ROOT, "figure": R_NOT_BODY | R_FIGURE, "figcaption": R_NOT_BODY | R_CAPTION,
}


@lru_cache(maxsize=65536)
def _roles(cls: str, eid: str, prop: str) -> int:
    words = _words(f"{cls} {eid} {prop}")
    roles = 0
    for group, role in WORD_ROLES:
        if words & group:
            roles |= role
    prop = prop.lower()
    if prop in ROOT_PROPS:
        roles |= R_ROOT
    if prop in DATE_PROPS:
        roles |= R_DATE_PROP
    if prop == "author":
        roles |= R_AUTHOR
    if words & LAYOUT and roles & R_NOT_BODY:  # "sidebar-grid__content": weak, not strong
        roles = (roles & ~R_NOT_BODY) | R_WEAK
    elif words & SKIP_WORDS:
        roles |= R_SKIP
    return roles


# Page chrome that never holds article content: the walk does not descend into it.
SKIP_TAGS = frozenset({"nav", "aside", "select", "button", "textarea", "dialog", "map", "video", "audio", "noscript"})
SKIP_WORDS = frozenset("navigation navbar menu outbrain taboola cookie consent newsletter "
                       "recommendations modal overlay subscription signup login".split())
R_SKIP = 1 << 30
TEXT_BOXES = frozenset({"div", "section", "td", "span"})
INLINE_PARENTS = frozenset({"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "a", "span", "figcaption",
                            "label", "strong", "em", "b", "i"})
BLOCKISH = ("p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "table", "section", "article",
            "blockquote", "figure")


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


# -- rules ------------------------------------------------------------------------------------------------

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


def split_names(text: str) -> list[str]:
    text = BY_PREFIX.sub("", clean_text(text))
    return [n for n in (clean_text(x) for x in NAME_SPLIT.split(text)) if n]


def is_person_name(name: str) -> bool:
    return 3 <= len(name) <= 60 and not any(ch.isdigit() for ch in name) and bool(PERSON.match(name))


def _text_without(el, words: frozenset[str]) -> str:
    """Text of ``el`` without descendants that carry any of ``words`` (or are ``<time>``)."""
    skip = [d for d in el.iterdescendants() if isinstance(d.tag, str) and (d.tag == "time" or has_words(d, words))]
    if not skip:
        return element_text(el)
    skipped = set(skip)
    parts: list[str] = []

    def walk(node) -> None:
        if node.text:
            parts.append(node.text)
        for child in node:
            if child not in skipped:
                walk(child)
            parts.append(" ")
            if child.tail:
                parts.append(child.tail)

    walk(el)
    return clean_text("".join(parts))


def authors(scan: Scan, add) -> None:
    found: list[str] = []
    area = scan.content_root.getparent() if scan.content_root is not None else None
    for el in scan.bylines:
        if area is not None and not _within(el, area) and not _before(el, scan):
            continue  # the byline of a teaser further down the page
        name_els = el.xpath(".//*[@itemprop='name']") or _name_leaves(el) or [el]
        for name_el in name_els:
            for name in split_names(_text_without(name_el, DATE_WORDS)):
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


def dates(scan: Scan, add) -> None:
    for prop, el in scan.date_props:
        value = el.get("content") or el.get("datetime") or element_text(el)
        add("modified_raw" if prop == "datemodified" else "published_raw", value)
    for el in scan.times:
        value = el.get("datetime") or element_text(el)
        parent = el.getparent()
        words = class_words(el) | (class_words(parent) if parent is not None else EMPTY)
        label = element_text(parent) if parent is not None else ""
        own = element_text(el)
        at = label.find(own) if own else -1
        before = label[:at] if at > 0 else ""
        modified = bool(words & {"updated", "modified", "update", "aktualisiert"}) or bool(
            re.search(r"aktualisiert|update|akt\.?:|stand", before, re.IGNORECASE))
        add("modified_raw" if modified else "published_raw", value)


def body(scan: Scan, add) -> None:
    """Paragraphs and crossheads of the main content root, outside navigation, teasers and figures."""
    root = scan.content_root = _content_root(scan)
    paragraphs: list[str] = []
    subheadings: list[str] = []
    for el, tag, flags, roots, pos in scan.blocks:
        if flags & (NOT_TEXT | IN_HEADER) or (root is not None and not _within(el, root)):
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


def _within(el, root) -> bool:
    node = el.getparent()
    while node is not None:
        if node is root:
            return True
        node = node.getparent()
    return False


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


def _img_url(page: Page, img) -> str | None:
    for attr in ("src", "data-src", "data-original", "data-lazy-src", "data-srcset", "srcset"):
        value = (img.get(attr) or "").strip()
        if value and not value.startswith("data:"):
            if "srcset" in attr:
                value = value.split(",")[0].split()[0]
            return page.absolute(value)
    return None


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
            caption = _text_without(el, CREDIT) if _holds_credit(el) else element_text(el)
    if credit is None:
        credit = _credit_element(fig, img)
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
            return clean_text(el.text)
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
             and (area is None or pos < first or _within(fig, area))]
    for fig, flags, pos in boxes:
        image = figure_image(scan.page, fig)
        if image and image["url"]:
            image["is_lead"] = pos < first and not found
            found.append(image)
    add("figures", found)


def comment_count(scan: Scan, add) -> None:
    for el in scan.comments:
        text = element_text(el)
        if len(text) > 60:
            continue
        if m := COMMENT_COUNT.search(text):
            add("comment_count", int(m.group(1)))
            return
        if text.isdigit() and len(text) <= 6:
            add("comment_count", int(text))
            return


def galleries(scan: Scan, add, *, article_id_of=None) -> None:
    found = [g for g in (parse_gallery(scan.page, el, article_id_of=article_id_of) for el in scan.galleries) if g]
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


# Slides already read, by their markup: heute puts the same 50-slide news-of-the-day gallery into every
# article of a day, so most slides of a crawl were seen on an earlier page. Bounded; least recently used
# dropped first (a dict keeps insertion order).
_SLIDE_MEMO: dict[tuple, dict] = {}
SLIDE_MEMO_SIZE = 4096


def parse_gallery(page: Page, container, *, article_id_of=None) -> dict | None:
    entries = []
    # A bound method is a new object on every Site instance: key on its class and function.
    reader = (type(article_id_of.__self__), article_id_of.__func__) if hasattr(article_id_of, "__func__") \
        else article_id_of
    for slide in _slides(container):
        img = slide if slide.tag == "img" else next(slide.iter("img"))
        key = (hashlib.blake2b(etree.tostring(slide, with_tail=False), digest_size=16).digest(), reader)
        parts = _SLIDE_MEMO.pop(key, None)  # re-inserted below: the most recently used slides stay
        if parts is None:
            parts = _slide_text(slide, img, article_id_of)
            if len(_SLIDE_MEMO) >= SLIDE_MEMO_SIZE:
                del _SLIDE_MEMO[next(iter(_SLIDE_MEMO))]
        _SLIDE_MEMO[key] = parts
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
    blocks = [el for el, tag, flags, _, _ in scan.blocks if tag == "p" and not flags & (IN_FIGURE | IN_GALLERY | IN_CAPTION)]
    for el in [*scan.sources, *blocks]:
        if True:
            text = "".join(el.itertext())
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


def extract(page: Page, cands: Candidates, *, article_id_of=None) -> Scan:
    """Run every generic DOM rule; returns the scan for later layers."""
    scan = Scan(page)
    add = cands.adder("html")
    headline(scan, add)
    body(scan, add)  # first: the lead, bylines and images are placed relative to the article text
    kicker_and_lead(scan, add)
    authors(scan, add)
    dates(scan, add)
    images(scan, add)
    galleries(scan, add, article_id_of=article_id_of)
    comment_count(scan, add)
    breadcrumbs(scan, add)
    source_line(scan, cands.adder("text"))
    if not (cands.all("published_raw") and cands.all("modified_raw")):
        text_dates(scan, cands.adder("text"))  # the fallback layer: only when markup left a date open
    return scan

"""The words and tags the DOM rules recognise, and the roles an element gets from them.

Naming conventions are matched on *class words*: class, id and itemprop attributes split at ``-``,
``_``, whitespace and camelCase humps (``Article_elementLead__x1`` gives article, element, lead, x1), so
``o-article-lead``, ``article__lead`` and ``ArticleLead`` all count as "lead" while ``leaderboard`` does
not. Nothing here knows a particular site; the rules that use these words live beside this module.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..document import clean_text, element_text

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
# Containers whose text is not article body. A wrapper around the whole article sometimes carries one of
# these words ("article-header", "content-and-menu", an ASP.NET <form> around the page): the scan lets an
# element that holds most of the page's text be body whatever its name, except for the HARD words.
NOT_BODY = frozenset(
    "aside nav navigation footer comment comments newsletter promo recommendation recommendations related "
    "breadcrumb breadcrumbs cookie consent caption credit figcaption gallery galerie slideshow "
    "bildstrecke outbrain taboola toolbar most popular trending subscription login signup modal "
    "overlay dialog poll survey".split()
)
# Furniture however much text it holds: a long comment thread or a long list of related stories is still not
# the article.
HARD_NOT_BODY = frozenset("comment comments kommentare kommentar related recommendation recommendations outbrain "
                          "taboola cookie consent newsletter breadcrumb breadcrumbs poll survey popular trending "
                          "promo".split())
# Words that name page furniture but also turn up on wrappers around the whole article (WordPress puts
# "tag-…" and "category-…" on the post, ad slots wrap text, a "lead" wrapper holds the story): they
# exclude only a small element.
WEAK_NOT_BODY = frozenset("share sharing social ad ads advert advertisement banner byline meta tags tag kicker lead "
                          "carousel slider swiper embed widget author authors sidebar".split())
# Words of layout wrappers ("sidebar-grid__content", "footer-content"): with one of them a furniture word only
# excludes a small element; hard furniture stays furniture ("related_post", "comments-area").
LAYOUT = frozenset("content main body article text story entry post grid layout wrapper wrap container page column "
                   "col row inner".split())
# Words that describe a state of the page rather than the element ("comments-enabled", "has-sidebar",
# "with-related"): with one of them a furniture word says nothing.
STATE = frozenset("enabled has with no show open active".split())
WEAK_LIMIT = 1000  # characters of text
PICTURE_LIMIT = 500  # characters of text in an image box: its caption, not article text
# An element holding at least this share of the page's paragraph text is not furniture, whatever its name;
# a hidden one (display:none, the hidden attribute) needs more: a hidden copy of the article holds half.
MOST_OF_PAGE = 0.5
MOST_OF_PAGE_HIDDEN = 0.75
HEADER = frozenset({"header", "masthead", "hgroup"})
NOT_BODY_TAGS = frozenset("aside nav footer form figure figcaption button select textarea label".split())
LEAD_TAGS = frozenset({"p", "div", "h2", "span", "strong"})
HEADING_TAGS = frozenset({"h2", "h3", "h4", "h5", "h6"})
ROOT_PROPS = frozenset({"articlebody"})
# Tags whose text flows into the paragraph around them; every other element starts a new run of text.
INLINE_TAGS = frozenset("a abbr acronym b bdi bdo big cite code data del dfn em font i img ins kbd mark nobr q s "
                        "samp small span strike strong sub sup time tt u var wbr".split())
# Elements that are one paragraph even when a <br> breaks their lines.
PARAGRAPH_TAGS = frozenset("p li dt dd blockquote h1 h2 h3 h4 h5 h6 figcaption caption th".split())
# Flags an element inherits from its ancestors.
# EXCLUDED: page chrome (navigation, teasers, comments); MINOR: a small element named like furniture (an ad
# slot, a widget, an embed) — not body text, but an image in it can still belong to the article; SKIPPED:
# navigation-like chrome whose elements no rule reads; HIDDEN: not displayed.
EXCLUDED, IN_FIGURE, IN_GALLERY, IN_HEADER, IN_CAPTION, MINOR, SKIPPED, HIDDEN = 1, 2, 4, 8, 16, 32, 64, 128
NOT_TEXT = EXCLUDED | MINOR


@lru_cache(maxsize=65536)
def _words(attr: str) -> frozenset[str]:
    return frozenset(w.lower() for w in _SPLIT.split(_HUMP.sub(" ", attr)) if w)


def class_words(el) -> frozenset[str]:
    cls, eid, prop = el.get("class"), el.get("id"), el.get("itemprop")
    if not (cls or eid or prop):
        return EMPTY
    return _words(f"{without_js_hooks(cls or '')} {eid or ''} {prop or ''}")


_JS_HOOK = re.compile(r"(?:^|\s)js[-_]\S*")


def without_js_hooks(cls: str) -> str:
    """Class names without ``js-…`` hooks: scripts' handles ("js-truncate-related-to-my-size"), not roles."""
    return _JS_HOOK.sub(" ", cls) if "js" in cls else cls


def has_words(el, words: frozenset[str]) -> bool:
    return bool(class_words(el) & words)


# Roles an element can have, from its tag and its class words (bit flags, so one walk tests them cheaply).
(R_NOT_BODY, R_HEADER, R_KICKER, R_LEAD, R_AUTHOR, R_CAPTION, R_CREDIT, R_GALLERY, R_IMAGE_BOX, R_BREADCRUMB,
 R_COMMENT, R_DATE, R_SOURCE, R_ROOT, R_H1, R_TIME, R_FIGURE, R_DATE_PROP, R_WEAK, R_HARD, R_SKIP, R_HIDDEN,
 R_PICTURE) = (1 << i for i in range(23))
WORD_ROLES = ((NOT_BODY, R_NOT_BODY), (WEAK_NOT_BODY, R_WEAK), (HEADER, R_HEADER), (KICKER, R_KICKER),
              (LEAD, R_LEAD), (AUTHOR, R_AUTHOR), (CAPTION, R_CAPTION), (CREDIT, R_CREDIT), (GALLERY, R_GALLERY),
              (IMAGE_BOX, R_IMAGE_BOX), (BREADCRUMB, R_BREADCRUMB), (COMMENT, R_COMMENT), (DATE_WORDS, R_DATE),
              (SOURCE, R_SOURCE))
TAG_ROLES = {
    **{t: R_NOT_BODY for t in NOT_BODY_TAGS}, "header": R_HEADER, "hgroup": R_HEADER,
    # Navigation is walked like any box: an HTML4 parser can leave a whole HTML5 page inside an unclosed <nav>.
    "nav": R_NOT_BODY | R_SKIP, "aside": R_NOT_BODY | R_SKIP,
    "h1": R_H1, "time": R_TIME, "article": R_ROOT,
    "main": R_ROOT, "figure": R_NOT_BODY | R_FIGURE, "figcaption": R_NOT_BODY | R_CAPTION,
}
# Roles that make an element a box whose text may not be body (resolved after the walk, see scan.py).
# (R_PICTURE, an image box holding one image and its text, is found by the scan, not from words.)
BOX_ROLES = R_NOT_BODY | R_HARD | R_SKIP | R_WEAK | R_HEADER | R_HIDDEN | R_PICTURE


# Navigation-like chrome: the walk notes its text (a wrapper named "…-menu" may hold the article) but no
# rule reads its elements.
SKIP_WORDS = frozenset("navigation navbar menu outbrain taboola cookie consent newsletter "
                       "recommendations modal overlay subscription subscribe signup login".split())
# Each word's role bits, and marks for the word groups that change what a furniture word means: one dict
# lookup per word instead of a set intersection per group (class names are read on every element).
_STATE_WORD, _LAYOUT_WORD, _SKIP_WORD, _HARD_WORD = 1 << 40, 1 << 41, 1 << 42, 1 << 43
WORD_BITS: dict[str, int] = {}
for _group, _bit in (*WORD_ROLES, (STATE, _STATE_WORD), (LAYOUT, _LAYOUT_WORD), (SKIP_WORDS, _SKIP_WORD),
                     (HARD_NOT_BODY, _HARD_WORD)):
    for _word in _group:
        WORD_BITS[_word] = WORD_BITS.get(_word, 0) | _bit


@lru_cache(maxsize=65536)
def _word_bits(attr: str) -> int:
    """The role bits and group marks of the words of one attribute value (cached: class names repeat).
    The same words as :func:`_words` gives, split with string methods (most class names are lower case)."""
    if "js" in attr:
        attr = without_js_hooks(attr)
    if not attr.islower():
        attr = _HUMP.sub(" ", attr)
    bits = 0
    for word in attr.replace("-", " ").replace("_", " ").replace(":", " ").lower().split():
        bits |= WORD_BITS.get(word, 0)
    return bits


@lru_cache(maxsize=65536)
def _roles(cls: str, eid: str, prop: str) -> int:
    """An element's roles from its class, id and itemprop."""
    bits = (_word_bits(cls) if cls else 0) | (_word_bits(eid) if eid else 0) | (_word_bits(prop) if prop else 0)
    roles = bits & (_STATE_WORD - 1)
    if prop:
        prop = prop.lower()
        if prop in ROOT_PROPS:
            roles |= R_ROOT
        if prop in DATE_PROPS:
            roles |= R_DATE_PROP
        if prop == "author":
            roles |= R_AUTHOR
    if bits & _STATE_WORD:
        roles &= ~(R_NOT_BODY | R_WEAK)
    elif bits & _LAYOUT_WORD and roles & R_NOT_BODY:  # "sidebar-grid__content": weak, not strong
        roles = (roles & ~R_NOT_BODY) | R_WEAK
    elif bits & _SKIP_WORD:
        roles |= R_SKIP
    if bits & _HARD_WORD and not bits & _STATE_WORD:
        roles |= R_HARD
    return roles


# Page chrome that never holds article content: the walk does not descend into it.
SKIP_TAGS = frozenset({"select", "button", "textarea", "dialog", "map", "video", "audio", "noscript"})
# Inline style that hides an element.
HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)


def text_without(el, words: frozenset[str]) -> str:
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

"""Layer 2: generic DOM rules that hold across news sites.

Naming conventions are matched on *class words*: class and id attributes split at ``-``, ``_``,
whitespace and camelCase humps (``Article_elementLead__x1`` gives article, element, lead, x1), so
``o-article-lead``, ``article__lead`` and ``ArticleLead`` all count as "lead" while ``leaderboard``
does not. Nothing here knows a particular site.
"""

from __future__ import annotations

import copy
import re
from functools import lru_cache

from .credits import split_glued_credit
from .dates import find_dates
from .document import Page, clean_text, element_text
from .galleries import caption_parts, credit_parts, dedupe_slides, gallery_size, looks_like_escaped_html
from .merge import Candidates

_HUMP = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SPLIT = re.compile(r"[-_\s:]+")

KICKER = frozenset("kicker overline dachzeile roofline topline eyebrow spitzmarke supertitle overhead flag".split())
LEAD = frozenset("lead intro standfirst summary abstract subtitle subheadline deck sub-title teaser description "
                 "excerpt dek".split())
AUTHOR = frozenset("author authors byline autor autoren writer creator contributor".split())
CAPTION = frozenset("caption legend bildunterschrift description text title figcaption".split())
CREDIT = frozenset("credit credits copyright source photographer quelle fotograf rights attribution".split())
GALLERY = frozenset("gallery galerie slideshow bildstrecke carousel slider swiper lightbox".split())
SLIDE = frozenset("slide item entry image picture photo".split())
# Containers whose text is not article body.
NOT_BODY = frozenset(
    "aside nav navigation footer header masthead share sharing social comment comments newsletter ad ads advert "
    "advertisement banner promo recommendation recommendations related teaser-list breadcrumb breadcrumbs "
    "cookie consent byline meta tags tag kicker lead caption credit figcaption gallery galerie slideshow "
    "bildstrecke carousel slider swiper embed outbrain taboola paywall toolbar sidebar widget most popular "
    "trending author authors subscription login signup modal overlay dialog".split()
)
NOT_BODY_TAGS = frozenset("aside nav footer header form figure figcaption button script style noscript template "
                          "svg iframe select textarea label".split())
SKIP_IN_LEAD = frozenset({"p", "div", "h2", "span", "strong"})
PARAGRAPH_TAGS = frozenset({"p", "li", "blockquote"})
HEADING_TAGS = frozenset({"h2", "h3", "h4"})
NAME_SPLIT = re.compile(r"\s*(?:,|;|&|\bund\b|\band\b|\bsowie\b|\|)\s*", re.IGNORECASE)
BY_PREFIX = re.compile(r"^(?:von|by|text|autor(?:in)?|author|written by|redaktion)\s*[:\-]?\s+", re.IGNORECASE)
PERSON = re.compile(r"^(?:[A-ZÀ-ÖØ-Þ][\w'’\-.]*\.?\s+){0,3}(?:[a-zà-ÿ]{1,3}\s+)?[A-ZÀ-ÖØ-Þ][\w'’\-.]+$", re.UNICODE)


@lru_cache(maxsize=4096)
def _words(attr: str) -> frozenset[str]:
    return frozenset(w.lower() for w in _SPLIT.split(_HUMP.sub(" ", attr)) if w)


def class_words(el) -> frozenset[str]:
    return _words(f"{el.get('class') or ''} {el.get('id') or ''} {el.get('itemprop') or ''}")


def has_words(el, words: frozenset[str]) -> bool:
    return bool(class_words(el) & words)


def article_root(page: Page):
    """The element holding the article: ``[itemprop=articleBody]``'s article, the largest ``<article>``, or body."""
    body = page.body
    articles = [el for el in body.iter("article")]
    if articles:
        return max(articles, key=lambda el: sum(len(p.text_content()) for p in el.iter("p")))
    for el in body.iter():
        if isinstance(el.tag, str) and (el.get("itemprop") or "").lower() in ("articlebody", "articlebody text"):
            return el.getparent() if el.getparent() is not None else el
    main = body.find(".//main")
    return main if main is not None else body


def _excluded(el, root) -> bool:
    """True when ``el`` sits in a container that is not article body (between ``el`` and ``root``)."""
    node = el
    while node is not None and node is not root:
        if not isinstance(node.tag, str) or node.tag in NOT_BODY_TAGS or has_words(node, NOT_BODY):
            return True
        node = node.getparent()
    return False


def headline(page: Page, root, add) -> None:
    for scope in (root, page.body):
        h1 = next(iter(scope.iter("h1")), None)
        if h1 is not None:
            # A kicker printed inside the h1 is not part of the headline.
            parts = [c for c in h1 if isinstance(c.tag, str) and has_words(c, KICKER)]
            text = element_text(h1)
            for part in parts:
                text = clean_text(text.replace(element_text(part), "", 1))
                add("kicker", element_text(part))
            add("headline", text)
            return


def kicker_and_lead(page: Page, root, add) -> None:
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        words = class_words(el)
        if not words:
            continue
        if words & KICKER and not words & GALLERY:
            text = element_text(el)
            if 0 < len(text) <= 80:
                add("kicker", text)
        elif words & LEAD and el.tag in SKIP_IN_LEAD and not words & (GALLERY | CAPTION - {"description"}):
            text = element_text(el)
            if 30 <= len(text) <= 1500 and not _inside(el, GALLERY | {"figure", "figcaption", "teaser-list", "related"}):
                add("lead", text)


def _inside(el, words: frozenset[str]) -> bool:
    node = el.getparent()
    while node is not None:
        if isinstance(node.tag, str) and (node.tag in words or has_words(node, words)):
            return True
        node = node.getparent()
    return False


def split_names(text: str) -> list[str]:
    text = BY_PREFIX.sub("", clean_text(text))
    return [n for n in (clean_text(x) for x in NAME_SPLIT.split(text)) if n]


DATE_WORDS = frozenset("date time timestamp datum zeit published updated dateline".split())


def _text_without(el, words: frozenset[str]) -> str:
    """Text of ``el`` without descendants that carry any of ``words`` (or are ``<time>``)."""
    drop = [d for d in el.iterdescendants() if isinstance(d.tag, str) and (d.tag == "time" or has_words(d, words))]
    if not drop:
        return element_text(el)
    clone = copy.deepcopy(el)
    for d in [d for d in clone.iterdescendants() if isinstance(d.tag, str) and (d.tag == "time" or has_words(d, words))]:
        if d.getparent() is not None:
            d.drop_tree()
    return element_text(clone)


def is_person_name(name: str) -> bool:
    return 3 <= len(name) <= 60 and not any(ch.isdigit() for ch in name) and bool(PERSON.match(name))


def authors(page: Page, root, add) -> None:
    found: list[str] = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        if el.get("rel") == "author" or (el.get("itemprop") or "").lower() == "author" or has_words(el, AUTHOR):
            if el.tag in ("img", "svg", "picture") or _inside(el, frozenset({"figure"}) | GALLERY):
                continue
            name_el = next(iter(el.xpath(".//*[@itemprop='name']")), el)
            for name in split_names(_text_without(name_el, DATE_WORDS)):
                if len(name) > 60:
                    continue
                if name not in found:
                    found.append(name)
    people = [n for n in found if is_person_name(n)]
    add("authors", people)
    add("byline_other", [n for n in found if n not in people])


def dates(page: Page, root, add) -> None:
    for el in page.root.iter():
        if not isinstance(el.tag, str):
            continue
        prop = (el.get("itemprop") or "").lower()
        if prop in ("datepublished", "datemodified", "datecreated"):
            value = el.get("content") or el.get("datetime") or element_text(el)
            add("modified_raw" if prop == "datemodified" else "published_raw", value)
    for el in root.iter("time"):
        value = el.get("datetime") or element_text(el)
        words = class_words(el) | class_words(el.getparent()) if el.getparent() is not None else class_words(el)
        label = element_text(el.getparent()) if el.getparent() is not None else ""
        modified = bool(words & {"updated", "modified", "update", "aktualisiert"}) or bool(
            re.search(r"aktualisiert|update|akt\.?:|stand", label, re.IGNORECASE)
        ) and label.lower().find("aktualis") < label.find(element_text(el) or "\0")
        add("modified_raw" if modified else "published_raw", value)


def body(page: Page, root, add) -> None:
    paragraphs: list[str] = []
    subheadings: list[str] = []
    for el in root.iter(*PARAGRAPH_TAGS, *HEADING_TAGS):
        if _excluded(el.getparent(), root) or has_words(el, NOT_BODY):
            continue
        if el.tag in ("li", "blockquote") and any(
                d.tag in ("p", "h2", "h3", "h4") for d in el.iterdescendants() if isinstance(d.tag, str)):
            continue  # a structured list item or quote: its own paragraphs and headings are counted one by one
        text = element_text(el)
        if not text:
            continue
        if el.tag in HEADING_TAGS:
            if len(text) <= 200:
                subheadings.append(text)
            continue
        paragraphs.append(text)
    add("body", paragraphs)
    add("subheadings", subheadings)


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


def figure_image(page: Page, fig) -> dict | None:
    """An Image dict from a ``<figure>`` (or any element holding one image and its caption)."""
    img = next(iter(fig.iter("img")), None)
    if img is None:
        return None
    caption, credit = None, None
    capel = next(iter(fig.iter("figcaption")), None)
    scope = capel if capel is not None else fig
    for el in scope.iter():
        if el is img or not isinstance(el.tag, str):
            continue
        words = class_words(el)
        if words & CREDIT and credit is None:
            credit = element_text(el)
        elif words & CAPTION and caption is None and el.tag != "figure" and not words & CREDIT:
            caption = _text_without(el, CREDIT) if _holds_credit(el) else element_text(el)
    if capel is not None and caption is None:
        text = element_text(capel)
        if credit:
            text = clean_text(text.replace(credit, ""))
        caption, glued = split_glued_credit(text)
        credit = credit or glued
    alt = clean_text(img.get("alt")) or None
    if caption is None and credit is None:
        caption = alt if alt else None
    return {"url": _img_url(page, img), "caption": caption or None, "alt": alt, **credit_parts(credit)}


IMAGE_BOX = frozenset("image picture photo media img bild foto".split())


def images(page: Page, root, add) -> None:
    """Article images in document order; ``is_lead`` marks one that comes before the first body paragraph."""
    found, seen_paragraph, boxes = [], False, []
    for el in root.iter("figure", "p", "div", "span"):
        if el.tag == "p":
            if not seen_paragraph and len(element_text(el)) > 80 and not _excluded(el.getparent(), root):
                seen_paragraph = True
            continue
        if el.tag != "figure" and not (has_words(el, IMAGE_BOX) and _one_image_with_text(el)):
            continue
        if any(b in el.iterancestors() for b in boxes) or _inside(el, GALLERY | {"figure"}) or has_words(el, GALLERY):
            continue
        if _excluded(el.getparent(), root) and not _inside(el, frozenset({"header"})):
            continue
        boxes.append(el)
        image = figure_image(page, el)
        if image and image["url"]:
            image["is_lead"] = not seen_paragraph and not found
            found.append(image)
    add("figures", found)


def _one_image_with_text(el) -> bool:
    imgs = list(el.iter("img"))
    return len(imgs) == 1 and len(element_text(el)) > 0


COMMENT_COUNT = re.compile(r"(\d{1,6})\s*(?:zu den\s+)?(?:Kommentare|Kommentaren|Kommentar|comments?|Reaktionen)\b",
                           re.IGNORECASE)


def comment_count(page: Page, root, add) -> None:
    for el in page.body.iter():
        if isinstance(el.tag, str) and has_words(el, frozenset({"comment", "comments", "kommentare", "count"})):
            text = element_text(el)
            m = COMMENT_COUNT.search(text) or (re.fullmatch(r"\d{1,6}", text) and re.match(r"\d+", text))
            if m:
                add("comment_count", int(m.group(1) if m.re is COMMENT_COUNT else m.group(0)))
                return


def galleries(page: Page, root, add, *, article_id_of=None) -> None:
    found = []
    for el in root.iter():
        if not isinstance(el.tag, str) or not has_words(el, GALLERY) or _inside(el, GALLERY):
            continue
        gallery = parse_gallery(page, el, article_id_of=article_id_of)
        if gallery:
            found.append(gallery)
    add("galleries", found)


def _slides(container) -> list:
    """The slide elements of a gallery: the largest group of siblings that each hold an image."""
    best: list = []
    for parent in container.iter():
        if not isinstance(parent.tag, str):
            continue
        group = [c for c in parent if isinstance(c.tag, str) and next(c.iter("img"), None) is not None]
        if len(group) > len(best):
            best = group
    return best


def parse_gallery(page: Page, container, *, article_id_of=None) -> dict | None:
    entries = []
    for slide in _slides(container):
        img = next(slide.iter("img"))
        caption_html, caption_text, credit = None, None, None
        for el in slide.iter():
            if not isinstance(el.tag, str) or el is img:
                continue
            words = class_words(el)
            text = element_text(el)
            if words & (CAPTION | CREDIT) and looks_like_escaped_html(text):
                caption_html = caption_html or text  # the escaped copy is the source HTML itself
            elif words & CREDIT and credit is None:
                credit = text
            elif words & CAPTION and text and caption_text is None and not _holds_credit(el):
                caption_text = _inner_html(el)
        fragment = caption_text or caption_html or ""
        if not fragment and img.get("alt"):
            fragment = img.get("alt")
        parts = caption_parts(fragment, article_id_of=article_id_of)
        entries.append({"position": 0, "image_url": _img_url(page, img), **parts, **credit_parts(credit)})
    entries = dedupe_slides(entries)
    if not entries:
        return None
    counter_text = " ".join(
        element_text(el) for el in container.iter() if isinstance(el.tag, str) and len(el) == 0 and el.text
        and "/" in el.text and len(el.text) < 20
    )
    title_el = next((el for el in container.iter("h2", "h3", "h4") if element_text(el)), None)
    size = gallery_size(counter_text) or len(entries)
    return {"title": element_text(title_el) if title_el is not None else None, "size": size, "entries": entries}


def _inner_html(el) -> str:
    from lxml import etree

    return (el.text or "") + "".join(etree.tostring(c, encoding="unicode", method="html") for c in el)


BREADCRUMB = frozenset({"breadcrumb", "breadcrumbs", "crumbs"})


def breadcrumbs(page: Page, root, add) -> None:
    """Breadcrumb trail labels, in order (microdata BreadcrumbList or breadcrumb-named containers)."""
    for el in page.body.iter():
        if not isinstance(el.tag, str):
            continue
        if has_words(el, BREADCRUMB) or "BreadcrumbList" in (el.get("itemtype") or ""):
            items = [element_text(a) for a in el.iter("a", "span", "li") if len(a) == 0 and element_text(a)]
            items = [t for t in items if t not in ("›", "»", ">", "/", "|")]
            if items:
                add("breadcrumb", items)
                return


SOURCE_LINE = re.compile(r"^(?:Quelle|Source|Mit Material von|Material)\s*:\s*(.{2,60})$", re.IGNORECASE)


def source_line(page: Page, root, add) -> None:
    """A "Quelle: APA" line under the article (not an image credit)."""
    for el in root.iter("p", "div", "span", "small", "footer"):
        if len(el) > 2 or _inside(el, frozenset({"figure", "figcaption"}) | GALLERY):
            continue
        if m := SOURCE_LINE.match(element_text(el)):
            add("source", m.group(1).strip(" ."))
            return


def text_dates(page: Page, root, add) -> None:
    """Visible date lines near the top of the article (``27.06.2025, 20:04``, ``Akt: ...``)."""
    for el in root.iter():
        if not isinstance(el.tag, str) or len(el) > 3 or el.tag in ("script", "style", "p"):
            continue
        text = element_text(el)
        if not text or len(text) > 120:
            continue
        for kind, raw, _ in find_dates(text):
            add("modified_raw" if kind == "modified" else "published_raw", raw)


def extract(page: Page, cands: Candidates, *, article_id_of=None):
    """Run every generic DOM rule; returns the article root for later layers."""
    root = article_root(page)
    add = cands.adder("html")
    headline(page, root, add)
    kicker_and_lead(page, root, add)
    authors(page, root, add)
    dates(page, root, add)
    body(page, root, add)
    images(page, root, add)
    galleries(page, root, add, article_id_of=article_id_of)
    comment_count(page, root, add)
    breadcrumbs(page, root, add)
    source_line(page, root, cands.adder("text"))
    text_dates(page, root, cands.adder("text"))
    return root

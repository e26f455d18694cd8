"""One parsed page: the decoded HTML, its lxml tree and the small helpers every extraction layer shares.

A :class:`Page` is built once per extraction and handed to each layer, so the HTML is decoded and parsed
once. Text helpers normalise whitespace the same way everywhere, which keeps the layers' candidates
comparable when :mod:`newscrawl.extract.merge` weighs them against each other.
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import cached_property
from urllib.parse import SplitResult, urljoin, urlsplit

from lxml import etree
from w3lib.encoding import html_to_unicode

# Characters a reader never sees: zero-width spaces and joiners, word joiner, BOM, soft hyphen, DEL and the
# C0 controls other than the whitespace ones. One regex pass (str.translate with a dict is ~10x slower).
_INVISIBLE = re.compile(r"[\u200b-\u200d\u2060\ufeff\u00ad\x7f\x00-\x08\x0b\x0c\x0e-\x1f]")
# Elements removed after parsing: they never hold text a reader sees.
# (<noscript> stays: lazy-loading pages put the real <img> there; the DOM walk does not read its text.)
INVISIBLE_TAGS = ("script", "style", "template", "svg", "iframe", "object", "embed", "canvas")
_PARSER = etree.HTMLParser(remove_comments=True, remove_pis=True, collect_ids=False)


def clean_text(value: str | None) -> str:
    """NFC-normalise, drop invisible characters and collapse whitespace."""
    if not value:
        return ""
    if not unicodedata.is_normalized("NFC", value):
        value = unicodedata.normalize("NFC", value)
    return " ".join(_INVISIBLE.sub("", value).split())


def split_url(url: str | None) -> SplitResult:
    """``urlsplit`` that never raises: a malformed URL ("https://[host/...") splits as empty."""
    try:
        parts = urlsplit(url or "")
        parts.hostname  # noqa: B018 — raises for a malformed host; checked here once
        return parts
    except ValueError:
        return urlsplit("")


def decode_html(html: str | bytes, content_type: str | None = None) -> str:
    """Decode bytes with the HTTP header, BOM or ``<meta charset>``; falls back to UTF-8 with replacement."""
    if isinstance(html, str):
        return html
    _, text = html_to_unicode(content_type, html)
    return text


BLOCK_TAGS = frozenset(
    "p div li ul ol h1 h2 h3 h4 h5 h6 br section article header footer figure figcaption td tr table "
    "blockquote dd dt dl aside nav main hr".split()
)
_BLOCK_TUPLE = tuple(BLOCK_TAGS)


def element_text(el) -> str:
    """Visible text of an element (scripts, styles and SVG are stripped from the tree at parse time).

    Inline markup is joined tightly ("<b>W</b>ort" is "Wort"); block children and ``<br>`` are separated
    by a space.
    """
    if next(el.iterdescendants(*_BLOCK_TUPLE), None) is None:
        return clean_text("".join(el.itertext()))
    parts: list[str] = []

    def walk(node) -> None:
        if node.text:
            parts.append(node.text)
        for child in node:
            if isinstance(child.tag, str):
                block = child.tag in BLOCK_TAGS
                if block:
                    parts.append(" ")
                walk(child)
                if block:
                    parts.append(" ")
            if child.tail:
                parts.append(child.tail)

    walk(el)
    return clean_text("".join(parts))


_XML_INCOMPATIBLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _remove_keeping_tail(el) -> None:
    parent = el.getparent()
    if parent is None:
        return
    if el.tail:
        # lxml refuses control characters on assignment that its parser let through: drop them here.
        tail = _XML_INCOMPATIBLE.sub("", el.tail)
        previous = el.getprevious()
        if previous is not None:
            previous.tail = _XML_INCOMPATIBLE.sub("", previous.tail or "") + tail
        else:
            parent.text = _XML_INCOMPATIBLE.sub("", parent.text or "") + tail
    parent.remove(el)


USED_LINK_RELS = frozenset({"canonical", "amphtml", "author"})
# A <meta> value longer than this (characters) is not read: the longest real ones, descriptions and keyword
# lists, stay under a few thousand; a megabyte og:title or author is a hostile or broken page.
MAX_META_CHARS = 10_000


class Page:
    """A parsed HTML page plus the URL it came from."""

    def __init__(self, html: str | bytes, url: str):
        self.url = url
        self.html = decode_html(html)
        self.root = self._parse(self.html)
        # Structured data lives in scripts: keep it, and drop every element that holds no visible text
        # (in one pass; the text after a dropped element stays where it was).
        self.jsonld_texts: list[str] = []
        for el in list(self.root.iter(*INVISIBLE_TAGS)):
            if el.tag == "script" and el.text and (el.get("type") or "").strip().lower() == "application/ld+json":
                self.jsonld_texts.append(el.text)
            _remove_keeping_tail(el)

    @staticmethod
    def _parse(html: str):
        # lxml refuses str input that carries an XML encoding declaration; strip it. Empty or
        # unparsable input yields an empty document rather than an exception.
        html = re.sub(r"^\s*<\?xml[^>]*\?>", "", html, count=1)
        root = None
        if html.strip():
            try:
                root = etree.fromstring(html, _PARSER)
            except (etree.ParserError, etree.XMLSyntaxError, ValueError):
                root = None
        if root is None or not isinstance(root.tag, str):
            root = etree.fromstring("<html><body></body></html>", _PARSER)
        return root

    def absolute(self, href: str | None) -> str | None:
        href = (href or "").strip()
        if not href or href.startswith(("data:", "javascript:", "about:")):
            return None
        if href.startswith(("https://", "http://")) and "[" not in href and not href.endswith("?"):
            return href  # already absolute: what urljoin would return, without its parsing (galleries have 50+)
        try:
            return urljoin(self.url, href)
        except ValueError:  # "https://[www.example.com/..." and other unparsable hosts
            return None

    @cached_property
    def body(self):
        body = self.root.find("body")
        return body if body is not None else self.root

    @cached_property
    def meta(self) -> dict[str, list[str]]:
        """Every ``<meta>`` by lower-cased name/property/itemprop, values in document order."""
        out: dict[str, list[str]] = {}
        for el in self.root.iter("meta"):
            key = el.get("property") or el.get("name") or el.get("itemprop") or el.get("http-equiv")
            value = el.get("content")
            if value is not None and len(value) > MAX_META_CHARS:
                continue
            if value and "&" in value:
                value = html.unescape(value)  # double-escaped by the CMS
            if key and value is not None and (value := clean_text(value)):
                out.setdefault(key.strip().lower(), []).append(value)
        return out

    def meta_first(self, *names: str) -> tuple[str, str] | None:
        """The first non-empty meta value among ``names`` as (name, value)."""
        for name in names:
            values = self.meta.get(name)
            if values:
                return name, values[0]
        return None

    @cached_property
    def links(self) -> dict[str, str]:
        """``<link rel=...>`` targets by rel value (first one wins), made absolute; only the rels we use."""
        out: dict[str, str] = {}
        for el in self.root.iter("link"):
            rels = (el.get("rel") or "").lower().split()
            for rel in rels:
                if rel in USED_LINK_RELS and rel not in out and (href := self.absolute(el.get("href"))):
                    out[rel] = href
        return out

    @cached_property
    def language(self) -> str | None:
        lang = self.root.get("lang") or self.root.get("xml:lang")
        return clean_text(lang) or None

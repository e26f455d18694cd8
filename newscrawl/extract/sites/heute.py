"""heute.at ("Heute", Vienna; Livingdocs CMS). Only what differs from the generic layers.

- Article URLs are ``/s/<slug>-<id>`` (also without ``www``, with an empty slug or ``/comments``); the
  8- or 9-digit id is the stable key. ``/a/`` (sections) and ``/i/`` (image pages) are not articles.
- The byline may name a partner ("20 Minuten") instead of a person: that is the ``source``.
- Headlines are edited after publication while ``og:title`` keeps the old one: the ``<h1>`` wins.
- The kicker is often the section name; when nothing else names the section, a known section kicker does.
- "Update um 18.15 Uhr:" inside the text is the modification time on the publication day.
- Embed labels ("VIDEO: …", "Bildstrecke: …", "Jetzt lesen: …") head embeds and are not body text.
"""

from __future__ import annotations

import re

from ..dates import VIENNA, parse_date
from ..document import Page
from ..merge import Candidates
from . import Site
from .sources import Sections, Sitemap

UPDATE_AT = re.compile(r"\bUpdate(?:\s+um)?\s+(\d{1,2})[.:](\d{2})\s*Uhr\b", re.IGNORECASE)
EMBED_LABEL = re.compile(r"^(?:VIDEO|INFOGRAFIK|Bildstrecke|Alle Fotos|Jetzt lesen|Galerie|Umfrage|LIVE-TICKER)\s*:",
                         re.IGNORECASE)
SECTIONS = frozenset(
    "Wien Niederösterreich Oberösterreich Burgenland Steiermark Kärnten Salzburg Tirol Vorarlberg Österreich "
    "Politik Welt Wirtschaft Digital Szene Sport Fußball Wetter Gesundheit Leben Life Motor Reisen Tiere Kultur "
    "Community Lifestyle Sex Genuss Horoskop Wissen Technik Unterhaltung".split()
)
ROOT_CRUMBS = ("Wien", "News", "Heute", "Home")
AUTHOR_ABBREVIATION = re.compile(r"^\(\w{2,6}\)$")  # legacy "(bart)" sign-off: neither body text nor a name
JUNK = re.compile(r"\b[\w-]*Created with Sketch\.\s*", re.IGNORECASE)


class Heute(Site):
    NAME = "heute"
    HOSTS = ("heute.at",)
    BASE_URL = "https://www.heute.at"
    ARTICLE_URL = r"^/s/[^/]*-(?P<id>\d{8,9})(?:/comments)?/?$"
    DISCOVERY = (
        Sitemap("/sitemap.xml", children=r"/sitemap/sitemap_(\d{1,18})\.xml"),  # rolling, highest newest
        Sections(("/",), follow=r"^/a/[^/]+/?$", max_pages=20),  # when the sitemaps fail or give nothing
    )
    URL_SUFFIXES = ("/comments",)
    TIMEZONE = VIENNA
    SAMPLE_ARTICLE = "/s/oeffi-chaos-bei-der-u1-tausende-fahrgaeste-sitzen-fest-120014860"  # in tests/site/heute too
    SOURCES = {"20 minuten": "20 Minuten", "apa": "APA", "apa-red": "APA", "apa/red": "APA", "dpa": "dpa",
               "red": None, "redaktion": None, "heute": None, "heute.at": None}

    def refine(self, page: Page, cands: Candidates) -> None:
        # heute edits headlines after publication and leaves og:title stale: the visible <h1> is the truth.
        if h1 := cands.first("headline", ("html",)):
            cands.add("headline", h1[0], "site")
        self._section_from_kicker(cands)
        self._modified_from_update_note(cands)
        self._drop_embed_labels(cands)
        self._section_from_breadcrumb(cands)

    @staticmethod
    def _section_from_breadcrumb(cands: Candidates) -> None:
        """Old (2019) pages: the trail starts "Wien › News" (the site's root); the section follows."""
        def drop_root(crumbs: list[str]) -> list[str]:
            while crumbs and crumbs[0] in ROOT_CRUMBS:
                crumbs = crumbs[1:]
            return crumbs

        cands.transform("breadcrumb", drop_root)

    @staticmethod
    def _section_from_kicker(cands: Candidates) -> None:
        if cands.all("section"):
            return
        for kicker, _ in cands.all("kicker"):
            if kicker in SECTIONS:
                cands.add("section", kicker, "html")
                return

    @staticmethod
    def _modified_from_update_note(cands: Candidates) -> None:
        """"Update um 18.15 Uhr:" in the text, when nothing else gives a modification time."""
        if cands.all("modified_raw"):
            return
        published = next((d for d in (parse_date(v) for v, _ in cands.all("published_raw")) if d), None)
        note = next((m for value, _ in cands.all("body") for p in value if (m := UPDATE_AT.search(p))), None)
        if published is None or note is None:
            return
        hour, minute = int(note.group(1)), int(note.group(2))
        local = published.astimezone(VIENNA)
        if hour < 24 and minute < 60 and (when := local.replace(hour=hour, minute=minute, second=0)) >= local:
            cands.add("modified_parsed", (note.group(0), when), "text")

    @staticmethod
    def _drop_embed_labels(cands: Candidates) -> None:
        def clean(paragraphs: list[str]) -> list[str]:
            kept = (JUNK.sub("", p).strip() for p in paragraphs
                    if not EMBED_LABEL.match(p) and not AUTHOR_ABBREVIATION.match(p))
            return [p for p in kept if p]

        cands.transform("body", clean)
        cands.transform("subheadings", clean)

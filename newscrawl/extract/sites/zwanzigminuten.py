"""20min.ch ("20 Minuten", Zurich; Livingdocs CMS like heute.at). Only what differs from the generic layers.

- Article URLs are ``/story/<slug>-<id>`` (``/fr/story/…`` for the French edition); the number is the key.
- The headline is ``og:title``: the ``<h1>``, JSON-LD ``headline`` and ``<title>`` carry an SEO title that
  can differ from it.
- The lead is the visible standfirst plus the "Darum gehts" summary points; JSON-LD and ``<meta>``
  descriptions are SEO teasers. Info boxes (summary, WhatsApp promotion) and polls are not body text.
- A figcaption is two spans, caption then credit, without any class naming them.
- A news agency in the byline ("Deutsche Presse-Agentur") is the ``source``, not an author.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from ..document import Page, clean_text, element_text
from ..galleries import credit_parts
from ..merge import Candidates
from . import Site
from .sources import NewsSitemap

LEAD = "//article//header//*[@type='lead' or contains(@class, 'elementLead')]"
SUMMARY_POINTS = "//article//*[@type='typeInfoboxSummary']//li"
NOT_BODY = ("//article//*[@data-testid='InfoBox' or @type='poll' or contains(@class, 'elementPoll')]"
            "//*[self::p or self::li or self::h2 or self::h3 or self::h4 or self::strong]")


class ZwanzigMinuten(Site):
    NAME = "zwanzigminuten"
    HOSTS = ("20min.ch",)
    BASE_URL = "https://www.20min.ch"
    ARTICLE_URL = r"^(?:/(?:de|fr|it))?/story/(?:[^/]*-)?(?P<id>\d{6,})/?$"
    DISCOVERY = (NewsSitemap("/sitemaps/de/news.xml"),)
    TIMEZONE = ZoneInfo("Europe/Zurich")
    SOURCES = {"deutsche presse-agentur": "dpa", "dpa": "dpa", "sda": "SDA", "keystone-sda": "Keystone-SDA",
               "afp": "AFP", "reuters": "Reuters", "20 minuten": None}

    def refine(self, page: Page, cands: Candidates) -> None:
        if title := page.meta_first("og:title"):
            cands.replace("headline", title[1], "site")
        parts = [element_text(el) for el in page.root.xpath(LEAD)[:1] + page.root.xpath(SUMMARY_POINTS)]
        if lead := " ".join(p for p in parts if p):
            cands.replace("lead", lead, "site")
        boxed = {element_text(el) for el in page.root.xpath(NOT_BODY)}
        for field in ("body", "subheadings"):
            cands.transform(field, lambda texts: [t for t in texts if t not in boxed])
        self._split_caption_credit(page, cands)

    @staticmethod
    def _split_caption_credit(page: Page, cands: Candidates) -> None:
        """``<figcaption><span>caption</span><span>credit</span></figcaption>``."""
        split = {}
        for caption in page.root.xpath("//article//figure/figcaption[count(span) = 2]"):
            img = next(caption.getparent().iter("img"), None)
            if img is not None and (url := page.absolute(img.get("src"))):
                text, credit = (element_text(span) for span in caption.findall("span"))
                split[url] = {"caption": clean_text(text) or None, **credit_parts(credit)}
        cands.transform("figures", lambda figures: [{**f, **split.get(f.get("url"), {})} for f in figures])

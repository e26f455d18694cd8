"""orf.at ("news.ORF.at", Vienna; ORF's story server). Only what differs from the generic layers.

- Article URLs are ``/stories/<id>/`` on orf.at (news.orf.at and www.orf.at lead there). ORF's other newsrooms
  (sport.orf.at, wien.orf.at, debatte.orf.at, …) use the same form with numbers of their own (a news story links
  debatte.orf.at/stories/1835180/ beside orf.at/stories/3376705/): only orf.at's stories get an orf id, so two
  newsrooms' stories never share a record key.
- The keyword line above the ``<h1>`` ("Nach Gaetz-Rückzug") is the kicker; ORF's headline (``<title>``,
  ``og:title``, JSON-LD) is that line and the ``<h1>`` joined by a colon, which the generic layers already take.
- Discovery: the RSS 1.0 feed https://rss.orf.at/news.xml, the one source Fundus declares (flairNLP/fundus,
  ``src/fundus/publishers/at/__init__.py``, ``AT.ORF``), read as RSS 1.0 by PyFeeds (PyFeeds/PyFeeds,
  ``feeds/spiders/orf_at.py``) and linked from every story page (``<link rel="alternate">``); the other
  newsrooms have feeds of their own (rss.orf.at/wien.xml …, Cymaphore/orfodon-service ``feeds.py``). No public
  crawler declares a sitemap of orf.at. The front page lists the current stories.
"""

from __future__ import annotations

from ..dates import VIENNA
from ..document import Page, element_text, split_url
from ..merge import Candidates
from . import Site
from .sources import Feed, Sections

NEWSROOM_HOSTS = frozenset({"orf.at", "www.orf.at", "news.orf.at"})
KICKER = "//div[contains(@class, 'story-lead')]/*[contains(concat(' ', normalize-space(@class), ' '), ' keyword ')]"


class Orf(Site):
    NAME = "orf"
    HOSTS = ("orf.at",)
    BASE_URL = "https://orf.at"
    ARTICLE_URL = r"^/stories/(?P<id>\d{6,9})/?$"
    DISCOVERY = (
        Feed("https://rss.orf.at/news.xml"),
        Sections(("/",)),  # the front page, when the feed failed or gave nothing
    )
    TIMEZONE = VIENNA

    def article_id(self, url: str | None) -> str | None:
        host = (split_url(url or "").hostname or "").lower()
        if host.endswith(".orf.at") and host not in NEWSROOM_HOSTS:
            return None  # another ORF newsroom, numbering its stories itself
        return super().article_id(url)

    def refine(self, page: Page, cands: Candidates) -> None:
        if kicker := next((t for t in map(element_text, page.root.xpath(KICKER)) if t), None):
            cands.replace("kicker", kicker, "site")

"""derstandard.at ("Der Standard", Vienna). A declaration only: the generic layers read its pages as they are.

- Article URLs are ``/story/<id>/<slug>`` (13 digits: ``2000…`` on older stories, ``3000…`` on newer ones); the same story is
  served on derstandard.de with the same id, and feeds add ``?ref=rss``.
- Discovery, as public crawlers read it: Fundus (flairNLP/fundus, ``src/fundus/publishers/at/__init__.py``,
  publisher ``AT.DerStandard``) declares the feed ``/rss``, the news sitemap ``/sitemaps/news.xml`` and the
  sitemap index ``/sitemaps/sitemap.xml``; CommentGap (dornleiten/commentgap, ``SITEMAP_TEMPLATE``) reads the
  index's monthly children ``/sitemaps/sitemap-<year>-<month>.xml``; the corpus page was found through the feed
  (its URL carries ``?ref=rss``).
"""

from __future__ import annotations

from ..dates import VIENNA
from . import Site
from .sources import Feed, NewsSitemap, Sections, Sitemap


class DerStandard(Site):
    NAME = "derstandard"
    HOSTS = ("derstandard.at", "derstandard.de")
    BASE_URL = "https://www.derstandard.at"
    ARTICLE_URL = r"^/story/(?P<id>\d{10,16})(?:/|$)"
    DISCOVERY = (
        NewsSitemap("/sitemaps/news.xml"),  # the last two days
        Feed("/rss"),
        # Monthly children, newest first: year, then month.
        Sitemap("/sitemaps/sitemap.xml", children=r"/sitemap-(\d{4})-(\d{2})\.xml"),
        Sections(("/",)),  # the front page, when all of the above failed or gave nothing
    )
    TIMEZONE = VIENNA

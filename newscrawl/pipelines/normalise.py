"""Normalise: Unicode NFC and single spaces in every text field, and one canonical URL per article.

The canonical URL is the page's own (else the fetched URL) with tracking parameters, the fragment and
site-specific suffixes such as heute's ``/comments`` removed (:func:`newscrawl.urls.normalise_url`); the
dedup key also folds ``www``. A canonical URL that is no URL at all (a mangled page) is replaced by the
fetched one (``newscrawl/repaired/bad_url``). Switched off with ``NEWSCRAWL_NORMALISE_ENABLED = False``.
"""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter
from scrapy.exceptions import NotConfigured

from ..extract.document import clean_text
from ..extract.sites import site_for
from ..urls import normalise_url

# Fields whose text is kept verbatim apart from NFC (HTML fragments, raw strings the user wants as found).
VERBATIM = frozenset({"caption_html"})


_LEAF_TYPES = frozenset({int, float, bool, type(None)})


def normalise_value(value: Any, field: str = "") -> Any:
    # Dispatch on the exact type first, and handle text leaves inline: an article with a 50-slide gallery
    # holds ~1,000 values, and this walk runs on the crawl's only thread.
    cls = type(value)
    if cls is str:
        return clean_text(value) if field not in VERBATIM else value
    if cls in _LEAF_TYPES:
        return value
    if cls is list:
        return [clean_text(v) if type(v) is str and field not in VERBATIM else normalise_value(v, field)
                for v in value]
    if (names := getattr(cls, "__dataclass_fields__", None)) is not None:
        for name in names:
            v = getattr(value, name)
            if type(v) is str:
                if name not in VERBATIM:
                    setattr(value, name, clean_text(v))
            elif type(v) not in _LEAF_TYPES:
                setattr(value, name, normalise_value(v, name))
        return value
    if isinstance(value, str):
        return clean_text(value) if field not in VERBATIM else value
    if isinstance(value, list):
        return [normalise_value(v, field) for v in value]
    if isinstance(value, dict):
        return {k: normalise_value(v, k) for k, v in value.items()}
    return value


class NormalisePipeline:
    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("NEWSCRAWL_NORMALISE_ENABLED"):
            raise NotConfigured("NEWSCRAWL_NORMALISE_ENABLED is off")
        return cls(crawler)

    def process_item(self, item):
        adapter = ItemAdapter(item)
        for name in adapter.field_names():
            if name not in ("field_sources", "extractor") and adapter.get(name) is not None:
                adapter[name] = normalise_value(adapter[name], name)
        canonical = None
        for source in (adapter.get("canonical_url"), adapter.get("url")):
            if not source or not isinstance(source, str):
                continue
            try:
                site = site_for(source)
                canonical = normalise_url(source, drop_suffixes=site.URL_SUFFIXES, strip_www=False)
                break
            except ValueError:  # not a URL at all (a mangled page's <link rel=canonical>): try the next
                self.crawler.stats.inc_value("newscrawl/repaired/bad_url")
        if canonical != adapter.get("canonical_url"):
            self.crawler.stats.inc_value("newscrawl/normalised/canonical_url")
        adapter["canonical_url"] = canonical
        return item

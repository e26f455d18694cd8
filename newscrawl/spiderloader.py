"""Scrapy's spider loader, which also knows the mirrors the operator mapped onto sites.

``scrapy parse <url>`` (and anything else that asks the loader ``find_by_request``) looks for the one spider that
handles a URL: a site spider handles its site's hosts (:meth:`newscrawl.spiders.base.ArticleSpider.handles_request`).
This loader adds the base URLs of ``NEWSCRAWL_BASE_URLS`` (``{"heute": "http://127.0.0.1:8765"}``, from ``-s`` or
the environment): a URL on that origin belongs to that spider, so ``scrapy parse <mirror URL>`` finds it too.
"""

from __future__ import annotations

from scrapy import Request
from scrapy.spiderloader import SpiderLoader as ScrapySpiderLoader

from .urls import Origin, Origins, http_url


class SpiderLoader(ScrapySpiderLoader):
    def __init__(self, settings):
        super().__init__(settings)
        self.base_urls = {name: url for name, url in settings.getdict("NEWSCRAWL_BASE_URLS").items()
                          if isinstance(url, str) and http_url(url) is not None}

    def find_by_request(self, request: Request) -> list[str]:
        found = super().find_by_request(request)
        known = set(self.list())
        mapped = [name for name, url in sorted(self.base_urls.items())
                  if name in known and Origins([Origin.of(url)]).allows(request.url)]
        return list(dict.fromkeys([*found, *mapped]))

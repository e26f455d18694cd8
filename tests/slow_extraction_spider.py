"""``scrapy runspider tests/slow_extraction_spider.py -a page_url=...``: fetches one page and extracts it as
:class:`tests.slow_extraction.SlowSite`, whose extraction runs away (issue 11, D5: the time budget)."""

from __future__ import annotations

import scrapy

from newscrawl.spiders.base import ArticleSpider
from tests.slow_extraction import SlowSite


class SlowSpider(ArticleSpider):
    name = "slow_extraction"
    site = SlowSite()

    def __init__(self, page_url: str, **kwargs):
        super().__init__(**kwargs)
        self.page_url = page_url

    async def start(self):
        yield scrapy.Request(self.page_url, callback=self.parse_article)

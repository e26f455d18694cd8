"""Contracts for ``scrapy check``: a site's sample article, fetched where the spider crawls, must make one full item.

Every spider whose site declares ``SAMPLE_ARTICLE`` (:mod:`newscrawl.extract.sites`) has ``parse_article`` with
these contracts (:mod:`newscrawl.spiders.base`)::

    @sample_article
    @returns items 1 1
    @returns requests 0 0
    @filled headline body published

``@sample_article`` (:class:`SampleArticleContract`) makes the request: the sample's path on the spider's base URL
(``-a base_url=``, ``NEWSCRAWL_BASE_URLS``, else the site's ``BASE_URL``), so ``scrapy check heute -s
'NEWSCRAWL_BASE_URLS={"heute": "http://127.0.0.1:8765"}'`` checks a mirror and plain ``scrapy check heute`` the live
site; it checks that the page was served at an article URL of the site (no redirect elsewhere). ``@filled``
(:class:`FilledContract`) requires each named field to hold a value: Scrapy's ``@scrapes`` only asks whether the
item has the field, which a dataclass item always has, empty or not. A page that cannot be fetched (404, site
down) is an error of the check. Spiders of sites without a sample have no contracts and are not started.
"""

from __future__ import annotations

from typing import Any, Callable

from itemadapter import ItemAdapter, is_item
from scrapy.contracts import Contract
from scrapy.exceptions import ContractFail
from scrapy.http import Response


def sample_url(spider) -> str | None:
    """The URL of the spider's sample article: the site's ``SAMPLE_ARTICLE`` path on the base URL it crawls."""
    site = getattr(spider, "site", None)
    if site is None or not site.SAMPLE_ARTICLE:
        return None
    base = getattr(spider, "base_url", None) or site.BASE_URL
    return f"{base.rstrip('/')}{site.SAMPLE_ARTICLE}"


class SampleArticleContract(Contract):
    """``@sample_article``: request the spider's sample article; the page must be served at an article URL of the
    site. Without a sample no request is made (and nothing is checked)."""

    name = "sample_article"

    def __init__(self, method: Callable[..., Any], *args: Any):
        super().__init__(method, *args)
        self.spider = method.__self__

    def adjust_request_args(self, args: dict[str, Any]) -> dict[str, Any]:
        url = sample_url(self.spider)
        if url is not None:
            args["url"] = url
        return args

    def pre_process(self, response: Response) -> None:
        if not self.spider.site.is_article_url(response.url):
            raise ContractFail(f"the sample article was served at {response.url}, no article URL of "
                               f"{self.spider.site.NAME}")


class FilledContract(Contract):
    """``@filled field ...``: every item returned has a value (not None, not empty) in each named field."""

    name = "filled"

    def post_process(self, output: list[Any]) -> None:
        fields = [name for name in self.args if name]
        for item in output:
            if is_item(item):
                adapter = ItemAdapter(item)
                empty = [name for name in fields if not adapter.get(name)]
                if empty:
                    raise ContractFail(f"empty fields: {', '.join(empty)} (in the item of {adapter.get('url')})")

"""Run by tests/distributed/test_engine_slot.py in a process of its own: a real Scrapy crawl of two loopback
pages that reads the engine through newscrawl.engine_slot while it runs and after it closed, and prints
what it saw as one JSON line."""

from __future__ import annotations

import json
import sys

import scrapy
from scrapy import signals
from scrapy.crawler import CrawlerProcess

from newscrawl import engine_slot

seen: dict = {"checked": False, "inside": [], "woken": [], "closing_has_slot": None}


class Probe(scrapy.Spider):
    name = "engine_slot_probe"

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.opened, signal=signals.spider_opened)
        crawler.signals.connect(spider.closed_, signal=signals.spider_closed)
        return spider

    def opened(self, spider):
        engine_slot.check(self.crawler.engine)
        seen["checked"] = True

    def closed_(self, spider):
        seen["closing_has_slot"] = engine_slot.in_progress(self.crawler.engine) is not None

    def parse(self, response):
        # The request being parsed is one the engine has not finished: the Redis queue must not ack it yet.
        seen["inside"].append(response.request in engine_slot.in_progress(self.crawler.engine))
        seen["woken"].append(engine_slot.wake(self.crawler.engine))
        for href in response.css("a::attr(href)").getall():
            yield response.follow(href, self.parse)


def main(url: str) -> None:
    process = CrawlerProcess({"LOG_LEVEL": "WARNING", "TELNETCONSOLE_ENABLED": False, "ROBOTSTXT_OBEY": False})
    crawler = process.create_crawler(Probe)
    process.crawl(crawler, start_urls=[url])
    process.start()
    seen["after_close"] = engine_slot.in_progress(crawler.engine)
    seen["woken_after_close"] = engine_slot.wake(crawler.engine)
    print(json.dumps(seen))


if __name__ == "__main__":
    main(sys.argv[1])

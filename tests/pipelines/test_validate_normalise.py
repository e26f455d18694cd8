"""Validate and normalise pipelines, in-process with a real Scrapy crawler's stats."""

import pytest
from scrapy.exceptions import DropItem, NotConfigured

from newscrawl.items import Article, Image
from newscrawl.pipelines.normalise import NormalisePipeline
from newscrawl.pipelines.validate import ValidatePipeline
from tests.project_crawler import project_crawler


def crawler(**settings):
    return project_crawler(**settings)


@pytest.mark.parametrize(("item", "reason"), [
    (Article(headline="H", site="heute", article_id="1"), "no_url"),
    (Article(url="https://heute.at/s/-1", headline="  ", site="heute", article_id="1"), "no_headline"),
    (Article(url="https://heute.at/s/-1", headline="H", site="generic"), "no_key"),
])
def test_validate_drops_with_reason_and_counts(item, reason):
    c = crawler()
    pipe = ValidatePipeline.from_crawler(c)
    with pytest.raises(DropItem, match=reason):
        pipe.process_item(item)
    assert c.stats.get_value(f"newscrawl/dropped/{reason}") == 1


def test_validate_passes_good_items_and_can_be_switched_off():
    c = crawler()
    item = Article(url="https://ex.org/a", headline="H", canonical_url="https://ex.org/a")
    assert ValidatePipeline.from_crawler(c).process_item(item) is item
    with pytest.raises(NotConfigured):
        ValidatePipeline.from_crawler(crawler(NEWSCRAWL_VALIDATE_ENABLED=False))


def test_normalise_text_and_canonical_url():
    c = crawler()
    item = Article(url="https://heute.at/s/x-100148088/comments?utm_source=a", site="heute", article_id="100148088",
                   headline="Cafe\u0301  im\n Regen", body=["  a\u00a0 b "],
                   lead_image=Image(caption=" Bild\u200b  eins ", credits=[" APA "]))
    NormalisePipeline.from_crawler(c).process_item(item)
    assert item.headline == "Café im Regen"
    assert item.body == ["a b"]
    assert item.lead_image.caption == "Bild eins" and item.lead_image.credits == ["APA"]
    assert item.canonical_url == "https://heute.at/s/x-100148088"

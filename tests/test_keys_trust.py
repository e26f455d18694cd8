"""Issue 11, D7 and D6 in-process: record keys name the publisher and the article; a page's canonical URL on
another publisher's host is a claim that chooses neither the site, the id nor the key. The crawls against a
hostile server are in tests/spiders/test_canonical_poisoning.py."""

from __future__ import annotations

import pytest

from newscrawl.extract import extract
from newscrawl.extract.sites import Site, site_for
from newscrawl.extract.sites.heute import Heute
from newscrawl.records import publisher, record_key
from newscrawl.spiders.article import GenericArticleSpider
from newscrawl.spiders.heute import HeuteSpider
from newscrawl.store.base import build_record, gallery_entry_key
from tests.conftest import HEUTE_MIRROR

HEUTE_ID = "100148088"
MIRROR = "http://127.0.0.1:9999"


def generic(url: str, canonical: str | None = None, article_id: str | None = "123456") -> dict:
    return {"site": "generic", "article_id": article_id, "url": url, "canonical_url": canonical}


# -- record keys (D7) -----------------------------------------------------------------------------------
def test_site_keys_are_unchanged():
    assert record_key({"site": "heute", "article_id": HEUTE_ID, "url": f"{MIRROR}/s/-{HEUTE_ID}"}) == f"heute:{HEUTE_ID}"
    assert record_key({"site": "zwanzigminuten", "article_id": "103241818"}) == "zwanzigminuten:103241818"


def test_the_same_number_at_two_publishers_gives_two_keys():
    a = record_key(generic("http://127.0.0.1:8000/pub/politics/story-123456"))
    b = record_key(generic("http://localhost:8000/pub/sport/match-report-123456"))
    c = record_key(generic("http://localhost:8000/pub/politics/story-123456"))
    d = record_key(generic("http://127.0.0.1:8001/pub/politics/story-123456"))  # another server on the host
    assert len({a, b, c, d}) == 4
    assert a == "url:https://127.0.0.1:8000/pub/politics/story-123456"


def test_the_same_number_twice_at_one_publisher_gives_two_keys():
    """A trailing number is no id of a generic site: dates end index pages, sections count on their own."""
    assert record_key(generic("https://ex.org/politics/20240131")) != record_key(generic("https://ex.org/sport/20240131"))


def test_one_article_keeps_one_key_across_spellings():
    keys = {record_key(generic(url, "https://www.ex.org/news/story-123456?utm_source=x"))
            for url in ("https://www.ex.org/news/story-123456", "http://ex.org/amp/story-123456")}
    keys.add(record_key(generic("http://www.ex.org/news/story-123456/", None)))
    assert keys == {"url:https://ex.org/news/story-123456"}


def test_a_canonical_on_another_host_never_names_the_record():
    """An item spooled before extraction kept foreign canonicals apart still keys by its own URL."""
    item = generic("http://localhost:8000/evil/copy-123456", "http://127.0.0.1:8000/pub/politics/story-123456")
    assert record_key(item) == "url:https://localhost:8000/evil/copy-123456"
    assert build_record({**item, "content_hash": "h", "revision": 1}, "2025-01-01T00:00:00+00:00").key == record_key(item)


@pytest.mark.parametrize("item", [{"site": "generic"}, {"site": "generic", "article_id": "123456"},
                                  {"site": "generic", "url": 7, "canonical_url": ["x"]}])
def test_no_url_no_key(item):
    assert record_key(item) is None


def test_publisher():
    assert publisher("https://WWW.Example.org:443/a") == publisher("http://example.org/b") == "example.org"
    assert publisher("http://127.0.0.1:8765/x") == "127.0.0.1:8765"
    assert publisher("http://[::1") is None and publisher("http://ex.org:99999/") is None and publisher("/a") is None


def test_generic_slides_are_keyed_by_the_linked_url():
    slide = {"linked_article_id": "123456", "caption": "c", "image_url": "i"}
    a = gallery_entry_key("generic", {**slide, "link_url": "https://a.example/news-123456"})
    b = gallery_entry_key("generic", {**slide, "link_url": "https://b.example/news-123456"})
    assert a != b and a == "url:https://a.example/news-123456"
    assert gallery_entry_key("heute", {**slide, "link_url": "https://www.heute.at/s/x-123456"}) == "heute:123456"


# -- whose canonical counts (D6) ----------------------------------------------------------------------
def test_may_claim():
    own, heute = Site(), Heute()
    assert own.may_claim("https://ex.org/a-1", "http://www.ex.org/amp/a-1")
    assert not own.may_claim("https://other.org/a-1", "https://ex.org/a-1")
    assert not own.may_claim("http://127.0.0.1:8001/a-1", "http://127.0.0.1:8000/a-1")
    assert not own.may_claim(f"https://www.heute.at/s/x-{HEUTE_ID}", f"{MIRROR}/s/-{HEUTE_ID}")
    assert heute.may_claim(f"https://www.heute.at/s/x-{HEUTE_ID}", f"{MIRROR}/s/-{HEUTE_ID}")
    assert not heute.may_claim("https://evil.example/s/x-120013317", f"https://www.heute.at/s/x-{HEUTE_ID}")


def mirror_page() -> str:
    return (HEUTE_MIRROR / "s" / f"{HEUTE_ID}.html").read_text(encoding="utf-8")


def test_a_page_on_another_host_is_not_heute_because_its_canonical_says_so():
    art = extract(mirror_page(), f"{MIRROR}/s/-{HEUTE_ID}")
    assert art.site == "generic"
    assert art.canonical_url is None and art.canonical_claim.startswith("https://www.heute.at/s/")
    assert art.field_sources["canonical_claim"] in ("meta", "jsonld")
    assert record_key({**art.to_dict(), "canonical_url": art.url}) == f"url:https://127.0.0.1:9999/s/-{HEUTE_ID}"


def test_the_operator_mapped_mirror_is_heute():
    art = extract(mirror_page(), f"{MIRROR}/s/-{HEUTE_ID}", site=Heute())
    assert (art.site, art.article_id, art.canonical_claim) == ("heute", HEUTE_ID, None)
    assert art.canonical_url.startswith("https://www.heute.at/s/") and record_key(art.to_dict()) == f"heute:{HEUTE_ID}"


def test_a_heute_page_cannot_take_another_articles_id_from_a_foreign_canonical():
    html = mirror_page().replace("https://www.heute.at/s/hoechste-unwetter-warnstufe-in-oesterreich-ausgerufen-",
                                 "https://evil.example/s/x-")
    art = extract(html, f"https://www.heute.at/s/x-{HEUTE_ID}")
    assert art.article_id == HEUTE_ID  # from the fetched URL, although evil.example/...-<id> names the same id
    assert (art.canonical_claim or "").startswith("https://evil.example/") and art.canonical_url is None


def test_a_syndicated_page_keeps_its_own_canonical_and_the_claim():
    html = ('<html><head><link rel="canonical" href="https://www.morgenpost.de/politik/article409961272/x.html">'
            '<meta property="og:url" content="https://www.waz.de/politik/article409961272/x.html"></head>'
            "<body><h1>Titel</h1><p>Text.</p></body></html>")
    art = extract(html, "https://www.waz.de/politik/article409961272/x.html", ask_second_opinion=False)
    assert art.canonical_url == "https://www.waz.de/politik/article409961272/x.html"
    assert art.canonical_claim == "https://www.morgenpost.de/politik/article409961272/x.html"


# -- which site a spider extracts a page as ----------------------------------------------------------------
def test_a_site_spider_uses_its_site_only_for_its_hosts_and_its_mirror():
    spider = HeuteSpider(base_url=MIRROR)
    spider.settings = None
    assert spider.site_of(f"https://www.heute.at/s/x-{HEUTE_ID}").NAME == "heute"
    assert spider.site_of(f"{MIRROR}/s/-{HEUTE_ID}").NAME == "heute"
    assert spider.site_of(f"http://127.0.0.1:9998/s/-{HEUTE_ID}").NAME == "generic"  # another port
    assert spider.site_of(f"http://localhost:9999/s/-{HEUTE_ID}").NAME == "generic"
    article = GenericArticleSpider(url=f"{MIRROR}/s/-{HEUTE_ID}")
    assert article.site_of(f"{MIRROR}/s/-{HEUTE_ID}").NAME == "generic"
    assert article.site_of("https://www.20min.ch/story/x-103241818").NAME == site_for(
        "https://20min.ch/story/x-103241818").NAME == "zwanzigminuten"

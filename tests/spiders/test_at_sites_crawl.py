"""derstandard and orf crawled through what they declare, on loopback: a mirror assembled in ``tmp_path`` from
the real pages of ``../shared/corpus/at`` (never copied into the repository) plus a feed and a news sitemap in
the form the sites publish them. Skips when the shared corpus is absent."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from newscrawl.mirror import serve
from tests.conftest import SHARED
from tests.spiders.test_hostile_discovery import crawl, stat

CORPUS = SHARED / "corpus" / "at"
DS_URL = "https://www.derstandard.at/story/3000000218734/nach-kalifat-rufen-in-hamburg-sind-wir-zu-sanft-zu-islamisten"
# rss.orf.at/news.xml is RSS 1.0 (RDF), as PyFeeds reads it.
ORF_FEED = """<?xml version="1.0" encoding="UTF-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
         xmlns:dc="http://purl.org/dc/elements/1.1/">
 <channel rdf:about="https://orf.at/"><title>news.ORF.at</title><link>https://orf.at/</link>
  <items><rdf:Seq><rdf:li rdf:resource="https://orf.at/stories/3376705/"/></rdf:Seq></items></channel>
 <item rdf:about="https://orf.at/stories/3376705/"><title>Trump-Anwältin soll Justizministerin werden</title>
  <link>https://orf.at/stories/3376705/</link><dc:date>2024-11-22T07:57:50+01:00</dc:date></item>
</rdf:RDF>"""
DS_FEED = f"""<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>derStandard.at</title>
<item><title>Nach Kalifat-Rufen in Hamburg</title><link>{DS_URL}?ref=rss</link>
<pubDate>Fri, 03 May 2024 15:47:42 Z</pubDate></item></channel></rss>"""
DS_NEWS_SITEMAP = f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>{DS_URL}</loc><news:news><news:publication><news:name>DER STANDARD</news:name>
<news:language>de</news:language></news:publication><news:publication_date>2024-05-03T17:47:42+02:00
</news:publication_date><news:title>Nach Kalifat-Rufen in Hamburg</news:title></news:news></url></urlset>"""


def mirror(root: Path, page: str, article_file: str, files: dict[str, str]) -> Path:
    source = CORPUS / f"{page}.html.gz"
    if not source.is_file():
        pytest.skip(f"shared corpus page not available: {source} (../shared is not part of the repository)")
    (root / article_file).parent.mkdir(parents=True)
    (root / article_file).write_bytes(gzip.decompress(source.read_bytes()))
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def test_orf_reads_its_feed_on_rss_orf_at_rebased_onto_the_mirror(tmp_path):
    root = mirror(tmp_path / "orf", "ORF_2024_11_22", "stories/3376705.html", {"news.xml": ORF_FEED})
    with serve(root) as base:
        items, log = crawl(tmp_path, "orf", "-a", f"base_url={base}")
    assert [(it["site"], it["article_id"], it["kicker"]) for it in items] == [("orf", "3376705", "Nach Gaetz-Rückzug")]
    assert stat(log, "newscrawl/feed/fetched") == 1
    assert stat(log, "newscrawl/dropped/offsite_origin") == 0


def test_derstandard_reads_its_feed_and_news_sitemap_and_keeps_one_item(tmp_path):
    root = mirror(tmp_path / "ds", "DerStandard_2024_05_03", "story/3000000218734.html",
                  {"rss": DS_FEED, "sitemaps/news.xml": DS_NEWS_SITEMAP})  # no /sitemaps/sitemap.xml: a 404
    with serve(root) as base:
        items, log = crawl(tmp_path, "derstandard", "-a", f"base_url={base}")
    assert [(it["site"], it["article_id"]) for it in items] == [("derstandard", "3000000218734")]
    assert stat(log, "newscrawl/feed/fetched") == 1
    assert stat(log, "newscrawl/sitemap/fetched") == 1  # the news sitemap; the index failed and is counted
    assert stat(log, "newscrawl/sitemap/failed") == 1

"""newscrawl.feeds: RSS 2.0, RSS 1.0 (RDF) and Atom feeds, well-formed, malformed and hostile, written out here
as a site would serve them; one is fetched over HTTP from a loopback server."""

from __future__ import annotations

import tracemalloc
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from newscrawl.feeds import FeedEntry, FeedError, parse_feed, parse_date
from tests.hostile import entity_bomb_dtd
from tests.hostile.server import HostileServer, static

FEED_URL = "https://www.example.at/rss/news.xml"
VIENNA = ZoneInfo("Europe/Vienna")


def at(*fields: int, offset_h: float = 0) -> datetime:
    return datetime(*fields, tzinfo=timezone(timedelta(hours=offset_h)))


def rss(items: str, prolog: str = '<?xml version="1.0" encoding="UTF-8"?>', root_attrs: str = "") -> bytes:
    return (f'{prolog}\n<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" '
            f'xmlns:atom="http://www.w3.org/2005/Atom"{root_attrs}>'
            f"<channel><title>News</title><link>https://www.example.at/</link>{items}</channel></rss>").encode()


def urls(feed) -> list[str]:
    return [entry.url for entry in feed.entries]


# --- the three formats --------------------------------------------------------------------------------------


def test_rss2_gives_each_item_with_its_link_date_and_title():
    body = rss("""
      <item><title>Regierung einigt sich auf Budget</title>
        <link>https://www.example.at/story/3000000001/budget</link>
        <guid isPermaLink="false">3000000001</guid>
        <pubDate>Mon, 02 Jun 2025 10:15:00 +0200</pubDate>
        <description>&lt;p&gt;Teaser&lt;/p&gt;</description></item>
      <item><title>Zweiter Artikel</title>
        <link>https://www.example.at/story/3000000002/zwei</link>
        <pubDate>Mon, 02 Jun 2025 08:00:00 GMT</pubDate></item>""")
    feed = parse_feed(body, FEED_URL)
    assert feed.kind == "rss"
    assert feed.entries == [
        FeedEntry("https://www.example.at/story/3000000001/budget", at(2025, 6, 2, 10, 15, offset_h=2),
                  "Regierung einigt sich auf Budget"),
        FeedEntry("https://www.example.at/story/3000000002/zwei", at(2025, 6, 2, 8, 0), "Zweiter Artikel"),
    ]
    assert feed.skipped == {}


def test_atom_prefers_the_html_alternate_link_and_applies_xml_base():
    body = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://news.example.at/">
  <title>Atom</title><link rel="self" href="https://news.example.at/atom.xml"/>
  <entry xml:base="/stories/">
    <title type="html">Erste &amp;lt;Meldung&amp;gt;</title>
    <link rel="self" href="https://news.example.at/api/1"/>
    <link rel="alternate" type="application/json" href="https://news.example.at/api/1.json"/>
    <link rel="alternate" href="1-erste"/>
    <link rel="related" href="https://elsewhere.example.com/x"/>
    <id>tag:example.at,2025:1</id>
    <published>2025-06-02T09:00:00+02:00</published><updated>2025-06-03T09:00:00+02:00</updated>
  </entry>
  <entry>
    <title>Zweite</title><link rel="enclosure" href="https://news.example.at/img.jpg"/>
    <link rel="via" href="quellen/2"/>
    <updated>2025-06-02T07:30:00Z</updated>
  </entry>
  <entry><title>Nur id</title><id>https://news.example.at/stories/3</id></entry>
  <entry><title>Keine</title><link rel="self" href="https://news.example.at/api/4"/><id>urn:uuid:4</id></entry>
</feed>"""
    feed = parse_feed(body, "https://mirror.example.at/feeds/atom.xml")
    assert feed.kind == "atom"
    assert feed.entries == [
        FeedEntry("https://news.example.at/stories/1-erste", at(2025, 6, 2, 9, offset_h=2), "Erste <Meldung>"),
        FeedEntry("https://news.example.at/quellen/2", at(2025, 6, 2, 7, 30), "Zweite"),
        FeedEntry("https://news.example.at/stories/3", None, "Nur id"),
    ]
    assert feed.skipped == {"no_link": 1}


def test_rss1_rdf_items_with_dc_dates_and_rdf_about_as_fallback():
    body = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
         xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://www.example.at/"><title>RDF</title><link>https://www.example.at/</link>
    <items><rdf:Seq><rdf:li rdf:resource="https://www.example.at/a/1"/></rdf:Seq></items></channel>
  <item rdf:about="https://www.example.at/a/1"><title>Eins</title><link>https://www.example.at/a/1</link>
    <dc:date>2025-06-02T11:00:00+02:00</dc:date></item>
  <item rdf:about="https://www.example.at/a/2"><title>Zwei</title><dc:date>2025-06-02</dc:date></item>
</rdf:RDF>"""
    feed = parse_feed(body, FEED_URL, tz=VIENNA)
    assert feed.kind == "rdf"
    assert feed.entries == [
        FeedEntry("https://www.example.at/a/1", at(2025, 6, 2, 11, offset_h=2), "Eins"),
        FeedEntry("https://www.example.at/a/2", datetime(2025, 6, 2, tzinfo=VIENNA), "Zwei"),
    ]


def test_an_empty_feed_is_a_feed_without_entries():
    feed = parse_feed(rss(""), FEED_URL)
    assert (feed.kind, feed.entries, feed.skipped) == ("rss", [], {})


@pytest.mark.parametrize("body", [
    b"", b"   ", b"just text, no markup", b'{"version": "https://jsonfeed.org/version/1.1", "items": []}',
    b"<!DOCTYPE html><html><head><title>Startseite</title></head><body><a href='/a/1'>x</a></body></html>",
    b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>x</loc></url>'
    b"</urlset>",
])
def test_a_body_that_is_no_feed_raises_feed_error(body):
    with pytest.raises(FeedError):
        parse_feed(body, FEED_URL)


def test_a_body_over_max_bytes_raises_feed_error_before_parsing():
    body = rss("<item><link>https://www.example.at/a/1</link></item>" * 100)
    assert len(parse_feed(body, FEED_URL, max_bytes=len(body)).entries) == 1
    with pytest.raises(FeedError, match=f"{len(body)} bytes is over the limit of {len(body) - 1} bytes"):
        parse_feed(body, FEED_URL, max_bytes=len(body) - 1)


# --- malformed feeds ----------------------------------------------------------------------------------------


def test_unclosed_tags_keep_the_entries_around_them():
    body = rss("""
      <item><title>Offen<link>https://www.example.at/a/1</link></item>
      <item><title>Zwei</title><link>https://www.example.at/a/2</link><description><p>ohne Ende</item>
      <item><title>Drei</title><link>https://www.example.at/a/3</link></item>""").replace(b"</channel></rss>", b"")
    feed = parse_feed(body, FEED_URL)
    assert urls(feed) == ["https://www.example.at/a/1", "https://www.example.at/a/2", "https://www.example.at/a/3"]


def test_latin1_bytes_declared_as_utf8_are_read_as_latin1():
    body = rss("<item><title>Gr\xfc\xdfe aus \xd6sterreich</title><link>https://www.example.at/a/1</link></item>")
    body = body.decode("utf-8").encode("latin-1")  # the declaration still says UTF-8
    assert parse_feed(body, FEED_URL).entries[0].title == "Grüße aus Österreich"


def test_utf8_bytes_declared_as_iso_8859_1_are_read_as_utf8():
    body = rss("<item><title>Grüße aus Österreich</title><link>https://www.example.at/a/1</link></item>",
               prolog='<?xml version="1.0" encoding="ISO-8859-1"?>')
    assert parse_feed(body, FEED_URL).entries[0].title == "Grüße aus Österreich"


def test_a_correct_latin1_declaration_and_an_unknown_encoding_name_are_handled():
    latin = rss("<item><title>Grüße</title><link>https://www.example.at/a/1</link></item>",
                prolog='<?xml version="1.0" encoding="ISO-8859-1"?>').decode("utf-8").encode("latin-1")
    assert parse_feed(latin, FEED_URL).entries[0].title == "Grüße"
    unknown = rss("<item><title>Grüße</title><link>https://www.example.at/a/1</link></item>",
                  prolog='<?xml version="1.0" encoding="x-no-such-charset"?>')
    assert parse_feed(unknown, FEED_URL).entries[0].title == "Grüße"


def test_html_entities_cdata_and_bare_ampersands():
    body = rss("""
      <item><title>Wien&nbsp;&ndash; Graz &amp; Linz&hellip; &#8222;Zitat&#x201C;</title>
        <link>https://www.example.at/suche?q=wien&page=2&amp;sort=neu</link></item>
      <item><title><![CDATA[Kultur & <b>Bühne</b> &nbsp;]]></title>
        <link><![CDATA[https://www.example.at/a/2?x=1&y=2]]></link></item>
      <item><title>Tom & Jerry &unbekannt; Ende</title><link>https://www.example.at/a/3</link></item>""")
    feed = parse_feed(body, FEED_URL)
    assert feed.entries == [
        FeedEntry("https://www.example.at/suche?q=wien&page=2&sort=neu", None, "Wien – Graz & Linz… „Zitat“"),
        FeedEntry("https://www.example.at/a/2?x=1&y=2", None, "Kultur & <b>Bühne</b> &nbsp;"),
        FeedEntry("https://www.example.at/a/3", None, "Tom & Jerry Ende"),
    ]


@pytest.mark.parametrize("prefix,encoding", [
    (b"\xef\xbb\xbf", "utf-8"), (b"\n\n   \t", "utf-8"), (b"\xef\xbb\xbf\r\n  ", "utf-8"),
    (b"", "utf-16"),  # Python's utf-16 codec writes a BOM
])
def test_a_bom_and_leading_whitespace_before_the_declaration(prefix, encoding):
    text = ('<?xml version="1.0" encoding="%s"?><rss version="2.0"><channel><item><title>Grüße</title>'
            "<link>https://www.example.at/a/1</link></item></channel></rss>" % encoding.upper())
    feed = parse_feed(prefix + text.encode(encoding), FEED_URL)
    assert feed.entries == [FeedEntry("https://www.example.at/a/1", None, "Grüße")]


def test_control_characters_xml_forbids_are_dropped():
    body = rss("<item><title>Vor\x0cher\x00</title><link>https://www.example.at/a/1</link></item>")
    assert parse_feed(body, FEED_URL).entries == [FeedEntry("https://www.example.at/a/1", None, "Vorher")]


def test_atom_without_its_namespace_is_still_read():
    body = b"""<feed><entry><title>Ohne NS</title><link href="/a/1"/><updated>2025-06-02T10:00:00Z</updated>
               </entry></feed>"""
    feed = parse_feed(body, FEED_URL)
    assert feed.kind == "atom"
    assert feed.entries == [FeedEntry("https://www.example.at/a/1", at(2025, 6, 2, 10), "Ohne NS")]


# --- links --------------------------------------------------------------------------------------------------


def test_relative_links_are_resolved_against_the_feed_url():
    body = rss("""
      <item><link>/story/1</link></item><item><link>story/2</link></item>
      <item><link>  ../story/3
      </link></item><item><link>//cdn.example.at/story/4</link></item>
      <item><link>?id=5</link></item>""")
    assert urls(parse_feed(body, FEED_URL)) == [
        "https://www.example.at/story/1", "https://www.example.at/rss/story/2", "https://www.example.at/story/3",
        "https://cdn.example.at/story/4", "https://www.example.at/rss/news.xml?id=5"]


def test_links_of_other_schemes_and_invalid_links_are_skipped_and_counted():
    body = rss("""
      <item><title>ok</title><link>https://www.example.at/a/1</link></item>
      <item><link>javascript:alert(1)</link></item><item><link>mailto:redaktion@example.at</link></item>
      <item><link>ftp://ftp.example.at/a/2</link></item><item><link>data:text/html,hi</link></item>
      <item><link>http://[::1</link></item><item><link>https://www.example.at:99999/a/3</link></item>
      <item><link>http:///ohne-host</link></item>
      <item><title>keiner</title></item><item><link>   </link></item>
      <item><link></link><guid isPermaLink="true"> </guid></item>""")
    feed = parse_feed(body, FEED_URL)
    assert urls(feed) == ["https://www.example.at/a/1"]
    assert feed.skipped == {"other_scheme": 4, "invalid_link": 3, "no_link": 3}


def test_a_bad_first_link_falls_back_to_a_good_guid():
    body = rss("""<item><link>javascript:void(0)</link><guid isPermaLink="true">/a/7</guid></item>""")
    feed = parse_feed(body, FEED_URL)
    assert (urls(feed), feed.skipped) == (["https://www.example.at/a/7"], {})


def test_guid_is_a_link_only_when_it_is_a_permalink():
    body = rss("""
      <item><title>wahr</title><guid isPermaLink="true">https://www.example.at/a/1</guid></item>
      <item><title>relativ</title><guid isPermaLink="true">/a/2</guid></item>
      <item><title>ohne Attribut, URL</title><guid>https://www.example.at/a/3</guid></item>
      <item><title>ohne Attribut, id</title><guid>3000000004</guid></item>
      <item><title>falsch</title><guid isPermaLink="false">https://www.example.at/a/5</guid></item>
      <item><title>link zuerst</title><link>https://www.example.at/a/6</link>
        <guid isPermaLink="true">https://www.example.at/guid/6</guid></item>""")
    feed = parse_feed(body, FEED_URL)
    assert urls(feed) == ["https://www.example.at/a/1", "https://www.example.at/a/2", "https://www.example.at/a/3",
                          "https://www.example.at/a/6"]
    assert feed.skipped == {"no_link": 2}


def test_feedburner_orig_link_wins_over_the_redirecting_link():
    body = rss("""<item><link>https://feedproxy.google.com/~r/example/~3/abc/</link>
      <feedburner:origLink xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0">https://www.example.at/a/1
      </feedburner:origLink></item>""")
    assert urls(parse_feed(body, FEED_URL)) == ["https://www.example.at/a/1"]


def test_an_atom_self_link_inside_an_rss_item_is_not_its_link():
    body = rss("""<item><atom:link rel="self" href="https://www.example.at/api/1"/><link>/a/1</link></item>""")
    assert urls(parse_feed(body, FEED_URL)) == ["https://www.example.at/a/1"]


def test_duplicate_entries_are_kept_once_the_first_one():
    body = rss("""
      <item><title>erst</title><link>https://www.example.at/a/1</link></item>
      <item><title>zwei</title><link>https://www.example.at/a/2</link></item>
      <item><title>wieder</title><link>/a/1</link><pubDate>Mon, 02 Jun 2025 10:00:00 GMT</pubDate></item>
      <item><title>Anker</title><link>https://www.example.at/a/1#kommentare</link></item>""")
    feed = parse_feed(body, FEED_URL)
    assert [(e.url, e.title) for e in feed.entries] == [("https://www.example.at/a/1", "erst"),
                                                          ("https://www.example.at/a/2", "zwei")]
    assert feed.skipped == {"duplicate": 2}


# --- dates --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value,expected", [
    ("Mon, 02 Jun 2025 10:00:00 GMT", at(2025, 6, 2, 10)),
    ("Mon, 02 Jun 2025 10:00:00 UT", at(2025, 6, 2, 10)),
    ("Mon, 02 Jun 2025 10:00:00 Z", at(2025, 6, 2, 10)),
    ("Mon, 02 Jun 2025 10:00:00 +0100", at(2025, 6, 2, 10, offset_h=1)),
    ("Mon, 02 Jun 2025 10:00:00 -0430", at(2025, 6, 2, 10, offset_h=-4.5)),
    ("Mon, 02 Jun 2025 10:00:00 CET", at(2025, 6, 2, 10, offset_h=1)),
    ("Mon, 02 Jun 2025 10:00:00 CEST", at(2025, 6, 2, 10, offset_h=2)),
    ("Mon, 02 Jun 2025 10:00:00 MESZ", at(2025, 6, 2, 10, offset_h=2)),
    ("Mon, 02 Jun 2025 10:00:00 EST", at(2025, 6, 2, 10, offset_h=-5)),
    ("Mon, 02 Jun 2025 10:00:00 +0200 (CEST)", at(2025, 6, 2, 10, offset_h=2)),
    ("02 Jun 2025 10:00 +0100", at(2025, 6, 2, 10, offset_h=1)),
    ("Mon, 2 Jun 25 10:00:00 GMT", at(2025, 6, 2, 10)),
    ("  Mon,  02 Jun 2025\n 10:00:00 GMT ", at(2025, 6, 2, 10)),
    ("2025-06-02T10:00:00Z", at(2025, 6, 2, 10)),
    ("2025-06-02T10:00:00.123+02:00", at(2025, 6, 2, 10, 0, 0, 123000, offset_h=2)),
    ("2025-06-02T10:00:00+0200", at(2025, 6, 2, 10, offset_h=2)),
    ("20250602T100000Z", at(2025, 6, 2, 10)),
    ("2025-06-02 10:00:00 UTC", at(2025, 6, 2, 10)),
])
def test_rfc822_and_iso8601_dates_with_their_zones(value, expected):
    when = parse_date(value, VIENNA)
    assert when == expected and when.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize("value,expected", [
    ("Mon, 02 Jun 2025 10:00:00", datetime(2025, 6, 2, 10, tzinfo=VIENNA)),       # no zone
    ("Mon, 02 Jun 2025 10:00:00 -0000", datetime(2025, 6, 2, 10, tzinfo=VIENNA)),  # RFC 2822: zone unknown
    ("Mon, 02 Jun 2025 10:00:00 XYZ", datetime(2025, 6, 2, 10, tzinfo=VIENNA)),    # an unknown name
    ("2025-06-02T10:00:00", datetime(2025, 6, 2, 10, tzinfo=VIENNA)),
    ("2025-01-15 08:30", datetime(2025, 1, 15, 8, 30, tzinfo=VIENNA)),
    ("2025-06-02", datetime(2025, 6, 2, tzinfo=VIENNA)),
])
def test_naive_dates_are_read_in_the_given_time_zone(value, expected):
    when = parse_date(value, VIENNA)
    assert when == expected and when.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize("value", [
    "", "   ", "gestern", "Montag, 2. Juni 2025", "Mon, 31 Feb 2025 10:00:00 GMT", "Mon, 02 Jun 2025 25:00:00 GMT",
    "Mon, 02 Jun 2025 10:00:00 +9999", "2025-13-45T10:00:00Z", "2025-06-02T10:00:00+25:00", "99999-01-01",
    "Mon, 02 Jun 99999 10:00:00 GMT", "0000-00-00 00:00:00", "2025-06-02T" + "1" * 200, "Mon, 02 Foo 2025",
])
def test_unreadable_dates_are_none(value):
    assert parse_date(value, VIENNA) is None


def test_entries_with_missing_or_unreadable_dates_are_kept_undated():
    body = rss("""
      <item><link>https://www.example.at/a/1</link></item>
      <item><link>https://www.example.at/a/2</link><pubDate>vor 5 Minuten</pubDate></item>
      <item><link>https://www.example.at/a/3</link><pubDate>kaputt</pubDate>
        <dc:date>2025-06-02T10:00:00+02:00</dc:date></item>
      <item><link>https://www.example.at/a/4</link><pubDate></pubDate></item>""")
    feed = parse_feed(body, FEED_URL)
    assert [(e.url, e.published) for e in feed.entries] == [
        ("https://www.example.at/a/1", None), ("https://www.example.at/a/2", None),
        ("https://www.example.at/a/3", at(2025, 6, 2, 10, offset_h=2)), ("https://www.example.at/a/4", None)]


def test_feed_dates_without_zone_use_the_sites_zone():
    body = rss("<item><link>/a/1</link><pubDate>Mon, 02 Jun 2025 10:00:00</pubDate></item>")
    assert parse_feed(body, FEED_URL, tz=VIENNA).entries[0].published == datetime(2025, 6, 2, 10, tzinfo=VIENNA)
    assert parse_feed(body, FEED_URL).entries[0].published == at(2025, 6, 2, 10)  # UTC by default


# --- hostile feeds ------------------------------------------------------------------------------------------


def test_xxe_reads_no_file_and_contacts_no_host(tmp_path):
    token = f"XXE-SECRET-{uuid.uuid4().hex}"
    secret = tmp_path / "secret.txt"
    secret.write_text(token + "\n", encoding="utf-8")
    with HostileServer(host="127.0.0.2") as canary:
        for root in ("rss", "feed", "rdf:RDF"):
            prolog = (f'<?xml version="1.0"?><!DOCTYPE {root} [<!ENTITY xxe SYSTEM "file://{secret}">'
                      f'<!ENTITY ssrf SYSTEM "{canary.base}/entity"><!ENTITY % remote SYSTEM "{canary.base}/dtd">'
                      f"%remote;]>")
            if root == "rss":
                body = rss('<item><title>&xxe;</title><link>https://www.example.at/a/&xxe;</link></item>'
                           '<item><title>gut &ssrf;</title><link>https://www.example.at/a/1</link></item>'
                           '<item><link>https://www.example.at/a/2?&ssrf;</link></item>', prolog)
            elif root == "feed":
                body = (prolog + '<feed xmlns="http://www.w3.org/2005/Atom" xml:base="&xxe;"><entry><title>&xxe;'
                        '</title><id>&ssrf;</id></entry><entry><title>gut</title>'
                        '<link href="https://www.example.at/a/1"/></entry></feed>').encode()
            else:
                body = (prolog + '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><item '
                        'rdf:about="https://www.example.at/a/1"><title>gut &xxe;</title></item></rdf:RDF>').encode()
            feed = parse_feed(body, FEED_URL)
            assert token not in repr(feed) and "entity" not in repr(feed)
            assert urls(feed) == ["https://www.example.at/a/1"], root
            assert all("secret" not in (e.title or "") for e in feed.entries)
        assert canary.hits() == []  # neither an external entity nor an external DTD was fetched


def test_billion_laughs_is_not_expanded():
    body = rss("<item><title>&lol9;</title><link>https://www.example.at/a/&lol9;</link></item>"
               "<item><title>gut</title><link>https://www.example.at/a/1</link></item>",
               prolog='<?xml version="1.0"?>' + entity_bomb_dtd("rss"))
    tracemalloc.start()
    try:
        feed = parse_feed(body, FEED_URL)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert feed.entries == [FeedEntry("https://www.example.at/a/1", None, "gut")]
    assert feed.skipped == {"invalid_link": 1}
    assert peak < 5 * 1024 * 1024  # &lol9; expanded would be 3 GB


def test_quadratic_blowup_is_not_expanded():
    big = "A" * 100_000
    body = rss("<item><title>" + "&big;" * 20_000 + "</title><link>https://www.example.at/a/1</link></item>",
               prolog=f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY big "{big}">]>')
    feed = parse_feed(body, FEED_URL)  # expanded: 2 GB of title
    assert feed.entries == [FeedEntry("https://www.example.at/a/1", None, None)]


def test_a_doctype_with_brackets_and_quotes_inside_is_removed_whole():
    body = rss("<item><title>gut &x;</title><link>https://www.example.at/a/1</link></item>",
               prolog='<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x "]> <rss>falsch</rss>"> <!ENTITY y \'>\'>]>')
    assert parse_feed(body, FEED_URL).entries == [FeedEntry("https://www.example.at/a/1", None, "gut")]


def test_an_unclosed_doctype_is_no_feed():
    with pytest.raises(FeedError):
        parse_feed(b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x "y"> <rss><channel><item>', FEED_URL)


def test_a_large_feed_gives_every_entry():
    body = rss("".join(f"<item><title>Nr. {i}</title><link>/a/{i}</link><pubDate>Mon, 02 Jun 2025 10:00:00 GMT"
                       f"</pubDate></item>" for i in range(5_000)))
    feed = parse_feed(body, FEED_URL)
    assert urls(feed) == [f"https://www.example.at/a/{i}" for i in range(5_000)]


# --- over HTTP ----------------------------------------------------------------------------------------------


def test_a_feed_fetched_over_http_from_loopback_resolves_against_its_own_url():
    body = b"\xef\xbb\xbf" + rss("""
      <item><title>Eins</title><link>/story/1</link><pubDate>Mon, 02 Jun 2025 10:00:00 CEST</pubDate></item>
      <item><title>Zwei</title><guid isPermaLink="true">story/2</guid></item>""")
    with HostileServer({"/feeds/news.xml": static(body, "application/rss+xml; charset=utf-8")}) as site:
        url = f"{site.base}/feeds/news.xml"
        with urllib.request.urlopen(url, timeout=10) as response:
            fetched = response.read()
        feed = parse_feed(fetched, url, tz=VIENNA)
        assert [hit.path for hit in site.hits()] == ["/feeds/news.xml"]
    assert feed.entries == [FeedEntry(f"{site.base}/story/1", at(2025, 6, 2, 10, offset_h=2), "Eins"),
                            FeedEntry(f"{site.base}/feeds/story/2", None, "Zwei")]

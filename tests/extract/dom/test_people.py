"""dom/people.py and assemble's byline decision: authors are persons, publications and agencies are the source."""

import pytest

from newscrawl.extract import extract
from newscrawl.extract.dom import people
from newscrawl.extract.dom.people import clean_name, is_person_name, name_kind, split_names
from newscrawl.extract.merge import fingerprint

from .helpers import URL, para, run_rule


@pytest.mark.parametrize("name", ["Anna Muster", "C. Weber", "Dr. Max Kolter", "Ludwig van Beethoven",
                                  "Jean-Luc Picard", "O'Brien Smith", "Андрей Колесников", "松岡大地", "大渡 美咲"])
def test_person_names(name):
    assert is_person_name(name)


@pytest.mark.parametrize("name", ["Frankfurt", "SID Nachrichtenagentur", "MM-Redaktion", "Gear Team",
                                  "anna muster", "2024 Wien", ""])
def test_not_person_names(name):
    assert not is_person_name(name)


@pytest.mark.parametrize(("name", "kind"), [
    ("Anna Muster", "person"), ("dpa", "org"), ("AFP", "org"), ("mdr.de", "org"),
    ("Deutsche Welle (www.dw.com)", "org"), ("Associated Press", "org"), ("Le Figaro et AFP", "org"),
    ("VnExpress", "org"),                   # the page's own name (see publishers below)
    ("Frankfurt", None), ("Germany", None),  # a place after the name in a byline
    ("redaktion@example.org", None),        # an e-mail address
])
def test_name_kinds(name, kind):
    assert name_kind(name, {fingerprint("VnExpress")}) == kind


def test_split_and_clean_names():
    assert split_names("Von Anna Muster und Max Meier, dpa") == ["Anna Muster", "Max Meier", "dpa"]
    assert clean_name("Elena Oberholzer (obe)") == "Elena Oberholzer"
    assert clean_name("신현주 기자") == "신현주"
    assert clean_name("By Jane Doe") == "Jane Doe"
    assert clean_name("Quelle: sid/dpa") == "sid/dpa"


def test_authors_rule_reads_bylines_near_the_text_not_a_teasers_further_down():
    markup = (f'<div class="main"><h1>T</h1><div class="byline">Von Anna Muster und Max Meier, Frankfurt</div>'
              f'<div class="text"><p>{para(1)}</p><p>{para(2)}</p></div></div>'
              f'<div class="more"><div class="teaser"><span class="author">Eva Bauer</span></div></div>')
    cands = run_rule(people.authors, markup, after_body=True)
    assert cands.first("authors")[0] == ["Anna Muster", "Max Meier"]
    assert cands.first("byline_other")[0] == ["Frankfurt"]


def page(head: str = "", byline: str = "") -> str:
    return (f"<html><head>{head}</head><body><h1>Titel</h1>{byline}<article><p>{para(1)}</p><p>{para(2)}</p>"
            f"<p>{para(3)}</p><p>{para(4)}</p><p>{para(5)}</p><p>{para(6)}</p><p>{para(7)}</p><p>{para(8)}</p>"
            "</article></body></html>")


def ld(author) -> str:
    import json

    return ('<script type="application/ld+json">' + json.dumps(
        {"@type": "NewsArticle", "headline": "Titel", "author": author,
         "publisher": {"@type": "Organization", "name": "Example News"}}) + "</script>")


def test_a_publication_only_byline_goes_to_source():
    art = extract(page(ld({"@type": "Organization", "name": "Example News"})), URL)
    assert art.authors == [] and art.source == "Example News"
    art = extract(page('<meta name="author" content="Example News">'), URL)
    assert art.authors == [] and art.source == "Example News"


def test_persons_to_authors_an_agency_to_source_places_and_emails_dropped():
    art = extract(page(byline='<div class="byline">Von Anna Muster (amu), Frankfurt, anna@example.org; dpa</div>'), URL)
    assert art.authors == ["Anna Muster"] and art.source == "dpa"


def test_persons_come_from_the_first_source_that_names_any():
    art = extract(page('<meta name="author" content="Example News">',
                       '<div class="byline">Von Max Meier</div>'), URL)
    assert art.authors == ["Max Meier"] and art.source == "Example News"


def test_a_json_ld_person_named_by_one_word_is_a_person():
    art = extract(page(ld({"@type": "Person", "name": "Cooper"})), URL)
    assert art.authors == ["Cooper"]

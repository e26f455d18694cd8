"""dom/header.py: headline, kicker, lead, dates, comment count, breadcrumbs and a "Quelle:" line."""

from newscrawl.extract.dom import header

from .helpers import para, run_rule as run


def test_headline_is_the_first_h1_outside_furniture_without_its_kicker():
    c = run(header.headline, '<div class="navigation"><h1>Logo</h1></div>'
                             '<h1><span class="kicker">Wien</span> Neue Brücke eröffnet</h1>')
    assert c.first("headline")[0] == "Neue Brücke eröffnet"
    assert c.first("kicker")[0] == "Wien"


def test_lead_is_the_lead_named_element_between_headline_and_text():
    markup = (f'<div class="teaser">Ein Teaser eines anderen Artikels, der oben auf der Seite steht.</div>'
              f'<h1>Titel</h1><p class="lead">Der Vorspann fasst den Artikel in zwei Sätzen zusammen.</p>'
              f'<div class="text"><p>{para(1)}</p><p>{para(2)}</p></div>')
    c = run(header.kicker_and_lead, markup, after_body=True)
    assert c.first("lead")[0] == "Der Vorspann fasst den Artikel in zwei Sätzen zusammen."


def test_dates_from_itemprops_and_time_elements_with_their_labels():
    c = run(header.dates, '<meta itemprop="datePublished" content="2025-06-27T20:04:00+02:00">'
                          '<span>Aktualisiert: <time datetime="2025-06-28T08:00:00+02:00">28.06.</time></span>')
    assert c.first("published_raw")[0] == "2025-06-27T20:04:00+02:00"
    assert c.first("modified_raw")[0] == "2025-06-28T08:00:00+02:00"


def test_text_dates_read_date_lines_in_bylines():
    c = run(header.text_dates, '<div class="byline">Von Anna Muster, 27.06.2025, 20:04</div>')
    assert c.first("published_raw")[0] == "27.06.2025, 20:04"


def test_comment_count_from_a_counter_not_from_a_thread():
    assert run(header.comment_count, '<a class="comments-link">12 Kommentare</a>').first("comment_count")[0] == 12
    thread = '<div class="comments"><p>Ich habe 3 Kommentare zu diesem Artikel und noch viel mehr zu sagen.</p></div>'
    assert run(header.comment_count, thread).first("comment_count") is None


def test_breadcrumbs_are_the_trails_labels_without_separators():
    c = run(header.breadcrumbs, '<ol class="breadcrumb"><li><a href="/">Home</a></li><li>›</li>'
                                '<li><a href="/wien">Wien</a></li></ol>')
    assert c.first("breadcrumb")[0] == ["Home", "Wien"]


def test_source_line_under_the_text():
    c = run(header.source_line, f"<p>{para(1)}</p><p>Quelle: APA</p>")
    assert c.first("source")[0] == "APA"

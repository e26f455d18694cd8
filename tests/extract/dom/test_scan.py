"""dom/scan.py: runs of text between block boundaries, and furniture-named boxes decided by the text they hold."""

from newscrawl.extract.dom.vocabulary import EXCLUDED, HIDDEN, IN_HEADER, MINOR, SKIPPED

from .helpers import LONG, para, scan_of


def texts(scan):
    return [s.text for s in scan.segments]


def context_of(scan, start: str) -> int:
    return scan.context(next(s for s in scan.segments if s.text.startswith(start)).boxes)


# --- runs of text -------------------------------------------------------------------------------------------

def test_text_straight_in_a_div_between_brs_and_after_an_img_is_a_run():
    scan = scan_of('<div class="post">Erste Zeile<br>zweite Zeile<br><br><img src="a.jpg">Text nach dem Bild'
                   '<p>Ein Absatz.</p>Nachsatz</div>')
    assert texts(scan) == ["Erste Zeile\nzweite Zeile\nText nach dem Bild", "Ein Absatz.", "Nachsatz"]
    assert scan.segments[0].chars == len("Erste Zeilezweite ZeileText nach dem Bild")


def test_a_br_inside_a_paragraph_is_a_space_and_inline_markup_joins_tightly():
    scan = scan_of("<p>Ein <b>W</b>ort und<br>eine neue Zeile</p>")
    assert texts(scan) == ["Ein Wort und eine neue Zeile"]


def test_link_text_is_counted_also_in_blocks_inside_a_link():
    scan = scan_of('<p>Mehr im <a href="/x">Dossier zur Wahl</a>.</p>'
                   '<a href="/teaser"><div>Ein Teaser-Titel</div><div>Die Zusammenfassung des Teasers.</div></a>')
    first, title, summary = scan.segments
    assert first.links == len("Dossier zur Wahl")
    assert title.links == title.chars and summary.links == summary.chars


def test_whitespace_between_tags_makes_no_run():
    scan = scan_of("<div>\n  <div>\n    <p>Text</p>\n  </div>\n</div>")
    assert texts(scan) == ["Text"]


def test_segments_are_in_document_order():
    scan = scan_of("<div>vorher<p>mitten</p>nachher</div><p>danach</p>")
    assert texts(scan) == ["vorher", "mitten", "nachher", "danach"]
    assert [s.pos for s in scan.segments] == sorted(s.pos for s in scan.segments)


def test_scripts_buttons_and_a_noscript_image_are_not_read_but_a_noscript_holding_the_page_is():
    scan = scan_of('<button>Teilen</button><noscript><img src="x.jpg"></noscript><p>Text</p>')
    assert texts(scan) == ["Text"]
    scan = scan_of(f"<noscript><div><p>{LONG}</p></div></noscript>")
    assert texts(scan) == [LONG]


# --- boxes --------------------------------------------------------------------------------------------------

def test_furniture_names_exclude_a_small_box():
    scan = scan_of(f'<div class="related"><p>Mehr zum Thema: anderer Artikel</p></div><article><h1>T</h1>'
                   f'<p>{para(1)}</p><p>{para(2)}</p></article>')
    assert context_of(scan, "Mehr zum Thema") & EXCLUDED
    assert not context_of(scan, "Absatz 1") & EXCLUDED


def test_a_wrapper_named_like_furniture_that_holds_most_text_and_the_first_paragraph_is_not_furniture():
    # "…-content-and-menu", an ASP.NET <form> around the page, a "header" style wrapper
    for wrapper in ('<div class="page-content-and-menu">', '<form id="aspnetForm">', '<div class="header-style-2">'):
        scan = scan_of(f'<h1>Titel</h1>{wrapper}<p>{para(1)}</p><p>{para(2)}</p></{wrapper[1:wrapper.index(" ")]}>'
                       '<div class="footer"><p>Impressum</p></div>')
        assert not context_of(scan, "Absatz 1") & (EXCLUDED | IN_HEADER), wrapper


def test_a_box_holding_most_text_but_not_the_first_paragraph_stays_furniture():
    """A right rail with more text than a short article is still a right rail."""
    rail = "".join(f"<p>{para(n, 'Empfehlung')}</p>" for n in range(5))
    scan = scan_of(f'<h1>Titel</h1><div class="article"><p>{para(1)}</p></div><div class="navigation">{rail}</div>')
    assert context_of(scan, "Empfehlung 1") & EXCLUDED
    assert scan.anchor.text.startswith("Absatz 1")


def test_hard_furniture_stays_furniture_even_when_it_holds_most_text():
    comments = "".join(f"<p>{para(n, 'Kommentar')}</p>" for n in range(6))
    scan = scan_of(f'<h1>T</h1><article><p>{para(1)}</p></article><div class="comments">{comments}</div>')
    assert context_of(scan, "Kommentar 1") & EXCLUDED


def test_small_weak_boxes_are_minor_and_navigation_is_skipped():
    scan = scan_of(f'<h1>T</h1><div class="article"><p>{para(1)}</p><div class="ad-slot"><p>Anzeige</p></div>'
                   f'<p>{para(2)}</p></div><div class="menu"><a href="/">Start</a></div>')
    assert context_of(scan, "Anzeige") & MINOR
    assert context_of(scan, "Start") & SKIPPED


def test_a_header_box_holding_the_text_is_not_a_header():
    scan = scan_of(f'<div class="article-header"><h1>Titel</h1><p>{para(1)}</p><p>{para(2)}</p></div>'
                   f'<div class="rail"><p>{para(3, "Rail")}</p></div>')
    assert not context_of(scan, "Absatz 1") & IN_HEADER
    scan = scan_of(f'<header><h1>Titel</h1><p>Kurzer Vorspann.</p></header><div><p>{para(1)}</p><p>{para(2)}</p>'
                   f'<p>{para(3)}</p></div>')
    assert context_of(scan, "Kurzer Vorspann") & IN_HEADER


def test_a_hidden_copy_of_the_text_is_hidden_unless_nothing_else_is_visible():
    text = f"<p>{para(1)}</p><p>{para(2)}</p>"
    scan = scan_of(f'<h1>T</h1><div class="article">{text}</div><div style="display: none">{text}</div>')
    flags = [scan.context(s.boxes) for s in scan.segments if s.text.startswith("Absatz 1")]
    assert flags[0] == 0 and flags[1] & HIDDEN
    scan = scan_of(f'<h1>T</h1><div hidden>{text}</div>')  # shown by a script: the page's only text
    assert not context_of(scan, "Absatz 1") & HIDDEN


def test_text_in_an_image_box_is_its_caption():
    scan = scan_of(f'<div class="image-box"><img src="a.jpg"><div class="legend">Der Bürgermeister bei der '
                   f'Eröffnung.</div></div><p>{para(1)}</p>')
    assert context_of(scan, "Der Bürgermeister") & EXCLUDED
    assert len(scan.figures) == 1


# --- what the other rules read -------------------------------------------------------------------------------

def test_bylines_include_links_to_an_authors_page_and_rel_author():
    scan = scan_of('<p>von <a href="/autoren/name/max-kolter">Dr. Max Kolter</a></p>'
                   '<a rel="author" href="/x">Anna Muster</a><a href="/sport">Sport</a>')
    assert [b.text for b in scan.bylines] == ["Dr. Max Kolter", "Anna Muster"]


def test_elements_in_skipped_navigation_are_not_filed():
    scan = scan_of(f'<nav><h1>Menü</h1></nav><h1>Titel</h1><p>{para(1)}</p>')
    assert [h.text for h, _, _ in scan.h1s] == ["Titel"]

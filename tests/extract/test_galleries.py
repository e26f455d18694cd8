"""Gallery parsing with the real strings from heute.at pages."""

import pytest

from newscrawl.extract.galleries import caption_parts, dedupe_slides, gallery_size, looks_like_escaped_html, sanitise

NEWS_CAPTION = (
    '<strong>18.11.2024: 7-jähriger Schüler muss nackt in Papierkorb "machen".</strong> Gewalt in Schulen nimmt '
    'immer schlimmere Ausmaße an. "Heute"-Kolumnist Niki Glattauer wirft einen Blick auf die Missstände im '
    'Bildungsbereich. <a data-li-document-ref="120072901" href="https://www.heute.at/s/7-jaehriger-schueler-muss-'
    'nackt-in-papierkorb-machen-120072901">Weiterlesen &gt;&gt;</a>'
)
SPAR_CAPTION = (
    '<strong>22.12.2024: Einwegpfand kommt – das wird ab Jänner neu bei Spar</strong>. Um Verwirrung zu vermeiden, '
    'setzt Spar ab Jänner auf speziell ausgebildete Pfandberater. <a data-li-document-ref="120078758" '
    'href="https://www.heute.at/s/einwegpfand-kommt-das-wird-ab-jaenner-neu-bei-spar-120078758">170 '
    'Getränkeartikel mussten überarbeitet werden.</a>'
)


@pytest.mark.parametrize(("text", "size"), [
    ("1/50", 50), ("1 / 37", 37), ("Bild 1/65 Gehe zur Galerie", 65), ("1/51", 51),
    ("24/7", None), ("2/5", None), ("11/50", None), ("1/0", None), ("1/99999", None), ("", None), ("10.1/2", None),
])
def test_gallery_size(text, size):
    assert gallery_size(text) == size


def test_news_caption_parts():
    parts = caption_parts(NEWS_CAPTION)
    assert parts["date"] == "2024-11-18"
    assert parts["title"] == '7-jähriger Schüler muss nackt in Papierkorb "machen".'
    assert parts["teaser"].startswith("Gewalt in Schulen") and parts["teaser"].endswith("Bildungsbereich.")
    assert "Weiterlesen" not in parts["teaser"]
    assert parts["link_url"].endswith("-120072901")
    assert parts["linked_article_id"] == "120072901"
    assert parts["caption"].startswith('18.11.2024: 7-jähriger Schüler')
    assert "<" not in parts["caption"]


def test_caption_with_period_after_bold_and_link_inside_teaser():
    parts = caption_parts(SPAR_CAPTION)
    assert parts["date"] == "2024-12-22"
    assert parts["title"] == "Einwegpfand kommt – das wird ab Jänner neu bei Spar"
    assert parts["teaser"] == "Um Verwirrung zu vermeiden, setzt Spar ab Jänner auf speziell ausgebildete Pfandberater."
    assert parts["linked_article_id"] == "120078758"


def test_linked_id_from_url_when_no_document_ref():
    html = '<strong>01.02.2025: T</strong> x <a href="https://www.heute.at/s/t-120000001">mehr</a>'
    from newscrawl.extract.sites.heute import Heute
    assert caption_parts(html, article_id_of=Heute().article_id)["linked_article_id"] == "120000001"
    assert caption_parts(html)["linked_article_id"] is None


def test_sanitise_keeps_text_level_tags_and_links_only():
    dirty = ('<div class="x" onclick="evil()"><strong style="c">A</strong> <script>alert(1)</script>'
             '<img src="y" onerror="z"><a href="https://h/s-1" data-li-document-ref="1" target="_blank" class="k">L</a>'
             '<iframe src="e"></iframe></div>')
    clean = sanitise(dirty)
    assert clean == '<strong>A</strong> <a href="https://h/s-1" data-li-document-ref="1">L</a>'


def test_plain_caption_has_no_html_and_no_parts():
    parts = caption_parts("Das Finale der \"The Eras Tour\" soll in Vancouver stattfinden.")
    assert parts["caption"] == 'Das Finale der "The Eras Tour" soll in Vancouver stattfinden.'
    assert parts["caption_html"] is None and parts["date"] is None and parts["title"] is None


def test_escaped_html_is_recognised():
    assert looks_like_escaped_html(NEWS_CAPTION)
    assert not looks_like_escaped_html("18.11.2024: 7-jähriger Schüler muss nackt in Papierkorb")


def test_dedupe_keeps_each_slide_once_and_renumbers():
    a = {"image_url": "u1", "caption": "A"}
    b = {"image_url": "u2", "caption": "B"}
    out = dedupe_slides([a, dict(a, caption=" a "), b])
    assert [(e["image_url"], e["position"]) for e in out] == [("u1", 1), ("u2", 2)]


def test_slides_remembered_from_an_earlier_page_give_the_same_entries_as_read_afresh():
    """heute's news gallery recurs on other pages: read from the slide memo, each page's galleries equal
    those extracted with the memo empty (and the memo really was used)."""
    from newscrawl.extract import SlideMemo, extract
    from tests.conftest import HEUTE_MIRROR

    pages = [(HEUTE_MIRROR / "s" / f"{i}.html").read_bytes() for i in ("100283517", "100243549", "100170609")]
    fresh = [extract(html, "https://www.heute.at/s/x-1").galleries for html in pages]
    memo = SlideMemo()
    for html in pages:
        extract(html, "https://www.heute.at/s/x-1", slides=memo)
    assert len(memo) > 0
    remembered = [extract(html, "https://www.heute.at/s/x-1", slides=memo).galleries for html in pages]
    assert remembered == fresh and all(len(g[0].entries) >= 50 for g in fresh)

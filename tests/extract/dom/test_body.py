"""dom/body.py: the article text, one test per rule."""

from newscrawl.extract.dom.body import content_root, is_byline, is_dateline, teaser_segments

from .helpers import LONG, para, text_of


def paras(*numbers, word="Absatz"):
    return "".join(f"<p>{para(n, word)}</p>" for n in numbers)


def teasers(n: int, cls: str = "teaser") -> str:
    return "".join(f'<div class="{cls}"><h3><a href="/a{i}">Anderer Artikel Nummer {i} mit Titel</a></h3>'
                   f'<p>{para(i, "Teaser")}</p></div>' for i in range(n))


def test_the_root_is_the_deepest_element_holding_most_long_text():
    body, _, scan = text_of(f'<div id="page"><div class="column">{paras(1, 2, 3)}</div>'
                            f'<div class="other"><p>Kurzer Text daneben.</p></div></div>')
    assert body == [para(1), para(2), para(3)]
    assert scan.content_root.get("class") == "column"


def test_text_written_into_a_div_with_brs_is_text():
    body, _, _ = text_of(f'<h1>T</h1><div class="post-body">{LONG}<br><br>Zweiter Absatz, ohne p geschrieben, '
                         f'aber lang genug für einen Absatz.<br>Gruß, Anna</div>')
    assert body == [LONG, "Zweiter Absatz, ohne p geschrieben, aber lang genug für einen Absatz.", "Gruß, Anna"]


def test_a_stack_of_teasers_with_linked_titles_is_set_aside():
    segments = text_of(teasers(4))[2].segments
    assert len(teaser_segments(segments)) == 8  # titles and summaries of the four items
    body, _, _ = text_of(f"<h1>T</h1><article>{paras(1, 2)}</article><section>{teasers(5)}</section>")
    assert body == [para(1), para(2)]


def test_a_live_blog_whose_entries_have_unlinked_titles_is_no_teaser_stack():
    entries = "".join(f'<div class="entry"><h3>Update {i}</h3><p>{para(i)} <a href="/q">Quelle</a></p></div>'
                      for i in range(4))
    body, _, _ = text_of(f"<h1>T</h1><div class='live'>{entries}</div>")
    assert len(body) == 4


def test_the_first_paragraph_after_the_headline_decides_against_a_bigger_rail():
    rail = "".join(f'<div class="box"><p>{para(n, "Rail")}</p></div>' for n in range(6))
    body, _, _ = text_of(f'<div class="main"><h1>T</h1><div class="text">{paras(1, 2)}</div></div>'
                         f'<div class="right">{rail}</div>')
    assert body == [para(1), para(2)]


def test_a_standfirst_above_the_texts_container_joins_it():
    body, _, _ = text_of(f'<h1>T</h1><div class="intro"><p>{para(0, "Vorspann")}</p></div>'
                         f'<div class="text">{paras(1, 2, 3, 4)}</div>')
    assert body[0].startswith("Vorspann 0") and len(body) == 5


def test_a_text_split_into_sibling_blocks_is_one_text():
    body, _, _ = text_of(f'<h1>T</h1><div class="a"><div class="para">{paras(1, 2, 3)}</div>'
                         f'<div class="video"></div><div class="para">{paras(4, 5)}</div></div>')
    assert len(body) == 5


def test_links_and_link_lists_are_no_text():
    body, _, _ = text_of(f'<h1>T</h1><div>{paras(1, 2)}<p><a href="/x">Lesen Sie auch: ein anderer Artikel</a></p>'
                         f'<ul><li><a href="/1">Eins</a></li><li><a href="/2">Zwei</a></li></ul>'
                         f'<p>Ein Satz mit einem <a href="/l">Link</a> darin bleibt.</p></div>')
    assert body == [para(1), para(2), "Ein Satz mit einem Link darin bleibt."]


def test_labels_outside_paragraphs_and_runs_without_letters_are_no_text():
    body, _, _ = text_of(f'<h1>T</h1><div><div class="x">Teilen</div>{paras(1)}<div>Mehr zum Thema</div>'
                         f'<p>3</p><div>|</div>{paras(2)}<td>9,99 €</td></div>')
    assert body == [para(1), para(2)]


def test_a_table_cell_is_text_however_short():
    body, _, _ = text_of(f"<h1>T</h1><div>{paras(1, 2)}<table><tr><td>Modell A</td><td>4 GB</td></tr></table></div>")
    assert body == [para(1), para(2), "Modell A", "4 GB"]


def test_crossheads_that_head_nothing_are_left_out():
    _, subheadings, _ = text_of(f'<h1>T</h1><div>{paras(1)}<h2>Zwischentitel</h2>{paras(2)}'
                                f'<h2>Das könnte Sie auch interessieren</h2><ul><li><a href="/x">Link zu X</a>'
                                f'</li></ul></div>')
    assert subheadings == ["Zwischentitel"]


def test_small_furniture_inside_the_text_is_left_out_but_a_wrapper_named_like_it_is_not():
    body, _, _ = text_of(f'<h1>T</h1><div class="text">{paras(1)}<div class="ad"><p>Anzeige: Jetzt kaufen!</p>'
                         f'</div>{paras(2)}</div>')
    assert body == [para(1), para(2)]
    # page builders name every block of text a widget: leaving them out would leave out the text
    widgets = "".join(f'<div class="elementor-widget"><p>{para(n)}</p></div>' for n in range(4))
    body, _, _ = text_of(f"<h1>T</h1><div class='page'>{widgets}</div>")
    assert len(body) == 4


def test_short_blocks_of_a_kind_that_holds_the_text_elsewhere_are_text_too():
    """A text in "article-widget-text" blocks: the short ones are named like furniture (small widgets), the
    long ones show that this kind of block holds the text."""
    short = "".join(f'<div class="article-widget article-widget-text"><p>{para(n)}</p></div>' for n in range(4))
    long = f'<div class="article-widget article-widget-text">{paras(*range(4, 12))}</div>'  # over 1,000 characters
    body, _, _ = text_of(f'<h1>T</h1><div class="article-widgets">{short}{long}'
                         f'<div class="ad-widget"><p>Anzeige: Jetzt kaufen!</p></div></div>')
    assert len(body) == 12 and "Anzeige: Jetzt kaufen!" not in body


def test_date_lines_and_bylines_are_no_text_but_a_bare_date_is():
    assert is_dateline("Stand: 22.04.2024, 06:00 Uhr") and is_dateline("Aktualisiert am 17.01.2021.")
    assert not is_dateline("Sonntag, 05. Jänner 2025") and not is_dateline(LONG)
    assert is_byline("Von Nina Magoley") and is_byline("By Jane Doe and John Roe")
    assert not is_byline("Von der Leyen sagte am Dienstag, es gebe keinen Plan.")
    body, _, _ = text_of(f"<h1>T</h1><div><p>Stand: 22.04.2024, 06:00 Uhr</p><p>Von Nina Magoley</p>"
                         f"{paras(1, 2)}</div>")
    assert body == [para(1), para(2)]


def test_short_lines_after_the_last_sentence_in_other_containers_are_left_out_a_sign_off_stays():
    body, _, _ = text_of(f'<h1>T</h1><div><div class="t">{paras(1, 2)}<p>Euer Hans</p></div>'
                         f'<div class="cta"><p>Join our commenting forum</p></div></div>')
    assert body == [para(1), para(2), "Euer Hans"]


def test_a_page_whose_text_is_all_named_like_furniture_keeps_its_visible_text():
    thread = "".join(f'<div class="comment">{para(n, "Beitrag")}</div>' for n in range(5))
    body, _, scan = text_of(f"<h1>Forum</h1><div class='comments'>{thread}</div>")
    assert len(body) == 5 and scan.evidence["path"] == "relaxed"


def test_no_paragraph_after_the_headline_means_no_text_not_the_consent_banner_above_it():
    banner = ('<div class="cmp-banner"><p>Wir und unsere Partner verwenden Cookies und ähnliche Technologien, um '
              'Inhalte und Anzeigen zu personalisieren und die Zugriffe auf unsere Website zu analysieren.</p></div>')
    body, _, _ = text_of(f"{banner}<h1>News</h1><section>{teasers(4)}</section>")
    assert body == []


def test_loose_characters_in_body_are_no_article():
    assert text_of("最牡慢敧")[0] == []


def test_content_root_is_none_without_long_text():
    assert content_root(text_of("<p>kurz</p>")[2], text_of("<p>kurz</p>")[2].segments) is None

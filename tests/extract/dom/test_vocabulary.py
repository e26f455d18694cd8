"""dom/vocabulary.py: class words and the roles they give an element."""

import pytest
from lxml import etree

from newscrawl.extract.dom.vocabulary import (R_AUTHOR, R_CAPTION, R_DATE_PROP, R_HARD, R_HEADER, R_KICKER, R_LEAD,
                                              R_NOT_BODY, R_ROOT, R_SKIP, R_WEAK, _roles, class_words, text_without,
                                              without_js_hooks)


def el(markup: str):
    return etree.fromstring(markup)


def test_class_words_split_at_dashes_underscores_and_camel_humps():
    assert class_words(el('<div class="Article_elementLead__x1 o-article-lead" id="mainContent"/>')) == {
        "article", "element", "lead", "x1", "o", "main", "content"}
    assert class_words(el("<div/>")) == frozenset()
    assert "lead" not in class_words(el('<div class="leaderboard"/>'))  # words, not substrings


@pytest.mark.parametrize(("cls", "role"), [
    ("site-navigation", R_NOT_BODY | R_SKIP),   # navigation: soft furniture, and chrome no rule reads
    ("footer", R_NOT_BODY),
    ("article-kicker", R_KICKER), ("c-lead", R_LEAD), ("byline", R_AUTHOR), ("image-caption", R_CAPTION),
    ("site-header", R_HEADER),
])
def test_words_give_roles(cls, role):
    assert _roles(cls, "", "") & role == role


def test_hard_furniture_stays_hard_beside_a_layout_word_but_soft_furniture_weakens():
    assert _roles("related_post", "", "") & R_HARD          # related posts, whatever "post" says
    assert _roles("comments-area", "", "") & R_HARD
    weak = _roles("sidebar-grid__content", "", "")
    assert weak & R_WEAK and not weak & R_NOT_BODY            # a layout word makes furniture weak
    assert _roles("footer-content", "", "") & (R_WEAK | R_NOT_BODY) == R_WEAK


def test_state_words_cancel_furniture_words():
    assert not _roles("comments-enabled", "", "") & (R_HARD | R_NOT_BODY | R_WEAK)
    assert not _roles("has-sidebar", "", "") & (R_NOT_BODY | R_WEAK)


def test_js_hooks_are_not_roles():
    assert without_js_hooks("article__content js-truncate-related-to-my-size").split() == ["article__content"]
    assert not _roles("article__content js-truncate-related-to-my-size", "", "") & R_HARD


def test_itemprops_give_roots_dates_and_authors():
    assert _roles("", "", "articleBody") & R_ROOT
    assert _roles("", "", "datePublished") & R_DATE_PROP
    assert _roles("", "", "author") & R_AUTHOR


def test_text_without_leaves_out_descendants_with_the_words_and_times():
    node = el('<p class="byline">Von <span>Anna Muster</span> <span class="date">heute</span> <time>12:00</time></p>')
    assert text_without(node, frozenset({"date"})) == "Von Anna Muster"

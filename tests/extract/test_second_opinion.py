"""extract/second_opinion.py: trafilatura (the real library) asked only where the page's own evidence is weak."""

from pathlib import Path

from newscrawl.extract import extract
from newscrawl.extract.second_opinion import FEW_CHARS, decide, needed, text_of

LONG = ("Die Landesregierung hat am Dienstag ein neues Paket beschlossen, das Gemeinden bei der Sanierung "
        "ihrer Schulen helfen soll.")
URL = "https://www.example.org/tests/produkte"


def test_needed_when_little_text_was_found_or_only_by_a_fallback():
    long_text = [LONG] * (FEW_CHARS // len(LONG) + 1)
    assert needed({"path": "root"}, [LONG])
    assert not needed({"path": "root"}, long_text)
    assert needed({"path": "relaxed"}, long_text) and needed({"path": "top"}, long_text)


def test_decide_takes_the_other_text_only_when_clearly_longer():
    assert decide([LONG], f"{LONG}\n\n{LONG}\n") == [LONG, LONG]
    assert decide([LONG], LONG) is None
    assert decide([LONG], None) is None and decide([], "") is None


def test_text_of_is_trafilaturas_main_text():
    html = (f"<html><body><nav><a href='/'>Start</a></nav><article><p>{LONG}</p><p>{LONG} Zwei.</p></article>"
            "</body></html>")
    assert text_of(html, URL).split("\n") == [LONG, f"{LONG} Zwei."]


LISTICLE = ("<html><head><title>Die besten Produkte</title></head><body><article><h1>Die besten Produkte im Test</h1>"
            "<p>Wir haben vier Produkte vier Wochen lang im Alltag getestet. Das sind die Ergebnisse.</p>" + "".join(
                f'<div class="item"><h2><a href="/p{i}">Produkt Nummer {i} im Test</a></h2><p>Das Produkt Nummer '
                f'{i} überzeugt im Test mit guter Verarbeitung, langer Laufzeit und einem fairen Preis.</p></div>'
                for i in range(1, 5)) + "</article></body></html>")


def test_a_text_the_generic_layers_cut_short_is_taken_from_trafilatura_and_recorded():
    """Items with linked titles look like a teaser stack: the generic layers keep only the intro, trafilatura
    keeps the items."""
    own = extract(LISTICLE, URL, ask_second_opinion=False)
    assert len(own.body) == 1 and "second_opinion" not in own.extractor
    art = extract(LISTICLE, URL)
    assert art.extractor["second_opinion"] == "taken" and art.field_sources["body"] == "trafilatura"
    assert art.body[0].startswith("Wir haben vier Produkte") and len(art.body) == 9  # the headline is not repeated
    assert art.subheadings == []  # trafilatura's text holds its headings as lines


def test_a_site_module_is_never_second_guessed():
    from tests.conftest import HEUTE_MIRROR

    page = next(Path(HEUTE_MIRROR / "s").glob("*.html")).read_bytes()
    art = extract(page, "https://www.heute.at/s/x-100170609")
    assert art.extractor["site"] == "heute" and "second_opinion" not in art.extractor

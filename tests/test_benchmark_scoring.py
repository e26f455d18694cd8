"""benchmarks/scoring.py: the corpus README's scoring definitions on small hand-made cases."""

import gzip
import json

import pytest

from benchmarks import extraction
from benchmarks.scoring import (bag_f1, collect_images, date_score, main_text, mean_scores, normalize, prf,
                                score_page, set_f1, snippet_counts, tokens)


def label(**fields):
    """An ``expected`` block with every field empty unless given."""
    base = {"title": "", "authors": [], "published": None, "lead": "", "subheadings": [], "paragraphs": [],
            "images": [], "topics": []}
    return {**base, **fields}


# --- normalisation and tokens ------------------------------------------------------------------------------

def test_normalize_quotes_dashes_soft_hyphen_space_case():
    assert normalize("  „Klima\u00adgeld“ – Wien’s  «Plan»\n") == "\"klimageld\" - wien's \"plan\""


def test_normalize_nfkc_and_non_strings():
    assert normalize("ﬁ\u00a0Ⅻ") == "fi xii"
    assert normalize(None) == ""
    assert normalize(["Erster", "Zweiter"]) == "erster zweiter"


def test_tokens_are_word_runs_of_the_normalised_text():
    assert tokens("Don’t stop—2,5 Mio. Euro!") == ["don", "t", "stop", "2", "5", "mio", "euro"]


# --- headline -----------------------------------------------------------------------------------------------

def test_headline_equal_after_normalisation_scores_1():
    exp = label(title='Streit um "Klimageld" - was nun?')
    assert score_page({"headline": "Streit um „Klimageld“ – was  NUN?"}, exp)["headline"] == 1.0


def test_headline_differing_by_a_word_scores_0():
    exp = label(title="Streit um Klimageld - was nun?")
    assert score_page({"headline": "Streit um das Klimageld - was nun?"}, exp)["headline"] == 0.0


def test_headline_falls_back_to_title_and_missing_scores_0():
    exp = label(title="Wahl in Wien")
    assert score_page({"title": "Wahl in Wien"}, exp)["headline"] == 1.0
    assert score_page({}, exp)["headline"] == 0.0


# --- bag-of-words and set F1 --------------------------------------------------------------------------------

def test_bag_f1_counts_multiplicity():
    # common a, c = 2; precision 2/4, recall 2/3 -> F1 4/7
    assert bag_f1(["a", "b", "c", "c"], ["a", "c", "d"]) == pytest.approx(4 / 7)
    # a repeated token matches only as often as the gold has it: common 1, P 1/3, R 1 -> 0.5
    assert bag_f1(["a", "a", "a"], ["a"]) == pytest.approx(0.5)


def test_bag_f1_empty_cases():
    assert bag_f1([], []) == 1.0
    assert bag_f1([], ["a"]) == 0.0
    assert bag_f1(["a"], []) == 0.0
    assert bag_f1(["x"], ["y"]) == 0.0


def test_set_f1_on_normalised_names():
    # {"anna muster", "max meier"} vs {"anna muster", "eva bauer", "dpa"}: P 1/2, R 1/3 -> 0.4
    pred = ["Anna  Muster", "anna muster", "Max Meier", "", None]
    assert set_f1(pred, ["ANNA MUSTER", "Eva Bauer", "dpa"]) == pytest.approx(0.4)
    assert set_f1([], []) == 1.0
    assert set_f1(["Anna Muster"], []) == 0.0


def test_authors_field_is_set_f1_and_only_scored_when_labelled():
    exp = label(authors=["Jasper Riemann", "Barbara Schneider"])
    assert score_page({"authors": ["Jasper Riemann"]}, exp)["authors"] == pytest.approx(2 / 3)
    assert score_page({"authors": ["Barbara Schneider", "jasper riemann"]}, exp)["authors"] == 1.0
    assert "authors" not in score_page({"authors": ["Jasper Riemann"]}, label())


def test_a_byline_without_persons_is_read_from_source_but_not_by_the_reference_definition():
    exp = label(authors=["Associated Press"])
    scores = score_page({"authors": [], "source": "Associated Press"}, exp)
    assert scores["authors"] == 1.0 and scores["authors_reference"] == 0.0
    # persons, when there are any, are the byline: the source does not join them
    scores = score_page({"authors": ["Jasper Riemann"], "source": "dpa"}, label(authors=["Jasper Riemann", "dpa"]))
    assert scores["authors"] == pytest.approx(2 / 3) == scores["authors_reference"]


def test_lead_and_body_are_bag_f1_of_tokens():
    exp = label(lead="Die Synode tagt in Coburg.", paragraphs=["Erster Absatz hier.", "Zweiter Absatz."])
    scores = score_page({"lead": "Die Synode tagt", "body": ["Erster Absatz", "hier. Zweiter Absatz."]}, exp)
    assert scores["lead"] == pytest.approx(2 * 1 * 0.6 / 1.6)  # P 3/3, R 3/5 -> 0.75
    assert scores["body"] == 1.0 == scores["body_precision"] == scores["body_recall"]
    assert score_page({"body": "Erster Absatz hier. Zweiter Absatz."}, exp)["body"] == 1.0
    # "erster absatz hier mehr lesen" against "erster absatz hier zweiter absatz": 3 common of 5 each way
    scores = score_page({"body": ["Erster Absatz hier.", "Mehr lesen"]}, exp)
    assert scores["body_precision"] == pytest.approx(3 / 5) and scores["body_recall"] == pytest.approx(3 / 5)
    assert "lead" not in score_page({"lead": "x"}, label(paragraphs=["p"]))


# --- snippets -------------------------------------------------------------------------------------------------

def test_main_text_is_lead_body_and_subheadings_whitespace_collapsed_and_nfc():
    item = {"lead": "Der Vorspann.", "body": ["Erster\n Absatz.", "Zweiter Absatz."], "subheadings": ["Zwischentitel"]}
    assert main_text(item) == "Der Vorspann. Erster Absatz. Zweiter Absatz. Zwischentitel"
    assert main_text("Cafe\u0301  au lait") == "Café au lait"
    assert main_text(None) == "" and main_text({"body": "nur Text"}) == "nur Text"


def test_snippet_counts_and_prf_from_totals():
    text = main_text({"body": ["Die Wahl findet am Sonntag statt.", "Mehr zum Thema"]})
    counts = snippet_counts(text, ["Wahl findet  am Sonntag", "fehlt hier"], ["Mehr zum Thema", "Impressum"])
    assert counts == {"tp": 1, "fn": 1, "fp": 1, "tn": 1}
    precision, recall, f1 = prf(counts + snippet_counts(text, ["Sonntag statt."], []))
    assert (precision, recall) == (pytest.approx(2 / 3), pytest.approx(2 / 3)) and f1 == pytest.approx(2 / 3)
    assert prf({}) == (0.0, 0.0, 0.0)


# --- published ----------------------------------------------------------------------------------------------

GOLD = "2024-04-22T15:26:46+00:00"


def test_date_within_60_seconds_across_offsets_scores_1():
    assert date_score("2024-04-22T17:27:46+02:00", GOLD) == 1.0  # 60 s later, other offset
    assert date_score("2024-04-22T15:26:00Z", GOLD) == 1.0  # "Z" accepted, 46 s earlier


def test_date_same_day_only_scores_half():
    assert date_score("2024-04-22T15:27:47+00:00", GOLD) == 0.5  # 61 s off
    assert date_score("2024-04-22T00:00:00+00:00", GOLD) == 0.5


def test_date_same_day_is_the_labels_day_in_the_labels_offset():
    # 22:00 UTC on the 22nd is 00:00 on the 23rd in the label's +02:00
    assert date_score("2024-04-22T22:00:00+00:00", "2024-04-22T23:30:00+02:00") == 0.0
    assert date_score("2024-04-22T21:00:00+00:00", "2024-04-22T23:30:00+02:00") == 0.5


def test_date_other_day_or_missing_scores_0():
    assert date_score("2024-04-21T15:26:46+00:00", GOLD) == 0.0
    assert date_score(None, GOLD) == 0.0
    assert date_score("gestern", GOLD) == 0.0


def test_date_without_label_is_not_scored():
    assert date_score("2024-04-22T15:26:46+00:00", None) is None
    assert "published" not in score_page({"published": "2024-04-22T15:26:46+00:00"}, label())
    assert score_page({"published": "2024-04-22T15:26:30+00:00"}, label(published=GOLD))["published"] == 1.0


def test_date_without_offset_needs_the_same_wall_clock_time():
    assert date_score("2024-04-22T15:26:46", "2024-04-22T15:26:46") == 1.0
    assert date_score("2024-04-22T15:26:30", "2024-04-22T15:26:46") == 0.5
    assert date_score("2024-04-22T15:26:46+02:00", "2024-04-22T15:26:46") == 1.0
    assert date_score("2024-04-23T15:26:46", "2024-04-22T15:26:46+00:00") == 0.0


# --- images -------------------------------------------------------------------------------------------------

ITEM = {
    "images": [{"url": "a.jpg", "caption": "Der Rathausplatz", "credits": ["APA"]}],
    "lead_image": {"url": "lead.jpg", "caption": "Bürgermeister Ludwig", "credits": ["Getty Images"]},
    "galleries": [{"title": "Bilder", "entries": [{"image_url": "g1.jpg", "caption": "Regen", "credits": ["dpa"]}]},
                  {"title": "Alt", "images": [{"url": "g2.jpg", "caption": "Sonne", "credits": ["Reuters"]}]}],
}


def test_collect_images_from_images_lead_image_and_galleries():
    assert [im.get("url") or im.get("image_url") for im in collect_images(ITEM)] == ["a.jpg", "lead.jpg", "g1.jpg", "g2.jpg"]
    assert collect_images({"image": {"url": "x.jpg"}, "lead_image": None}) == [{"url": "x.jpg"}]
    assert collect_images({}) == []


def test_image_credits_and_captions_count_every_place():
    exp = label(images=[
        {"url": "lead.jpg", "caption": "Bürgermeister Ludwig", "credits": ["Getty Images"]},
        {"url": "a.jpg", "caption": "Der Rathausplatz", "credits": ["APA"]},
        {"url": "g1.jpg", "caption": "Regen", "credits": ["dpa"]},
        {"url": "g2.jpg", "caption": "Sonne", "credits": ["Reuters"]},
        {"url": "author.png", "caption": None, "credits": []},
    ])
    scores = score_page(ITEM, exp)
    assert scores["image_credits"] == 1.0
    assert scores["image_captions"] == 1.0
    # without the lead image: credits apa dpa reuters vs getty images apa dpa reuters -> P 1, R 3/5 = 0.75
    assert score_page({**ITEM, "lead_image": None}, exp)["image_credits"] == pytest.approx(0.75)


def test_image_fields_only_scored_when_labelled():
    exp = label(images=[{"url": "a.jpg", "caption": None, "description": "alt", "credits": []}])
    scores = score_page(ITEM, exp)
    assert "image_credits" not in scores and "image_captions" not in scores


def test_mean_scores_average_over_pages_with_the_field():
    means = mean_scores([{"headline": 1.0, "authors": 0.5}, {"headline": 0.0}, {"headline": 1.0, "authors": 1.0}])
    assert means["headline"] == (pytest.approx(2 / 3), 3)
    assert means["authors"] == (0.75, 2)
    assert "lead" not in means


# --- the benchmark script -----------------------------------------------------------------------------------

def test_benchmark_skips_cleanly_without_corpus(tmp_path, capsys):
    assert extraction.main([str(tmp_path / "missing")]) == 0
    out = capsys.readouterr().out
    assert "not found, skipped" in out and "benchmark skipped" in out


PAGE = ("<html><head><title>Wahl in Wien</title></head><body><article><h1>Wahl in Wien</h1>"
        "<p>Die Wahl in Wien findet am Sonntag statt, die Parteien werben um Stimmen in allen Bezirken.</p>"
        "</article><footer><p>Impressum und Datenschutz</p></footer></body></html>")


def labelled_corpus(folder):
    (folder / "at").mkdir(parents=True)
    (folder / "at" / "Test_2025_01_01.html.gz").write_bytes(gzip.compress(PAGE.encode()))
    truth = {"id": "at/Test_2025_01_01", "publisher": "Test", "country": "at", "url": "https://example.at/wahl",
             "expected": label(title="Wahl in Wien", paragraphs=["Die Wahl in Wien findet am Sonntag statt, "
                                                                 "die Parteien werben um Stimmen in allen Bezirken."])}
    (folder / "at" / "Test_2025_01_01.json").write_text(json.dumps(truth))
    return folder


def snippet_corpus(folder):
    (folder / "pages").mkdir(parents=True)
    (folder / "pages" / "abc.html.gz").write_bytes(gzip.compress(PAGE.encode()))
    (folder / "pages" / "def.html.gz").write_bytes(gzip.compress(PAGE.replace("Wien", "Graz").encode()))
    index = [{"id": "abc", "url": "https://example.at/a", "region": "AT", "with": ["findet am Sonntag statt"],
              "without": ["Impressum"]},
             {"id": "def", "url": "https://example.com/b", "region": "US", "with": ["in Graz findet", "fehlt"],
              "without": []}]
    (folder / "index.json").write_text(json.dumps(index))
    return folder


def test_benchmark_tables_and_json_on_both_kinds_of_corpus(tmp_path, capsys):
    corpus, snippets = labelled_corpus(tmp_path / "corpus"), snippet_corpus(tmp_path / "snippets")
    out = tmp_path / "scores.json"
    assert extraction.main([str(corpus), str(snippets), "--no-trafilatura", "--json", str(out), "--repeat", "2"]) == 0
    text = capsys.readouterr().out
    assert "| headline | 1 | 1.0000 |" in text and "| body_precision | 1 | 1.0000 |" in text
    assert "trafilatura skipped" in text and "lxml parse only" in text
    # 2 with-snippets found of 3, no without found: P 1, R 2/3; the German-language page alone is perfect
    assert "| all (2) | newscrawl | 1.0000 | 0.6667 | 0.8000 |" in text
    assert "| German-language (DE, AT, CH) (1) | newscrawl | 1.0000 | 1.0000 | 1.0000 |" in text
    assert "first pass of a fresh process" in text and "warm (median of 2 passes)" in text
    data = json.loads(out.read_text())
    assert [p["id"] for p in data["pages"]] == ["at/Test_2025_01_01", "abc", "def"]
    assert {"headline", "body", "body_precision", "body_recall"} == set(data["pages"][0]["newscrawl"])
    assert data["pages"][2]["newscrawl"] == {"tp": 1, "fn": 1, "fp": 0, "tn": 0}
    assert data["summary"]["snippets"]["newscrawl"] == {"precision": 1.0, "recall": 0.6667, "f1": 0.8}
    assert len(data["summary"]["speed"]["newscrawl"]["passes"]) == 3


def test_benchmark_only_lang_keeps_the_countries_and_regions(tmp_path, capsys):
    corpus, snippets = labelled_corpus(tmp_path / "corpus"), snippet_corpus(tmp_path / "snippets")
    assert extraction.main([str(corpus), str(snippets), "--no-trafilatura", "--only-lang", "de,at", "--repeat", "0"]) == 0
    text = capsys.readouterr().out
    assert "Snippet corpus: 1 pages" in text and "Labelled corpus: 1 pages" in text
    assert extraction.main([str(corpus), "--only-lang", "de", "--no-trafilatura"]) == 0
    assert "no labelled pages" in capsys.readouterr().out

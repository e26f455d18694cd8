"""Field-level diffs (newscrawl.versions.diff) and what counts as a change (newscrawl.records)."""

from __future__ import annotations

import copy
import json

import pytest

from newscrawl.items import Article, Image
from newscrawl.records import content_fields, content_hash
from newscrawl.versions import diff
from newscrawl.versions import changes as diff_module
from newscrawl.versions.render import change_lines
from tests.conftest import HEUTE_MIRROR


def mirror_item(article_id: str) -> dict:
    return json.loads((HEUTE_MIRROR / "s" / f"{article_id}.expected.json").read_text(encoding="utf-8"))


BASE = mirror_item("120082094")  # headline, three paragraphs, lead image with a credit, one author, keywords


def edited(**changes) -> dict:
    item = copy.deepcopy(BASE)
    item.update(changes)
    return item


# -- what counts as a change ------------------------------------------------------------------------------

def cosmetic_variants():
    item = copy.deepcopy(BASE)
    yield "whitespace", {**item, "headline": "  Mobiles  Datenfeuerwerk\tvon 57\u00a0Millionen\nGigabyte ",
                         "body": [p.replace(" ", "  ") for p in item["body"]]}
    yield "invisible characters", {**item, "lead": item["lead"].replace("Spielereien", "Spiel\u00adereien\u200b")}
    yield "decomposed umlauts", {**item, "body": [p.replace("ü", "u\u0308") for p in item["body"]]}
    yield "empty paragraphs", {**item, "body": ["", *item["body"], "   "]}
    image = copy.deepcopy(item["lead_image"])
    image["url"] += "&utm_source=newsletter&fbclid=IwAR0x"
    yield "tracking parameters in the image URL", {**item, "lead_image": image}
    image = copy.deepcopy(item["lead_image"])
    image["url"] = image["url"].replace("rect=94%2C139%2C3794%2C2119&w=1280&auto=format",
                                        "auto=format&w=1280&rect=94%2C139%2C3794%2C2119&gclid=x")
    yield "query parameters in another order", {**item, "lead_image": image}
    yield "re-ordered keywords", {**item, "keywords": list(reversed(item["keywords"])) + [item["keywords"][0]]}
    yield "a canonical URL with tracking", {**item, "canonical_url": item["canonical_url"] + "?utm_medium=social"}
    yield "fetch metadata", {**item, "url": "https://heute.at/s/-120082094", "fetched_at": "2030-01-01T00:00:00+00:00",
                             "comment_count": 99, "field_sources": {}, "revision": 7, "changes": {"x": 1}}


@pytest.mark.parametrize("name,variant", list(cosmetic_variants()), ids=[n for n, _ in cosmetic_variants()])
def test_cosmetic_differences_are_no_change(name, variant):
    assert content_hash(variant) == content_hash(BASE)
    assert diff(BASE, variant) == {}


@pytest.mark.parametrize("field,value", [
    ("headline", "Mobiles Datenfeuerwerk von 58 Millionen Gigabyte"),
    ("body", BASE["body"] + ["Update um 18.15 Uhr: Apple äußerte sich."]),
    ("body", list(reversed(BASE["body"]))),  # the order of paragraphs is content
    ("authors", ["Mara Lindner", "Jana Stadler"]),
    ("authors", []),
    ("keywords", BASE["keywords"] + ["Meta"]),
    ("published", "2025-01-05T07:31:00+01:00"),
    ("lead", BASE["lead"] + " Heute: drei."),
    ("lead_image", None),
    ("lead_image", {**BASE["lead_image"], "url": BASE["lead_image"]["url"].replace("w=1280", "w=1024")}),
    ("lead_image", {**BASE["lead_image"], "credits": ["APA"]}),
    ("images", [{"url": "https://img.example/1.jpg", "caption": None, "alt": None, "credits": [], "credit_raw": None}]),
    ("galleries", [{"title": "Fotos", "size": 1, "entries": [{"position": 1, "image_url": "https://img.example/1.jpg",
                                                             "caption": "Eins", "credits": []}]}]),
])
def test_every_content_change_is_reported_for_its_field(field, value):
    changed = edited(**{field: value})
    assert content_hash(changed) != content_hash(BASE)
    assert list(diff(BASE, changed)) == [field]


def test_items_dicts_and_stored_documents_compare_alike():
    article = Article(**{k: v for k, v in BASE.items() if k not in ("lead_image",)},
                      lead_image=Image(**BASE["lead_image"]))
    assert content_hash(article) == content_hash(BASE)
    assert diff(article, BASE) == {} and diff(BASE, article) == {}
    stored = {**BASE, "key": "heute:120082094", "revision": 3, "first_seen": "x", "history": []}
    assert diff(stored, BASE) == {}


def test_content_fields_are_idempotent():
    once = content_fields(dict(cosmetic_variants())["whitespace"])
    assert content_fields(once) == once == content_fields(BASE)


# -- the diff's shape ---------------------------------------------------------------------------------------

def test_headline_old_to_new():
    assert diff(BASE, edited(headline="Neu"))["headline"] == {"old": BASE["headline"], "new": "Neu"}


def test_body_paragraph_added_removed_moved_and_edited_with_its_words():
    body = copy.deepcopy(BASE["body"])
    body[1] = body[1].replace("gestärkt", "deutlich gestärkt").replace("1000 Euro", "2000 Euro")
    body = [body[2], "Update um 18.15 Uhr: Das Urteil ist rechtskräftig.", body[1]]  # ¶1 gone, ¶2 edited and last
    change = diff(BASE, edited(body=body))["body"]
    assert change["added"] == [{"paragraph": 2, "text": "Update um 18.15 Uhr: Das Urteil ist rechtskräftig."}]
    assert change["removed"] == [{"paragraph": 1, "text": "Sonntag, 05. Jänner 2025"}]
    [edit] = change["edited"]
    assert (edit["paragraph"], edit["was"]) == (3, 2)
    assert edit["words"] == [
        {"at": 15, "new": "deutlich", "context": "Datenschutzvorfall bei Facebook"},
        {"at": 87, "old": "1000", "new": "2000", "context": "Schadenersatz von mindestens"},
    ]


def test_a_paragraph_moved():
    body = [BASE["body"][1], BASE["body"][2], BASE["body"][0]]
    assert diff(BASE, edited(body=body))["body"] == {"moved": [{"from": 1, "to": 3, "text": BASE["body"][0]}]}


def test_a_rewritten_paragraph_is_removed_and_added_not_edited():
    body = [BASE["body"][0], "Ganz anderer Text ohne Gemeinsamkeiten.", BASE["body"][2]]
    change = diff(BASE, edited(body=body))["body"]
    assert [p["paragraph"] for p in change["added"]] == [2] and [p["paragraph"] for p in change["removed"]] == [2]
    assert "edited" not in change


def test_lead_image_replaced_and_its_credit():
    image = {**BASE["lead_image"], "url": "https://img.example/neu.jpg", "credits": ["APA"], "credit_raw": "APA"}
    change = diff(BASE, edited(lead_image=image))["lead_image"]
    assert change["new"] == "https://img.example/neu.jpg" and change["old"].startswith("https://heute-at-prod-images")
    assert change["credits"] == {"added": ["APA"], "removed": ["Getty Images"]}
    assert change["credit_raw"] == {"old": "Getty Images", "new": "APA"}
    assert diff(BASE, edited(lead_image=None))["lead_image"]["new"] is None


def test_authors_and_keywords_added_and_removed():
    change = diff(BASE, edited(authors=["Jana Stadler"], keywords=BASE["keywords"][1:] + ["Meta"]))
    assert change["authors"] == {"added": ["Jana Stadler"], "removed": ["Mara Lindner"]}
    assert change["keywords"] == {"added": ["Meta"], "removed": ["Digital-Telegramm"]}
    swapped = diff(edited(authors=["A", "B"]), edited(authors=["B", "A"]))
    assert swapped == {"authors": {"order": {"old": ["A", "B"], "new": ["B", "A"]}}}


def test_gallery_slides_added_removed_and_edited():
    item = mirror_item("120053546")  # a photo gallery of the article's own
    other = copy.deepcopy(item)
    slides = other["galleries"][0]["entries"]
    slides[3]["caption"] = "Neue Bildunterschrift"  # a new caption: the same picture, edited
    slides[5]["credits"] = ["APA"]
    removed = slides.pop(7)
    change = diff(item, other)
    assert list(change) == ["galleries"]
    [gallery] = change["galleries"]["edited"]
    assert gallery["gallery"] == 1
    assert [s["image_url"] for s in gallery["slides"]["removed"]] == [content_fields(item)["galleries"][0]["entries"][7]["image_url"]]
    assert removed["caption"] in gallery["slides"]["removed"][0]["caption"]
    assert [sorted(e) for e in gallery["slides"]["edited"]] == [["caption", "image_url"], ["credits", "image_url"]]


def test_rendered_for_a_terminal():
    body = BASE["body"] + ["Update um 18.15 Uhr: Das Urteil ist rechtskräftig."]
    image = {**BASE["lead_image"], "url": "https://img.example/neu.jpg"}
    lines = change_lines(diff(BASE, edited(headline="Neu", body=body, lead_image=image, authors=["Jana Stadler"])))
    assert lines == [
        f'headline: "{BASE["headline"]}" → "Neu"',
        'body: + ¶4 "Update um 18.15 Uhr: Das Urteil ist rechtskräftig."',
        "authors: + Jana Stadler, - Mara Lindner",
        f"lead_image: {content_fields(BASE)['lead_image']['url']} → https://img.example/neu.jpg",
    ]


# -- bounded on any input ----------------------------------------------------------------------------------

def test_huge_bodies_are_compared_as_sets_and_cut_to_size():
    old = [f"Absatz {i} mit etwas Text." for i in range(5000)]
    new = old[:2500] + [f"Neuer Absatz {i}." for i in range(200)] + old[2600:]
    change = diff(edited(body=old), edited(body=new))["body"]
    assert change["compared"].startswith("as sets")
    assert len(change["added"]) == diff_module.MAX_ENTRIES and change["more"]["added"] == 200 - diff_module.MAX_ENTRIES
    assert len(change["removed"]) == diff_module.MAX_ENTRIES and change["more"]["removed"] == 100 - diff_module.MAX_ENTRIES


def test_long_paragraphs_and_many_edits_stay_within_the_word_budget():
    words = [f"wort{i}" for i in range(3000)]
    long_old, long_new = " ".join(words), " ".join(words[:1500] + ["neu"] + words[1500:])
    [edit] = diff(edited(body=[long_old]), edited(body=[long_new]))["body"]["edited"]
    assert "words" not in edit and edit["old"].endswith("…") and len(edit["old"]) == diff_module.MAX_TEXT
    many_old = [" ".join(f"w{p}x{i}" for i in range(1000)) for p in range(40)]
    many_new = [p + " ende" for p in many_old]
    edits = diff(edited(body=many_old), edited(body=many_new))["body"]["edited"]
    worded = [e for e in edits if "words" in e]
    assert len(edits) == 40 and 0 < len(worded) < 40  # the budget ran out part of the way
    assert sum(2 * 1000 + 1 for _ in worded) <= diff_module.MAX_WORD_BUDGET


def test_pairing_is_bounded_on_a_fully_rewritten_body():
    old = [f"alt {i} " + "x " * 20 for i in range(900)]
    new = [f"neu {i} " + "y " * 20 for i in range(900)]
    change = diff(edited(body=old), edited(body=new))["body"]
    assert change["more"]["added"] == 900 - diff_module.MAX_ENTRIES and "edited" not in change

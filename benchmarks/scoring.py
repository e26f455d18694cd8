"""Scoring of extracted articles against the shared corpora.

Labelled corpus (``../shared/corpus``): the definitions are those of its README, section "How extraction is
scored", so that figures from ``benchmarks/extraction.py`` are comparable with
``../shared/tools/score_extraction.py``:

- headline: 1 if equal to ``title`` after Unicode/quote/dash/whitespace/case normalisation, else 0
- authors_reference: F1 of the normalised name sets of ``authors`` (the reference scorer's "authors")
- authors: the same, with a byline that names no person read from ``source``: the labels put publications
  ("BBC News", "dpa") among the authors, newscrawl puts them in ``source`` (``authors`` holds people)
- published: 1 if within 60 s of the labelled instant, 0.5 if only the calendar day matches
- lead, body: bag-of-words F1 of the tokens (lead vs ``lead``; body paragraphs vs ``paragraphs``);
  body_precision and body_recall are that F1's two halves
- image_credits, image_captions: bag-of-words F1 over all credits / all captions on the page
  (images from ``images``, ``lead_image`` and every gallery's ``entries`` count)

A page's score for a field is only counted when its label has that field (headline and body always);
:func:`mean_scores` then averages each field over the pages that have it.

Snippet corpus (``../shared/corpus-snippets``), as ``../shared/tools/score_snippets.py`` scores it: the main
text is lead + body + subheadings; each ``with`` snippet found in it is a true positive, each one missing a
false negative, each ``without`` snippet found a false positive (:func:`snippet_counts`); precision, recall
and F1 come from the totals over the pages (:func:`prf`).

Everything here is a pure function of plain values, so it can be unit-tested without the corpus.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime

#: The scored fields, in table order.
FIELDS = ("headline", "authors", "authors_reference", "published", "lead", "body", "body_precision", "body_recall",
          "image_credits", "image_captions")

_SINGLE_QUOTES = re.compile(r"[\u2018\u2019\u201a\u201b\u2032`\u00b4]")
_DOUBLE_QUOTES = re.compile(r"[\u201c\u201d\u201e\u201f\u00ab\u00bb\u2033]")
_DASHES = re.compile(r"[\u2010-\u2015]")
_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"\w+")

#: Same instant: predicted and labelled dates at most this many seconds apart (README "published").
SAME_INSTANT_SECONDS = 60


def as_text(value) -> str:
    """Flatten an extracted value to text: ``None`` -> "", lists joined by spaces, a dict by its
    ``text`` (else ``paragraphs``), anything else ``str()``. Lets a body be a list of paragraphs or one string."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return " ".join(as_text(item) for item in value)
    if isinstance(value, dict):
        return as_text(value.get("text") or value.get("paragraphs") or "")
    return str(value)


def normalize(value) -> str:
    """The README's "Unicode/quote/dash/whitespace/case normalisation".

    NFKC, soft hyphens removed, typographic single quotes/primes/backticks -> ``'``, typographic double
    quotes/guillemets -> ``"``, Unicode dashes U+2010..U+2015 -> ``-``, whitespace runs -> one space,
    stripped, lower-cased. Non-strings are flattened with :func:`as_text` first.
    """
    text = value if isinstance(value, str) else as_text(value)
    text = unicodedata.normalize("NFKC", text or "").replace("\u00ad", "")
    text = _SINGLE_QUOTES.sub("'", text)
    text = _DOUBLE_QUOTES.sub('"', text)
    text = _DASHES.sub("-", text)
    return _SPACE.sub(" ", text).strip().lower()


def tokens(value) -> list[str]:
    """The word tokens (``\\w+`` runs) of the normalised text — the "tokens" of the README's bag-of-words F1."""
    return _WORD.findall(normalize(value))


def _precision_recall(predicted: Iterable[str], gold: Iterable[str]) -> tuple[float, float]:
    """Bag-of-words precision and recall; both 1 for two empty bags, 0 when either is empty."""
    pred, ref = Counter(predicted), Counter(gold)
    if not pred and not ref:
        return 1.0, 1.0
    common = sum((pred & ref).values())
    if not common:
        return 0.0, 0.0
    return common / sum(pred.values()), common / sum(ref.values())


def _f1(common: int, n_pred: int, n_gold: int) -> float:
    if not common:
        return 0.0
    precision, recall = common / n_pred, common / n_gold
    return 2 * precision * recall / (precision + recall)


def bag_f1(predicted: Iterable[str], gold: Iterable[str]) -> float:
    """Bag-of-words F1 (README "lead, body", "image_credits, image_captions"): tokens are counted with
    multiplicity; two empty bags score 1, one empty bag scores 0."""
    pred, ref = Counter(predicted), Counter(gold)
    if not pred and not ref:
        return 1.0
    return _f1(sum((pred & ref).values()), sum(pred.values()), sum(ref.values()))


def set_f1(predicted: Iterable[str], gold: Iterable[str]) -> float:
    """F1 of the normalised name sets (README "authors"): duplicates and empty names are ignored;
    two empty sets score 1, one empty set scores 0."""
    pred = {n for n in (normalize(x) for x in predicted if x) if n}
    ref = {n for n in (normalize(x) for x in gold if x) if n}
    if not pred and not ref:
        return 1.0
    if not pred or not ref:
        return 0.0
    return _f1(len(pred & ref), len(pred), len(ref))


def parse_instant(value) -> datetime | None:
    """An ISO 8601 string (``Z`` accepted) or a datetime as a datetime; ``None`` when empty or unparsable."""
    if not value:
        return None
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def date_score(predicted, gold) -> float | None:
    """README "published": 1 if within 60 s of the labelled instant, 0.5 if only the calendar day matches, else 0.

    ``None`` when the label has no (parsable) date, so the page is not counted for the field; 0 when the
    prediction is missing or unparsable. With UTC offsets on both sides the instants are compared and the
    calendar day is the label's day in the label's offset. When either side lacks an offset the instants
    are unknown, so the wall-clock times must be equal for 1 (0.5 for the same date) — as the reference scorer does.
    """
    ref, pred = parse_instant(gold), parse_instant(predicted)
    if ref is None:
        return None
    if pred is None:
        return 0.0
    if ref.tzinfo and pred.tzinfo:
        if abs((ref - pred).total_seconds()) <= SAME_INSTANT_SECONDS:
            return 1.0
        return 0.5 if ref.date() == pred.astimezone(ref.tzinfo).date() else 0.0
    if ref.replace(tzinfo=None) == pred.replace(tzinfo=None):
        return 1.0
    return 0.5 if ref.date() == pred.date() else 0.0


def byline(item: Mapping) -> list[str]:
    """The people an item credits, else the publication or agency it names in ``source``."""
    people = [a for a in item.get("authors") or [] if a]
    return people or ([item["source"]] if item.get("source") else [])


def collect_images(item: Mapping) -> list[Mapping]:
    """Every image of an extracted item (README "image_credits, image_captions"): ``images``, then
    ``lead_image`` (or ``image``), then every gallery's ``entries`` (or ``images``)."""
    found = list(item.get("images") or [])
    lead = item.get("lead_image") or item.get("image")
    if isinstance(lead, Mapping):
        found.append(lead)
    for gallery in item.get("galleries") or []:
        found.extend(gallery.get("entries") or gallery.get("images") or [])
    return found


def _credits_of(image: Mapping) -> list[str]:
    credits = image.get("credits") or []
    return [credits] if isinstance(credits, str) else list(credits)


def field_texts(item: Mapping, expected: Mapping) -> dict[str, tuple[str | None, str | None]]:
    """For every field the label has: ``(expected, extracted)`` as the text that is scored (authors
    joined by "; "). Fields the label lacks are absent — the same rule :func:`score_page` applies."""
    texts: dict[str, tuple[str | None, str | None]] = {
        "headline": (expected.get("title"), as_text(item.get("headline") or item.get("title")))}
    if expected.get("authors"):
        texts["authors"] = ("; ".join(expected["authors"]), "; ".join(str(a) for a in byline(item)))
        texts["authors_reference"] = ("; ".join(expected["authors"]),
                                      "; ".join(str(a) for a in item.get("authors") or [] if a))
    if parse_instant(expected.get("published")) is not None:
        texts["published"] = (str(expected["published"]), as_text(item.get("published")))
    if expected.get("lead"):
        texts["lead"] = (expected["lead"], as_text(item.get("lead")))
    texts["body"] = texts["body_precision"] = texts["body_recall"] = (
        " ".join(expected.get("paragraphs") or []), as_text(item.get("body")))
    images, gold_images = collect_images(item), expected.get("images") or []
    gold_credits = [c for im in gold_images for c in im.get("credits") or []]
    if gold_credits:
        texts["image_credits"] = (" ".join(gold_credits), " ".join(c for im in images for c in _credits_of(im) if c))
    gold_captions = [im["caption"] for im in gold_images if im.get("caption")]
    if gold_captions:
        texts["image_captions"] = (" ".join(gold_captions), " ".join(as_text(im.get("caption")) for im in images))
    return texts


def score_page(item: Mapping, expected: Mapping) -> dict[str, float]:
    """Scores of one extracted item against a label's ``expected`` block, for the fields the label has."""
    scores: dict[str, float] = {}
    for name, (gold, got) in field_texts(item, expected).items():
        if name == "headline":
            scores[name] = 1.0 if normalize(got) == normalize(gold) else 0.0
        elif name == "authors":
            scores[name] = set_f1(byline(item), expected["authors"])
        elif name == "authors_reference":
            scores[name] = set_f1(item.get("authors") or [], expected["authors"])
        elif name in ("body_precision", "body_recall"):
            precision, recall = _precision_recall(tokens(got), tokens(gold))
            scores[name] = precision if name == "body_precision" else recall
        elif name == "published":
            scores[name] = date_score(item.get("published"), expected["published"])
        else:
            scores[name] = bag_f1(tokens(got), tokens(gold))
    return scores


def mean_scores(pages: Iterable[Mapping[str, float]]) -> dict[str, tuple[float, int]]:
    """Per field: (mean score, number of pages scored), over the pages that have the field."""
    totals: dict[str, float] = {}
    counts: Counter = Counter()
    for page in pages:
        for name in FIELDS:
            if name in page:
                totals[name] = totals.get(name, 0.0) + page[name]
                counts[name] += 1
    return {name: (totals[name] / counts[name], counts[name]) for name in FIELDS if counts[name]}


# --- snippet corpus -------------------------------------------------------------------------------------------

_SPACE_ONLY = re.compile(r"\s+")


def snippet_norm(text: str | None) -> str:
    """NFC, whitespace runs as one space, stripped: ``score_snippets.py``'s normalisation."""
    return _SPACE_ONLY.sub(" ", unicodedata.normalize("NFC", text or "")).strip()


def main_text(item: Mapping | str | None) -> str:
    """The text a snippet is looked for in: lead, body and subheadings of an item (or a plain text)."""
    if isinstance(item, str) or item is None:
        return snippet_norm(item)
    body = item.get("body") or []
    parts = [item.get("lead") or ""] + ([body] if isinstance(body, str) else list(body))
    parts += list(item.get("subheadings") or [])
    return snippet_norm("\n".join(p for p in parts if p))


def snippet_counts(text: str, with_: Iterable[str], without: Iterable[str]) -> Counter:
    """tp/fn for the ``with`` snippets found/missing in ``text`` (already :func:`main_text`), fp/tn for the
    ``without`` snippets found/absent."""
    with_, without = list(with_), list(without)
    found = sum(1 for s in with_ if snippet_norm(s) in text)
    leaked = sum(1 for s in without if snippet_norm(s) in text)
    return Counter(tp=found, fn=len(with_) - found, fp=leaked, tn=len(without) - leaked)


def prf(counts: Mapping[str, int]) -> tuple[float, float, float]:
    """Precision, recall and F1 of snippet totals."""
    tp, fp, fn = counts.get("tp", 0), counts.get("fp", 0), counts.get("fn", 0)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1

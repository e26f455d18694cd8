"""Extraction quality and speed on the shared corpora: newscrawl and trafilatura side by side, in one run.

    python benchmarks/extraction.py [CORPUS ...] [--repeat K] [--worst N] [--json OUT] [--no-trafilatura]
                                    [--only-lang de,at,ch]

CORPUS is a labelled corpus (``<country>/<Publisher>_<date>.html.gz`` with a ``.json`` label beside each, as
``../shared/corpus``) or a snippet corpus (``index.json`` and ``pages/<id>.html.gz``, as
``../shared/corpus-snippets``); by default both, from the ``shared`` folder next to the repository. Neither is
part of the repository: a missing one is skipped with a message (exit 0).

Printed, as Markdown tables to paste into the README:

- labelled corpus: per field the mean score of ``newscrawl.extract.extract_article(html, url)`` and of
  trafilatura (called as ``../shared/tools/score_extraction.py`` calls it), scored by
  :mod:`benchmarks.scoring`, with body precision and recall beside its F1 and this issue's targets;
- snippet corpus: precision, recall and F1 of the main text (lead + body + subheadings) for both, as
  ``../shared/tools/score_snippets.py`` scores it (trafilatura: ``trafilatura.extract(html, url=url)``, text
  only), over all pages and over the German-language ones (regions DE, AT, CH);
- pages where newscrawl found no body;
- speed over all pages of all corpora, the extraction call only, newscrawl against ``trafilatura.extract``
  (text only), timed page by page in turn (alternating which goes first) so machine noise hits both alike:
  the first pass of this fresh process (imports done, nothing else warmed: what a short cron run pays) and
  the median of ``--repeat`` warm passes; plain lxml parsing is the ceiling.

Scores come from the first pass. ``--worst N`` then lists newscrawl's N worst pages per field and the snippet
pages with the most errors, for debugging. ``--no-trafilatura`` measures newscrawl alone.
"""

from __future__ import annotations

import argparse
import gc
import gzip
import json
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import lxml.html  # noqa: E402

from benchmarks.scoring import (FIELDS, field_texts, main_text, mean_scores, prf, score_page,  # noqa: E402
                                snippet_counts)
from newscrawl.extract import clear_caches, extract_article  # noqa: E402

Extractor = Callable[[str, str], object]
DEFAULT_CORPORA = (ROOT.parent / "shared" / "corpus", ROOT.parent / "shared" / "corpus-snippets")

#: Targets for newscrawl on the labelled corpus (mean score at least this): body and authors to reach, the
#: other fields not to fall below their figures before the main-text rewrite (2026-11-28).
TARGETS = {"headline": 0.8398, "authors": 0.88, "published": 0.9724, "lead": 0.8584, "body": 0.96,
           "image_credits": 0.5513, "image_captions": 0.6633}
#: Snippet corpus: newscrawl's F1 at least this, and at least trafilatura's, on all and on German pages.
SNIPPET_F1_TARGET = 0.93
GERMAN_REGIONS = frozenset({"DE", "AT", "CH"})
#: Warm speed: newscrawl at least this many times ``trafilatura.extract`` (text only).
SPEED_RATIO_TARGET = 2.0

#: trafilatura's settings, identical to ../shared/tools/score_extraction.py so the figures are comparable.
TRAFILATURA_DATE_PARAMS = {"extensive_search": True, "original_date": True, "outputformat": "%Y-%m-%dT%H:%M:%S%z",
                           "max_date": "2030-01-01", "min_date": "1995-01-01"}

NEWSCRAWL, TRAFILATURA = "newscrawl", "trafilatura"
MET, NOT_MET = "✓ met", "✗ not met"


@dataclass
class Page:
    kind: str  # "labelled" or "snippets"
    id: str
    url: str
    html: str
    label: dict  # the labelled corpus's ``expected`` block, or the snippet entry (with, without, region)


@dataclass
class Run:
    items: dict[str, list] = field(default_factory=dict)        # extractor -> output per page (first pass)
    errors: dict[str, list[str]] = field(default_factory=dict)  # extractor -> "page id: exception"
    speeds: dict[str, list[float]] = field(default_factory=dict)  # extractor -> pages/s of each pass


# --- corpora ------------------------------------------------------------------------------------------------

def load_labelled(corpus: Path, countries: set[str] | None) -> list[Page]:
    """The labelled pages, sorted by path; only the given country folders when ``countries`` is set."""
    pages = []
    for label_path in sorted(corpus.glob("*/*.json")):
        label = json.loads(label_path.read_text(encoding="utf-8"))
        if countries and label["country"] not in countries:
            continue
        html_path = label_path.with_name(label_path.name[: -len(".json")] + ".html.gz")
        html = gzip.decompress(html_path.read_bytes()).decode("utf-8")
        pages.append(Page("labelled", label["id"], label["url"], html, label["expected"]))
    return pages


def load_snippets(corpus: Path, countries: set[str] | None) -> list[Page]:
    """The snippet pages in index order, decoded as ``score_snippets.py`` decodes them; ``countries`` keeps the
    German-language regions when it names de, at or ch."""
    regions = {c.upper() for c in countries} if countries else None
    pages = []
    for entry in json.loads((corpus / "index.json").read_text(encoding="utf-8")):
        if regions and (entry.get("region") or "").upper() not in regions:
            continue
        raw = gzip.decompress((corpus / "pages" / f"{entry['id']}.html.gz").read_bytes())
        pages.append(Page("snippets", entry["id"], entry["url"], raw.decode("utf-8", "replace"), entry))
    return pages


def load(corpora: list[Path], countries: set[str] | None) -> tuple[list[Page], list[str]]:
    pages, notes = [], []
    for corpus in corpora:
        if (corpus / "index.json").is_file():
            found = load_snippets(corpus, countries)
        elif corpus.is_dir():
            found = load_labelled(corpus, countries)
        else:
            notes.append(f"extraction benchmark: corpus folder {corpus} not found, skipped")
            continue
        if not found:
            notes.append(f"extraction benchmark: no labelled pages in {corpus}"
                         + (f" for {','.join(sorted(countries))}" if countries else "") + ", skipped")
        pages += found
    return pages, notes


# --- extractors ---------------------------------------------------------------------------------------------

def trafilatura_extractors() -> tuple[dict[str, Extractor], str]:
    """``trafilatura.extract`` (text only: the speed reference and the snippet scorer's call) and, for the
    labelled corpus's fields, ``bare_extraction`` as the reference scorer calls it; with its version."""
    import trafilatura  # a runtime dependency of newscrawl (its second opinion)

    def text(html: str, url: str) -> str:
        return trafilatura.extract(html, url=url, include_comments=False) or ""

    def fields(html: str, url: str) -> dict:
        doc = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False,
                                          date_extraction_params=TRAFILATURA_DATE_PARAMS)
        if doc is None:
            return {}
        doc = doc.as_dict() if hasattr(doc, "as_dict") else doc
        return {"headline": doc.get("title"),
                "authors": [a.strip() for a in (doc.get("author") or "").split(";") if a.strip()],
                "published": doc.get("date"), "lead": doc.get("description"), "body": doc.get("text")}

    return {"text": text, "fields": fields}, getattr(trafilatura, "__version__", "?")


def lxml_parse(html: str, url: str) -> dict:
    """The ceiling: parsing the page with lxml and nothing else."""
    lxml.html.document_fromstring(html)
    return {}


def measure(pages: list[Page], extractors: dict[str, Extractor], passes: int) -> Run:
    """Every extractor on every page, ``passes`` times, interleaved page by page; only the calls are timed.
    The first pass is the process's first: no warm-up call before it."""
    names = list(extractors)
    run = Run({n: [] for n in names}, {n: [] for n in names}, {n: [] for n in names})
    for pass_no in range(passes):
        elapsed = dict.fromkeys(names, 0.0)
        if pass_no:
            clear_caches()  # newscrawl remembers gallery slides it read: no warm pass profits from an earlier one
        gc.collect()
        for i, page in enumerate(pages):
            for name in names[i % len(names):] + names[: i % len(names)]:
                t0 = time.perf_counter()
                try:
                    item = extractors[name](page.html, page.url)
                except Exception as exc:  # a raising extractor scores 0 on the page
                    item = None
                    if pass_no == 0:
                        run.errors[name].append(f"{page.id}: {type(exc).__name__}: {exc}")
                elapsed[name] += time.perf_counter() - t0
                if pass_no == 0:
                    run.items[name].append(item)
        for name in names:
            run.speeds[name].append(len(pages) / elapsed[name] if elapsed[name] else float("inf"))
    return run


# --- scoring and tables -------------------------------------------------------------------------------------

def score_labelled(pages: list[Page], items: list, errors: list[str]) -> list[dict[str, float]]:
    """Per-page field scores; output that cannot be scored scores like an empty item, and is an error."""
    scores = []
    for page, item in zip(pages, items):
        try:
            scores.append(score_page(item if isinstance(item, dict) else {}, page.label))
        except Exception as exc:
            errors.append(f"{page.id}: bad output: {type(exc).__name__}: {exc}")
            scores.append(score_page({}, page.label))
    return scores


def score_snippets(pages: list[Page], items: list) -> list[Counter]:
    return [snippet_counts(main_text(item if isinstance(item, (dict, str)) else None),
                           page.label["with"], page.label["without"]) for page, item in zip(pages, items)]


def _cell(text) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _row(cells) -> str:
    return "| " + " | ".join(cells) + " |"


def print_labelled(pages: list[Page], means: dict[str, dict], traf_label: str | None) -> None:
    countries = len({p.id.split("/")[0] for p in pages})
    print(f"### Labelled corpus: {len(pages)} pages ({countries} countries), newscrawl"
          + (f" vs {traf_label}" if traf_label else ""))
    print()
    head = ["field", "pages", "newscrawl"] + (["trafilatura"] if traf_label else []) + ["target (newscrawl)", "met"]
    print(_row(head))
    print("|" + "|".join(["---", "---:", "---:"] + (["---:"] if traf_label else []) + ["---", "---"]) + "|")
    for name in FIELDS:
        if name not in means[NEWSCRAWL]:
            continue
        value, count = means[NEWSCRAWL][name]
        row = [name, str(count), f"{value:.4f}"]
        if traf_label:
            row.append(f"{means[TRAFILATURA][name][0]:.4f}" if name in means[TRAFILATURA] else "")
        target = TARGETS.get(name)
        if target:  # compared as printed: a floor is the figure printed before
            row += [f"≥ {target:g}", MET if round(value, 4) >= target else NOT_MET]
        else:
            row += ["", ""]
        print(_row(row))
    print()
    print("authors: persons in `authors`, and for a byline that names no person the publication or agency in "
          "`source`; authors_reference: `authors` alone, as the reference scorer reads it (its labels list "
          "publications among the authors).")
    print()


def print_snippets(pages: list[Page], counts: dict[str, list[Counter]]) -> None:
    german = [i for i, p in enumerate(pages) if (p.label.get("region") or "").upper() in GERMAN_REGIONS]
    print(f"### Snippet corpus: {len(pages)} pages ({len(german)} German-language), main text = lead + body + "
          "subheadings")
    print()
    print(_row(["pages", "extractor", "precision", "recall", "F1", "target (newscrawl)", "met"]))
    print("|---|---|---:|---:|---:|---|---|")
    for scope, indexes in (("all", range(len(pages))), ("German-language (DE, AT, CH)", german)):
        if not indexes:
            continue
        f1s = {}
        for name, per_page in counts.items():
            total = sum((per_page[i] for i in indexes), Counter())
            precision, recall, f1s[name] = prf(total)
            target, met = "", ""
            if name == NEWSCRAWL:
                target = f"≥ {SNIPPET_F1_TARGET:.2f}" + (" and ≥ trafilatura" if TRAFILATURA in counts else "")
            print(_row([f"{scope} ({len(indexes)})", name, f"{precision:.4f}", f"{recall:.4f}", f"{f1s[name]:.4f}",
                        target, met]))
        ok = f1s[NEWSCRAWL] >= SNIPPET_F1_TARGET and f1s[NEWSCRAWL] >= f1s.get(TRAFILATURA, 0.0)
        print(_row(["", "newscrawl against the target", "", "", "", "", MET if ok else NOT_MET]))
    print()


def print_empty(pages: list[Page], items: list) -> None:
    empty = [p.id for p, item in zip(pages, items) if isinstance(item, dict) and not item.get("body")]
    print(f"newscrawl found no body on {len(empty)} of {len(pages)} pages"
          + (f": {', '.join(empty[:20])}{' …' if len(empty) > 20 else ''}" if empty else "") + ".")
    print()


def print_speed(pages: list[Page], speeds: dict[str, list[float]], warm_passes: int, items: list) -> None:
    print(f"### Speed: {len(pages)} pages, extraction call only, pages/s (one process)")
    print()
    def asked(page_items) -> list:
        return [i for i in page_items if isinstance(i, dict) and (i.get("extractor") or {}).get("second_opinion")]

    per_kind = []
    for kind in sorted({p.kind for p in pages}):
        mine = [item for page, item in zip(pages, items) if page.kind == kind]
        per_kind.append(f"{len(asked(mine))} of {len(mine)} {kind} pages")
    taken = sum(1 for i in asked(items) if i["extractor"]["second_opinion"] == "taken")
    print(f"newscrawl asked trafilatura for a second opinion on {len(asked(items))} of {len(pages)} pages "
          f"({', '.join(per_kind)}) and took its text on {taken}.")
    print()
    have_traf = TRAFILATURA in speeds
    print(_row(["pass", "newscrawl"] + (["trafilatura.extract (text)", "ratio", "target", "met"] if have_traf else [])
               + ["lxml parse only (ceiling)"]))
    print("|---|---:|" + ("---:|---:|---|---|" if have_traf else "") + "---:|")
    rows = [("first pass of a fresh process", lambda v: v[0])]
    if warm_passes:
        rows.append((f"warm (median of {warm_passes} passes)", lambda v: statistics.median(v[1:])))
    for label, pick in rows:
        ours = pick(speeds[NEWSCRAWL])
        cells = [label, f"{ours:.1f}"]
        if have_traf:
            theirs = pick(speeds[TRAFILATURA])
            ratio = ours / theirs
            warm = label.startswith("warm")
            cells += [f"{theirs:.1f}", f"{ratio:.2f}×", f"≥ {SPEED_RATIO_TARGET:g}×" if warm else "reported",
                      (MET if ratio >= SPEED_RATIO_TARGET else NOT_MET) if warm else ""]
        cells.append(f"{pick(speeds['lxml']):.1f}")
        print(_row(cells))
    print()


def print_worst(pages: list[Page], items: list, scores: list[dict[str, float]], n: int) -> None:
    print(f"### newscrawl: the {n} worst labelled pages per field")
    for name in FIELDS:
        worst = sorted((s[name], i) for i, s in enumerate(scores) if name in s and s[name] < 1.0)[:n]
        if not worst:
            continue
        print()
        print(f"**{name}**")
        print()
        print("| page | score | expected | newscrawl |")
        print("|---|---:|---|---|")
        for value, i in worst:
            gold, got = field_texts(items[i] if isinstance(items[i], dict) else {}, pages[i].label)[name]
            print(f"| {pages[i].id} | {value:.2f} | {_snip(gold)} | {_snip(got)} |")
    print()


def print_worst_snippets(pages: list[Page], items: list, n: int) -> None:
    def errors(i: int) -> int:
        counts = snippet_counts(main_text(items[i]), pages[i].label["with"], pages[i].label["without"])
        return counts["fn"] + counts["fp"]

    ranked = sorted(range(len(pages)), key=lambda i: -errors(i))
    print(f"### newscrawl: the {n} snippet pages with the most errors")
    print()
    for i in ranked[:n]:
        text = main_text(items[i])
        missed = [s for s in pages[i].label["with"] if main_text(s) not in text]
        leaked = [s for s in pages[i].label["without"] if main_text(s) in text]
        if missed or leaked:
            print(f"- {pages[i].id} {pages[i].url} — missed {[_snip(s, 40) for s in missed]}, "
                  f"leaked {[_snip(s, 40) for s in leaked]}")
    print()


def _snip(text: str | None, limit: int = 70) -> str:
    text = " ".join((text or "").split())
    if not text:
        return "∅"
    return _cell(text if len(text) <= limit else text[: limit - 1] + "…")


# --- main ---------------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("corpora", nargs="*", type=Path, help="labelled or snippet corpus folders "
                    "(default: ../shared/corpus and ../shared/corpus-snippets)")
    ap.add_argument("--only-lang", metavar="CC,CC", help="only these country folders / regions, e.g. de,at,ch")
    ap.add_argument("--worst", type=int, default=5, metavar="N", help="newscrawl's N worst pages (0: none)")
    ap.add_argument("--json", type=Path, metavar="OUT", help="write per-page scores to this file")
    ap.add_argument("--no-trafilatura", action="store_true", help="measure newscrawl (and lxml) only")
    ap.add_argument("--repeat", type=int, default=2, metavar="K", help="warm timing passes after the first (median)")
    args = ap.parse_args(argv)
    if args.repeat < 0:
        ap.error("--repeat must be at least 0")

    countries = {c.strip() for c in args.only_lang.split(",") if c.strip()} if args.only_lang else None
    pages, notes = load(args.corpora or [p for p in DEFAULT_CORPORA], countries)
    for note in notes:
        print(note)
    if not pages:
        print("extraction benchmark skipped: no corpus pages")
        return 0

    traf, traf_info = ({}, "trafilatura skipped (--no-trafilatura)") if args.no_trafilatura \
        else trafilatura_extractors()
    extractors: dict[str, Extractor] = {NEWSCRAWL: extract_article}
    if traf:
        extractors[TRAFILATURA] = traf["text"]
    extractors["lxml"] = lxml_parse
    run = measure(pages, extractors, 1 + args.repeat)
    if not traf:
        print(traf_info + " — newscrawl only.")
        print()

    labelled = [i for i, p in enumerate(pages) if p.kind == "labelled"]
    snippets = [i for i, p in enumerate(pages) if p.kind == "snippets"]
    summary: dict = {}
    rows: list[dict] = []
    lab_scores: list[dict[str, float]] = []
    if labelled:
        lab_pages = [pages[i] for i in labelled]
        outputs = {NEWSCRAWL: [run.items[NEWSCRAWL][i] for i in labelled]}
        if traf:  # the reference scorer's call, untimed
            outputs[TRAFILATURA] = []
            for page in lab_pages:
                try:
                    outputs[TRAFILATURA].append(traf["fields"](page.html, page.url))
                except Exception as exc:
                    outputs[TRAFILATURA].append({})
                    run.errors[TRAFILATURA].append(f"{page.id}: {type(exc).__name__}: {exc}")
        scores = {n: score_labelled(lab_pages, items, run.errors[n]) for n, items in outputs.items()}
        means = {n: mean_scores(s) for n, s in scores.items()}
        lab_scores = scores[NEWSCRAWL]
        print_labelled(lab_pages, means, f"trafilatura {traf_info}" if traf else None)
        print_empty(lab_pages, outputs[NEWSCRAWL])
        summary["labelled"] = {n: {f: round(m, 4) for f, (m, _) in means[n].items()} for n in means}
        rows += [{"id": p.id, **{n: scores[n][k] for n in scores}} for k, p in enumerate(lab_pages)]
    if snippets:
        snip_pages = [pages[i] for i in snippets]
        items = {n: [run.items[n][i] for i in snippets] for n in (NEWSCRAWL, TRAFILATURA) if n in run.items}
        counts = {n: score_snippets(snip_pages, it) for n, it in items.items()}
        print_snippets(snip_pages, counts)
        print_empty(snip_pages, items[NEWSCRAWL])
        summary["snippets"] = {
            n: dict(zip(("precision", "recall", "f1"), (round(x, 4) for x in prf(sum(c, Counter())))))
            for n, c in counts.items()}
        rows += [{"id": p.id, **{n: dict(counts[n][k]) for n in counts}} for k, p in enumerate(snip_pages)]
    print_speed(pages, run.speeds, args.repeat, run.items[NEWSCRAWL])
    errs = {n: e for n, e in run.errors.items() if e}
    if errs:
        print("Errors (scored as empty output): " + ", ".join(f"{n} {len(e)}" for n, e in errs.items())
              + "; details on stderr.")
        for n, e in errs.items():
            for line in e:
                print(f"{n} error {line}", file=sys.stderr)
    if args.worst > 0:
        if labelled:
            print_worst([pages[i] for i in labelled], [run.items[NEWSCRAWL][i] for i in labelled], lab_scores,
                        args.worst)
        if snippets:
            print_worst_snippets([pages[i] for i in snippets], [run.items[NEWSCRAWL][i] for i in snippets], args.worst)
    if args.json:
        summary["speed"] = {n: {"first_pass": round(v[0], 1), "passes": [round(x, 1) for x in v]}
                            for n, v in run.speeds.items()}
        args.json.write_text(json.dumps({"summary": summary, "pages": rows}, indent=1), encoding="utf-8")
        print(f"per-page scores written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

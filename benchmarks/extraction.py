"""Extraction quality and speed on the labelled corpus: newscrawl and trafilatura side by side, in one run.

    python benchmarks/extraction.py ../shared/corpus [--only-lang de,at,ch] [--worst 5] [--json scores.json]
                                                     [--no-trafilatura] [--repeat 3]

The corpus (``CORPUS_DIR/<country>/<Publisher>_<date>.html.gz`` with a ``.json`` label beside each, see its
README) is not part of the repository: without it the benchmark prints a skip message and exits 0.

Prints one Markdown table (pasteable into the README): per field the mean score of
``newscrawl.extract.extract_article(html, url)`` and of trafilatura (called exactly as
``../shared/tools/score_extraction.py`` calls it), scored by :mod:`benchmarks.scoring` with the corpus
README's definitions, the newscrawl target and whether it is met; then pages/s of the extraction call
alone for both, their ratio (target: newscrawl at least 5x trafilatura) and plain lxml parsing as the
ceiling. Every timing pass runs all extractors on page 1, then all on page 2, ... (rotating their order
from page to page) so machine noise hits them alike; ``--repeat K`` runs K passes and reports the median.
Scores come from the first pass. Then, for debugging, newscrawl's N worst pages per field.
Without trafilatura installed (``pip install -r requirements-bench.txt``) only newscrawl is measured.
"""

from __future__ import annotations

import argparse
import gc
import gzip
import json
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import lxml.html  # noqa: E402

from benchmarks.scoring import FIELDS, field_texts, mean_scores, score_page  # noqa: E402
from newscrawl.extract import clear_caches, extract_article  # noqa: E402

Extractor = Callable[[str, str], dict]

#: newscrawl's targets per field (mean score at least this).
TARGETS = {"headline": 0.95, "authors": 0.92, "published": 0.97, "lead": 0.90, "body": 0.95,
           "image_credits": 0.75, "image_captions": 0.85}
#: newscrawl's speed target: at least this many times trafilatura's pages/s.
SPEED_RATIO_TARGET = 5.0

#: trafilatura's settings, identical to ../shared/tools/score_extraction.py so the figures are comparable.
TRAFILATURA_DATE_PARAMS = {"extensive_search": True, "original_date": True, "outputformat": "%Y-%m-%dT%H:%M:%S%z",
                           "max_date": "2030-01-01", "min_date": "1995-01-01"}

NEWSCRAWL, TRAFILATURA, LXML = "newscrawl", "trafilatura", "lxml"
MET, NOT_MET = "✓ met", "✗ not met"


@dataclass
class Page:
    id: str
    url: str
    expected: dict
    html: str


def load_pages(corpus: Path, countries: set[str] | None) -> list[Page]:
    """The labelled pages, sorted by path; only the given country folders when ``countries`` is set."""
    pages = []
    for label_path in sorted(corpus.glob("*/*.json")):
        label = json.loads(label_path.read_text(encoding="utf-8"))
        if countries and label["country"] not in countries:
            continue
        html_path = label_path.with_name(label_path.name[: -len(".json")] + ".html.gz")
        html = gzip.decompress(html_path.read_bytes()).decode("utf-8")
        pages.append(Page(label["id"], label["url"], label["expected"], html))
    return pages


def trafilatura_extractor() -> tuple[Extractor | None, str]:
    """trafilatura wrapped as ``(html, url) -> item dict`` like the reference scorer, and its version;
    ``(None, reason)`` when it is not installed."""
    try:
        import trafilatura
    except ImportError as exc:
        return None, f"trafilatura is not installed ({exc}); `pip install -r requirements-bench.txt` to compare"

    def extract(html: str, url: str) -> dict:
        doc = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False,
                                          date_extraction_params=TRAFILATURA_DATE_PARAMS)
        if doc is None:
            return {}
        doc = doc.as_dict() if hasattr(doc, "as_dict") else doc
        return {"headline": doc.get("title"),
                "authors": [a.strip() for a in (doc.get("author") or "").split(";") if a.strip()],
                "published": doc.get("date"), "lead": doc.get("description"), "body": doc.get("text")}

    return extract, getattr(trafilatura, "__version__", "?")


def lxml_parse(html: str, url: str) -> dict:
    """The ceiling: parsing the page with lxml and nothing else."""
    lxml.html.document_fromstring(html)
    return {}


@dataclass
class Run:
    outputs: dict[str, list[dict]]  # extractor -> item per page, from the first pass
    errors: dict[str, list[str]]  # extractor -> "page id: exception" for calls that raised (first pass)
    speeds: dict[str, list[float]]  # extractor -> pages/s of each pass


def measure(pages: list[Page], extractors: dict[str, Extractor], repeat: int) -> Run:
    """Run every extractor on every page, ``repeat`` passes, interleaved page by page; time only the calls."""
    names = list(extractors)
    run = Run({n: [] for n in names}, {n: [] for n in names}, {n: [] for n in names})
    for name in names:  # warm-up (lazy imports, caches), untimed
        try:
            extractors[name](pages[0].html, pages[0].url)
        except Exception:
            pass
    for pass_no in range(repeat):
        elapsed = dict.fromkeys(names, 0.0)
        clear_caches()  # newscrawl remembers gallery slides it read: each pass starts without them
        gc.collect()
        for i, page in enumerate(pages):
            for name in names[i % len(names):] + names[: i % len(names)]:
                fn = extractors[name]
                t0 = time.perf_counter()
                try:
                    item = fn(page.html, page.url) or {}
                except Exception as exc:  # a raising extractor scores 0 on the page
                    item = {}
                    if pass_no == 0:
                        run.errors[name].append(f"{page.id}: {type(exc).__name__}: {exc}")
                elapsed[name] += time.perf_counter() - t0
                if pass_no == 0:
                    run.outputs[name].append(item)
        for name in names:
            run.speeds[name].append(len(pages) / elapsed[name] if elapsed[name] else float("inf"))
    return run


def score_all(pages: list[Page], items: list[dict], errors: list[str]) -> list[dict[str, float]]:
    """Per-page scores; output that cannot be scored (malformed) scores like an empty item, and is an error."""
    scores = []
    for page, item in zip(pages, items):
        try:
            scores.append(score_page(item if isinstance(item, dict) else {}, page.expected))
        except Exception as exc:
            errors.append(f"{page.id}: bad output: {type(exc).__name__}: {exc}")
            scores.append(score_page({}, page.expected))
    return scores


def _cell(text) -> str:
    """Text safe inside a Markdown table cell."""
    return " ".join(str(text).split()).replace("|", "\\|")


def snippet(text: str | None, limit: int = 70) -> str:
    text = " ".join((text or "").split())
    if not text:
        return "∅"
    return _cell(text if len(text) <= limit else text[: limit - 1] + "…")


def print_table(pages: list[Page], means: dict[str, dict], speeds: dict[str, float], corpus: Path,
                countries: set[str] | None, repeat: int, traf_label: str | None, note: str | None) -> None:
    with_traf = traf_label is not None
    scope = f"countries {','.join(sorted(countries))}" if countries else \
        f"{len({p.id.split('/')[0] for p in pages})} countries"
    print(f"### Extraction: newscrawl{' vs ' + traf_label if with_traf else ''} — {len(pages)} pages ({scope}), `{corpus}`")
    print()
    if note:
        print(f"> {note}")
        print()
    head = ["field", "pages", "newscrawl"] + (["trafilatura"] if with_traf else []) + ["target (newscrawl)", "met"]
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join(["---", "---:", "---:"] + (["---:"] if with_traf else []) + ["---", "---"]) + "|")
    for name in FIELDS:
        if name not in means[NEWSCRAWL]:
            continue
        value, count = means[NEWSCRAWL][name]
        row = [name, str(count), f"{value:.4f}"]
        if with_traf:
            row.append(f"{means[TRAFILATURA][name][0]:.4f}")
        row += [f"≥ {TARGETS[name]:.2f}", MET if value >= TARGETS[name] else NOT_MET]
        print("| " + " | ".join(row) + " |")
    timing = "pages/s, extraction call only" + (f" (median of {repeat} passes)" if repeat > 1 else "")
    row = [timing, str(len(pages)), f"{speeds[NEWSCRAWL]:.1f}"]
    if with_traf:
        ratio = speeds[NEWSCRAWL] / speeds[TRAFILATURA]
        row += [f"{speeds[TRAFILATURA]:.1f}", f"≥ {SPEED_RATIO_TARGET:g}× trafilatura", "see ratio"]
        print("| " + " | ".join(row) + " |")
        print("| " + " | ".join(["pages/s ratio newscrawl / trafilatura", "", f"{ratio:.2f}×", "1×",
                                 f"≥ {SPEED_RATIO_TARGET:g}×", MET if ratio >= SPEED_RATIO_TARGET else NOT_MET]) + " |")
    else:
        row += [f"≥ {SPEED_RATIO_TARGET:g}× trafilatura", "n/a (no trafilatura)"]
        print("| " + " | ".join(row) + " |")
    ceiling = ["pages/s, lxml parse only (ceiling)", str(len(pages)), f"{speeds[LXML]:.1f}"]
    print("| " + " | ".join(ceiling + ([""] if with_traf else []) + ["", ""]) + " |")
    print()


def print_worst(pages: list[Page], items: list[dict], scores: list[dict[str, float]], n: int) -> None:
    print(f"### newscrawl: the {n} worst pages per field")
    for name in FIELDS:
        ranked = sorted((s[name], page.id, i) for i, (page, s) in enumerate(zip(pages, scores)) if name in s)
        worst = [r for r in ranked if r[0] < 1.0][:n]
        print()
        if not ranked:
            continue
        if not worst:
            print(f"**{name}**: every page scores 1.")
            continue
        print(f"**{name}**")
        print()
        print("| page | score | expected | newscrawl |")
        print("|---|---:|---|---|")
        for value, page_id, i in worst:
            try:
                gold, got = field_texts(items[i] if isinstance(items[i], dict) else {}, pages[i].expected)[name]
            except Exception:
                gold, got = field_texts({}, pages[i].expected)[name][0], "(malformed output)"
            print(f"| {page_id} | {value:.2f} | {snippet(gold)} | {snippet(got)} |")
    print()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("corpus", type=Path, help="the labelled corpus folder, e.g. ../shared/corpus")
    ap.add_argument("--only-lang", metavar="CC,CC", help="only these country folders, e.g. de,at,ch")
    ap.add_argument("--worst", type=int, default=5, metavar="N", help="newscrawl's N worst pages per field (0: none)")
    ap.add_argument("--json", type=Path, metavar="OUT", help="write per-page scores to this file")
    ap.add_argument("--no-trafilatura", action="store_true", help="measure newscrawl (and lxml) only")
    ap.add_argument("--repeat", type=int, default=1, metavar="K", help="timing passes; the median is reported")
    args = ap.parse_args(argv)
    if args.repeat < 1:
        ap.error("--repeat must be at least 1")

    if not args.corpus.is_dir():
        print(f"extraction benchmark skipped: corpus folder {args.corpus} not found")
        return 0
    countries = {c.strip() for c in args.only_lang.split(",") if c.strip()} if args.only_lang else None
    pages = load_pages(args.corpus, countries)
    if not pages:
        print(f"extraction benchmark skipped: no labelled pages in {args.corpus}"
              + (f" for {','.join(sorted(countries))}" if countries else ""))
        return 0

    traf, traf_info = (None, "trafilatura skipped (--no-trafilatura)") if args.no_trafilatura else trafilatura_extractor()
    extractors: dict[str, Extractor] = {NEWSCRAWL: extract_article}
    if traf:
        extractors[TRAFILATURA] = traf
    extractors[LXML] = lxml_parse
    run = measure(pages, extractors, args.repeat)

    scored = [n for n in extractors if n != LXML]
    per_page = {n: score_all(pages, run.outputs[n], run.errors[n]) for n in scored}
    means = {n: mean_scores(per_page[n]) for n in scored}
    speeds = {n: statistics.median(run.speeds[n]) for n in extractors}

    notes = []
    if not traf:
        notes.append(traf_info + " — newscrawl only.")
    errs = ", ".join(f"{n} {len(run.errors[n])}" for n in scored)
    if any(run.errors[n] for n in scored):
        notes.append(f"Errors (scored 0 on every field): {errs}; details on stderr.")
    print_table(pages, means, speeds, args.corpus, countries, args.repeat,
                f"trafilatura {traf_info}" if traf else None, " ".join(notes) or None)
    for n in scored:
        for e in run.errors[n]:
            print(f"{n} error {e}", file=sys.stderr)
    if run.errors[LXML]:
        print(f"lxml could not parse {len(run.errors[LXML])} pages", file=sys.stderr)
    if args.worst > 0:
        print_worst(pages, run.outputs[NEWSCRAWL], per_page[NEWSCRAWL], args.worst)

    if args.json:
        summary = {n: {**{f: round(m, 4) for f, (m, _) in means[n].items()}, "pages": len(pages),
                       "errors": len(run.errors[n]), "pages_per_s": round(speeds[n], 1),
                       "pages_per_s_passes": [round(s, 1) for s in run.speeds[n]]} for n in scored}
        summary[LXML] = {"pages_per_s": round(speeds[LXML], 1), "pages_per_s_passes": [round(s, 1) for s in run.speeds[LXML]]}
        rows = [{"id": page.id, **{n: per_page[n][i] for n in scored}} for i, page in enumerate(pages)]
        args.json.write_text(json.dumps({"corpus": str(args.corpus), "summary": summary, "pages": rows}, indent=1),
                             encoding="utf-8")
        print(f"per-page scores written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Generate a heute.at-like mirror of N article pages for distributed tests, demos and benchmarks.

    python -m newscrawl.testing.generate_mirror OUT_DIR --pages 300 [--per-sitemap 100]

Each page is a real page of the bundled mirror (``tests/site/heute/s/``, 35–90 KB, each with a gallery) with
a new article id, headline and first paragraph, so every page extracts to a distinct article. As on the
site, the news-of-the-day galleries (slides linking to other articles) repeat from page to page, while a
photo gallery belongs to its article: its image URLs are made unique per generated page.
The folder gets ``sitemap.xml`` (an index) and rolling ``sitemap/sitemap_<n>.xml`` files, as on the site, and
is served by :func:`newscrawl.mirror.serve` (``/s/<slug>-<id>`` -> ``s/<id>.html``).
"""

from __future__ import annotations

import argparse
import html
import json
import shutil
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

SOURCE = Path(__file__).resolve().parent.parent.parent / "tests" / "site" / "heute"
TEMPLATE_IDS = ("100283517", "100243549", "120053546", "100170609")  # 80, 78, 36, 88 KB; galleries
FIRST_ID = 130_000_000
TOPICS = ("Wien", "Verkehr", "Wetter", "Politik", "Sport", "Wirtschaft", "Kultur", "Gesundheit")


def article_id(n: int) -> str:
    return str(FIRST_ID + n)


def _templates(source: Path) -> list[tuple[str, str, str, str, bool]]:
    out = []
    for tid in TEMPLATE_IDS:
        page = (source / "s" / f"{tid}.html").read_text(encoding="utf-8")
        expected = json.loads((source / "s" / f"{tid}.expected.json").read_text(encoding="utf-8"))
        photos = any(not e.get("linked_article_id") for g in expected["galleries"] for e in g["entries"])
        out.append((tid, page, expected["headline"], expected["body"][0][:40], photos))
    return out


def generate(out: str | Path, pages: int = 300, per_sitemap: int = 100, source: Path = SOURCE) -> list[str]:
    """Write the mirror into ``out``; returns the article ids, in order."""
    out = Path(out)
    (out / "s").mkdir(parents=True, exist_ok=True)
    (out / "sitemap").mkdir(exist_ok=True)
    if (source / "robots.txt").is_file():
        shutil.copy(source / "robots.txt", out / "robots.txt")
    templates = _templates(source)
    start = datetime(2025, 1, 1, 6, 0, tzinfo=timezone(timedelta(hours=1)))
    ids, entries = [], []
    for n in range(pages):
        tid, page, headline, first, photos = templates[n % len(templates)]
        new_id = article_id(n)
        topic = TOPICS[n % len(TOPICS)]
        new_headline = f"{topic} Nr. {n}: {headline}"
        new_first = f"Meldung {new_id} aus dem Ressort {topic}. {first}"
        body = page.replace(tid, new_id)
        if photos:  # this article's own photos: not the same images as on another generated page
            body = body.replace(".imgix.net/", f".imgix.net/{new_id}/")
        for old, new in ((headline, new_headline), (first, new_first)):
            body = body.replace(old, new)
            if (escaped := html.escape(old, quote=False)) != old:
                body = body.replace(escaped, html.escape(new, quote=False))
        (out / "s" / f"{new_id}.html").write_text(body, encoding="utf-8")
        ids.append(new_id)
        lastmod = (start + timedelta(minutes=37 * n)).isoformat()
        entries.append(f"  <url>\n    <loc>https://www.heute.at/s/{topic.lower()}-meldung-{n}-{new_id}</loc>\n"
                       f"    <lastmod>{lastmod}</lastmod>\n  </url>\n")
    chunks = [entries[i:i + per_sitemap] for i in range(0, len(entries), per_sitemap)] or [[]]
    index = ['<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n']
    for k, chunk in enumerate(chunks, start=1):
        (out / "sitemap" / f"sitemap_{k}.xml").write_text(
            '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            + "".join(chunk) + "</urlset>\n", encoding="utf-8")
        index.append(f"  <sitemap>\n    <loc>https://www.heute.at/sitemap/sitemap_{k}.xml</loc>\n  </sitemap>\n")
    index.append("</sitemapindex>\n")
    (out / "sitemap.xml").write_text("".join(index), encoding="utf-8")
    return ids


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", help="folder to write the mirror into")
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--per-sitemap", type=int, default=100)
    args = parser.parse_args(argv)
    ids = generate(args.out, args.pages, args.per_sitemap)
    print(f"{len(ids)} article pages in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

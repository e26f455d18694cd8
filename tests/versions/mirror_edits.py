"""Editors' changes to a copy of the heute mirror, made in the HTML and in its JSON-LD alike."""

import json
import re
from pathlib import Path

UPDATE = "Update um 18.15 Uhr: Meta kündigte an, das Urteil genau zu prüfen."


def page(mirror: Path, article_id: str) -> Path:
    return mirror / "s" / f"{article_id}.html"


def expected(mirror: Path, article_id: str) -> dict:
    return json.loads((mirror / "s" / f"{article_id}.expected.json").read_text(encoding="utf-8"))


def rewrite(path: Path, old: str, new: str, count: int | None = None) -> None:
    text = path.read_text(encoding="utf-8")
    found = text.count(old)
    assert found and (count is None or found == count), (path.name, old, found)
    path.write_text(text.replace(old, new), encoding="utf-8")


def add_update_paragraph(mirror, article_id):
    last = expected(mirror, article_id)["body"][-1]
    rewrite(page(mirror, article_id), f"{last}</p>", f'{last}</p>\n<p class="Paragraph_paragraph__nX4tS">{UPDATE}</p>', 1)


def change_headline(mirror, article_id, headline):
    old = expected(mirror, article_id)["headline"]
    rewrite(page(mirror, article_id), old, headline)  # <title>, og:/twitter:title, JSON-LD headline, <h1>


def replace_lead_image(mirror, article_id, new_name):
    url = expected(mirror, article_id)["lead_image"]["url"]
    name = re.search(r"/([0-9a-f-]{36})\.jpeg", url).group(1)
    rewrite(page(mirror, article_id), name, new_name)  # <img> src/srcset, og:image, JSON-LD image


def whitespace_only(mirror, article_id):
    item = expected(mirror, article_id)
    path = page(mirror, article_id)
    rewrite(path, f">{item['headline']}</h1>", f">\n   {item['headline'].replace(' ', '  ')}\n</h1>", 1)
    paragraph = item["body"][0]
    rewrite(path, f">{paragraph}</p>", f">  {paragraph.replace(' ', chr(10) + '   ', 3)}\t</p>", 1)


def cosmetic_only(mirror, article_id):
    """Keywords in another order, a tracking parameter on the lead image's URL: what the hash must not see."""
    item = expected(mirror, article_id)
    path = page(mirror, article_id)
    keywords = ", ".join(item["keywords"])
    rewrite(path, keywords, ", ".join(reversed(item["keywords"])))
    name = re.search(r"/([0-9a-f-]{36})\.jpeg", item["lead_image"]["url"]).group(1)
    text = path.read_text(encoding="utf-8")
    head, sep, rest = text.partition('<script type="application/ld+json">')
    ld, end, tail = rest.partition("</script>")
    tracked = f"{name}.jpeg?utm_source=newsletter&"
    assert f"{name}.jpeg?" in head + tail and f"{name}.jpeg?" in ld
    path.write_text(head.replace(f"{name}.jpeg?", tracked + "amp;") + sep + ld.replace(f"{name}.jpeg?", tracked)
                    + end + tail.replace(f"{name}.jpeg?", tracked + "amp;"), encoding="utf-8")

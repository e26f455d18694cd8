"""Turn the layers' candidates into one :class:`~newscrawl.items.Article`, recording each field's source."""

from __future__ import annotations

import re
from bisect import bisect_left
from datetime import datetime, timedelta


from ..items import Article, Gallery, GalleryEntry, Image
from .dates import parse_date, to_iso
from .document import Page, clean_text, split_url
from .dom.people import clean_name, is_person_name, is_single_name, name_kind, split_names
from .merge import Candidates, fingerprint
from .structured import unescape_text
from .sites import Site

TEXT_FIRST = ("site", "html", "jsonld", "meta", "text")
DATA_FIRST = ("site", "jsonld", "meta", "html", "text")
# Voting weights when sources disagree, set from how often each source was right per field on the labelled
# corpus of real pages (benchmarks/extraction.py); a value several sources agree on adds their weights.
WEIGHTS = {
    "headline": {"jsonld": 1.0, "meta": 0.6, "html": 0.3},
    "lead": {"html": 0.87, "meta": 0.82, "jsonld": 0.76},
    "authors": {"jsonld": 1.0, "meta": 0.8, "html": 0.7},
    "published": {"jsonld": 1.0, "meta": 0.9, "html": 0.45, "text": 0.3},
}
TITLE_SEPARATORS = re.compile(r"\s+[|\-–—:·»/]{1,2}\s+|\s*[|ㅣ｜]\s*")
BULLET = re.compile(r"^[➤•▶►▸‣◦■□●○–—-]\s*")
SAME_INSTANT = timedelta(seconds=60)
HAS_TIME = re.compile(r"\d{1,2}:\d{2}|T\d{2}|\d{1,2}h\d{2}|\b(?:Uhr|vor|ago|gestern|heute)\b", re.IGNORECASE)
NOT_A_NAME = re.compile(r"^\(|\b(?:Image|Photo|Foto|Bild)\s*:|^[a-z0-9]+(?:-[a-z0-9]+)+$|^https?://")
HOME_CRUMBS = frozenset({"home", "startseite", "start", "news", "nachrichten", "homepage", "übersicht"})
# Site-wide share images (logos, fallbacks) that structured data offers when an article has no image.
PLACEHOLDER_IMAGE = re.compile(r"(?:fallback|placeholder|default|logo|dummy|no-?image)[^/]*$", re.IGNORECASE)


def article(page: Page, cands: Candidates, site: Site, fetched_at: datetime) -> Article:
    art = Article(url=page.url, site=site.NAME, fetched_at=to_iso(fetched_at))
    sources = art.field_sources

    def put(field: str, chosen, convert=lambda v: v) -> None:
        if chosen is None:
            return
        value = convert(chosen[0])
        if value not in (None, "", [], {}):
            setattr(art, field, value)
            sources[field] = public_source(chosen[1])

    # Any page can declare any canonical URL: one on another publisher's host (Site.may_claim) is only a
    # claim, kept as canonical_claim; the canonical, and with it the id and the record key, is then the page's
    # own (another candidate on its host, else the fetched URL, filled in by the normalise pipeline).
    declared = cands.choose("canonical_url", ("meta", "jsonld"))
    if declared and not site.may_claim(declared[0], page.url):
        put("canonical_claim", declared, _http_url)
        cands.transform("canonical_url", lambda url: url if site.may_claim(url, page.url) else None)
    put("canonical_url", cands.choose("canonical_url", ("meta", "jsonld")), _http_url)
    art.article_id = site.article_id(art.canonical_url) or site.article_id(page.url)
    if art.article_id:
        sources["article_id"] = "meta" if site.article_id(art.canonical_url) else "html"
    _strip_site_suffixes(cands, split_url(page.url).hostname or "")
    put("headline", cands.choose("headline", WEIGHTS["headline"]))
    put("kicker", cands.choose("kicker", TEXT_FIRST))
    put("section", cands.choose("section", DATA_FIRST))
    if not art.section and (crumbs := cands.first("breadcrumb")):
        art.section = next((c for c in crumbs[0] if c.casefold() not in HOME_CRUMBS), None)
        if art.section:
            sources["section"] = public_source(crumbs[1])
    put("lead", cands.choose("lead", WEIGHTS["lead"]))
    # A standfirst shown above the text may be read into it too; a description copied from the first
    # paragraph (meta, JSON-LD) is no reason to cut the text.
    shown_lead = art.lead if sources.get("lead") == "html" else None
    put("body", cands.choose("body", TEXT_FIRST), lambda ps: _body(ps, shown_lead, art.headline))
    if not art.body and (text := cands.first("body_text")):
        art.body = [p for p in (unescape_text(x) for x in text[0].split("\n")) if p]
        sources["body"] = text[1]
    put("subheadings", cands.choose("subheadings", TEXT_FIRST))
    _people(cands, site, art)
    _dates(cands, art, fetched_at, site.TIMEZONE)
    put("language", cands.choose("language", ("meta", "jsonld", "html")), _language)
    put("keywords", cands.choose("keywords", DATA_FIRST), _unique)
    _images(cands, art)
    put("galleries", cands.first("galleries", ("site", "html")), _galleries)
    put("comment_count", cands.choose("comment_count", DATA_FIRST), int)
    return art


def _http_url(value: str) -> str | None:
    value = clean_text(value)
    return value if split_url(value).scheme in ("http", "https") else None


def _strip_site_suffixes(cands: Candidates, host: str) -> None:
    """Titles often read "Headline | Site" or "Headline - Section": cut such a suffix when another source has
    the bare headline, or when the suffix names the site (``og:site_name`` or the host name)."""
    site_names = {fingerprint(v) for v, _ in cands.all("site_name")}
    site_names |= {part for part in host.lower().split(".") if len(part) > 3 and part not in ("www", "com", "news")}
    site_names.discard("")
    found = cands.all("headline")
    keys = [fingerprint(v) for v, _ in found]
    cands._by_field["headline"] = [
        (_strip_suffix(v, {k for k, (_, other) in zip(keys, found) if other != s and k}, site_names), s)
        for v, s in found]


def _strip_suffix(title: str, others: set[str], site_names: set[str]) -> str:
    """``title`` without its suffix from the rightmost separator where the part before it is one of
    ``others`` (fingerprints of the other sources' headlines) or the part after it names the site.

    Linear in the title: a fingerprint is the title's words joined by single spaces, so the fingerprint of
    the part before (after) a separator is the join of the fingerprints of the pieces before (after) it, and
    is never built per separator (that was quadratic: a 300 KB title full of " - " took minutes).
    """
    seps = list(TITLE_SEPARATORS.finditer(title))
    if not seps:
        return title
    # The pieces in order, segment, separator, segment, ...: (fingerprint, joined to the piece before it
    # without a space). "ㅣ" is a letter: a separator can hold a word, glued to the words beside it.
    cuts = [0, *(pos for m in seps for pos in (m.start(), m.end())), len(title)]
    pieces = [(fingerprint(title[a:b]), 0 < a < b and title[a - 1].isalnum() and title[a].isalnum())
              for a, b in zip(cuts, cuts[1:])]
    # Length of the fingerprint of the part before each separator, and of the whole title.
    before, length, parts = [], 0, []
    for i, (key, glued) in enumerate(pieces):
        if key:
            gap = "" if glued or not parts else " "
            parts.append(gap + key)
            length += len(gap) + len(key)
        if i % 2 == 0:  # the segment before separator i // 2
            before.append(length)
    whole = "".join(parts)
    heads = {len(k) for k in others if whole.startswith(k)}  # "k == part before a separator" is a length test
    # The part after a separator grows leftwards: a site name that it holds and that the part after the next
    # separator did not starts among the new pieces, within the longest name's length of them.
    reach = max(map(len, site_names), default=0) + 1
    tail, tail_solid, tail_glued = "", "", False
    for j in range(len(seps) - 1, -1, -1):
        window, window_solid = tail, tail_solid
        for key, glued in reversed(pieces[2 * j + 2: 2 * j + 4]):  # segment j + 1 and separator j + 1
            if key:
                window = key + ("" if tail_glued or not window else " ") + window
                window_solid = key.replace(" ", "") + window_solid
                tail_glued = glued
        if any(name in window or name in window_solid for name in site_names) or before[j] in heads:
            return clean_text(title[:seps[j].start()])
        tail, tail_solid = window[:reach], window_solid[:reach]
    return title


def public_source(source: str) -> str:
    """Site modules read the page's markup: report their proposals as ``html``."""
    return "html" if source == "site" else source


def _body(paragraphs: list[str], lead: str | None, headline: str | None = None) -> list[str]:
    out = [BULLET.sub("", p).strip() for p in paragraphs]
    out = [p for p in out if p]
    for repeated in (headline, lead):  # a text that starts with the headline (trafilatura's does), the standfirst
        # (a text of one paragraph keeps it: the description repeats it)
        if len(out) > 1 and repeated and fingerprint(out[0]) == fingerprint(repeated):
            out = out[1:]
    return out


def _unique(values: list[str]) -> list[str]:
    seen, out = set(), []
    for v in values:
        if (k := fingerprint(v)) and k not in seen:
            seen.add(k)
            out.append(v)
    return out


def _language(value: str) -> str | None:
    value = clean_text(value).replace("_", "-").split("-")[0].lower()
    return value if 2 <= len(value) <= 3 and value.isalpha() else None


def _people(cands: Candidates, site: Site, art: Article) -> None:
    """Authors are persons; a publication, newsroom or agency in the byline becomes the ``source``.

    Structured data often packs several people into one string ("A and B", "A und B, dpa") and names the
    publication itself, an image credit or a URL slug as the author; bylines add places ("Frankfurt"),
    e-mail addresses and sign-offs ("(obe)"). Persons come from the most trusted source that names any
    (:data:`WEIGHTS`); the first organisation other than the page's own publication, else the publication,
    is the source when nothing names one explicitly ("Quelle: APA", a site module).
    """
    publishers = {fingerprint(v) for v, _ in cands.all("site_name")}
    publishers |= {fingerprint(n) for v, _ in cands.all("publisher") for n in v}
    publishers.discard("")
    ranked = sorted(cands.all("authors"), key=lambda c: -WEIGHTS["authors"].get(c[1], 0.5))
    chosen = cands.choose("authors", WEIGHTS["authors"])
    if chosen is not None:
        ranked.remove(chosen)
        ranked.insert(0, chosen)
    people: list[str] = []
    people_source = None
    orgs: list[tuple[str, str]] = []  # (name, source) of publications, newsrooms and agencies
    mapped: list[str | None] = []  # names the site module maps to a source (None: no source)
    candidates = ranked + [(v, "html") for v, _ in cands.all("byline_other")] \
        + [(v, "jsonld-org") for v, _ in cands.all("source_orgs")]
    for value, src in candidates:
        found = []
        # "Le Figaro et AFP" is one credit: an unsplit value that names no person stays whole.
        whole = clean_name(value[0]) if len(value) == 1 and not any(map(is_person_name, split_names(value[0]))) \
            else None
        for name in (clean_name(n) for raw in value for n in split_names(raw)):
            key = name.casefold()
            if key in site.SOURCES:
                mapped.append(site.SOURCES[key])
                continue
            kind = "org" if src == "jsonld-org" else name_kind(name, publishers)
            if kind is None and src == "jsonld" and is_single_name(name):
                kind = "person"  # a JSON-LD Person named by one word ("Cooper", a blogger's handle)
            if kind == "person" and not NOT_A_NAME.search(name):
                found.append(name)
            elif kind == "org":
                orgs.append((whole or name, "jsonld" if src == "jsonld-org" else src))
        if found and not people and src != "jsonld-org":
            people, people_source = list(dict.fromkeys(found)), src
    if people:
        art.authors = people
        art.field_sources["authors"] = public_source(people_source)
    explicit = cands.choose("source", DATA_FIRST)
    if explicit:
        art.source, art.field_sources["source"] = explicit[0], public_source(explicit[1])
    elif any(mapped):
        art.source, art.field_sources["source"] = next(m for m in mapped if m), "html"
    elif orgs and not (mapped and not people):  # a site that calls its own byline no source is heard
        agencies = [o for o in orgs if fingerprint(o[0]) not in publishers]
        art.source, source = (agencies or orgs)[0]
        art.field_sources["source"] = public_source(source)


def _dates(cands: Candidates, art: Article, fetched_at: datetime, tz=None) -> None:
    """Each date by agreement between sources; shown in the site's time zone when the site has one."""
    for field in ("published", "modified"):
        found: list[tuple[str, datetime, str]] = []
        for raw, source in cands.all(f"{field}_raw"):
            if (dt := parse_date(raw, now=fetched_at)) is not None:
                found.append((raw, dt, source))
        found.extend((raw, dt, source) for (raw, dt), source in cands.all(f"{field}_parsed"))
        if not found:
            continue
        weights = WEIGHTS["published"]
        # A bare date ("2025-11-03") says nothing about the hour: it supports exact times on its day but
        # never outvotes them. Support is looked up (each source's exact times sorted, bare dates by day), not
        # counted by comparing every candidate with every other: a page can hold thousands of <time>s.
        timed = [bool(HAS_TIME.search(raw)) for raw, _, _ in found]
        instants: dict[str, list[datetime]] = {}
        days: dict = {}
        for (raw, d, s), has_time in zip(found, timed):
            if has_time:
                instants.setdefault(s, []).append(d)
            else:
                days.setdefault(d.date(), set()).add(s)
        for times in instants.values():
            times.sort()
        exact = [f for f, has_time in zip(found, timed) if has_time] or found

        def rank(entry):
            support = sorted(s for s, times in instants.items() if _near(times, entry[1]))
            day = sorted(days.get(entry[1].date(), ()))
            return (-sum(weights.get(s, 1.0) for s in support) - 0.5 * sum(weights.get(s, 1.0) for s in day),
                    -weights.get(entry[2], 1.0))

        raw, dt, source = min(exact, key=rank)
        setattr(art, field, to_iso(dt.astimezone(tz) if tz else dt))
        setattr(art, f"{field}_raw", raw)
        art.field_sources[field] = art.field_sources[f"{field}_raw"] = public_source(source)
    if art.modified and art.published and art.modified < art.published:
        art.modified = art.modified_raw = None
        art.field_sources.pop("modified", None)
        art.field_sources.pop("modified_raw", None)


def _near(times: list[datetime], when: datetime) -> bool:
    """Whether the sorted ``times`` hold one within :data:`SAME_INSTANT` of ``when``."""
    i = bisect_left(times, when - SAME_INSTANT)
    return i < len(times) and times[i] <= when + SAME_INSTANT


def _same_image(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return False
    pa, pb = split_url(a), split_url(b)
    return pa.path == pb.path and (pa.hostname or "") == (pb.hostname or "")


def _image(d: dict) -> Image:
    return Image(url=d.get("url"), caption=d.get("caption"), alt=d.get("alt"),
                 credits=list(d.get("credits") or []), credit_raw=d.get("credit_raw"))


def _images(cands: Candidates, art: Article) -> None:
    from .credits import split_credits

    figures = [dict(f) for v, _ in cands.all("figures") for f in v]
    structured = [v for v, s in cands.all("lead_image") if not PLACEHOLDER_IMAGE.search(v.get("url") or "")]
    # The lead image is a figure above the body; a structured-data image shown further down is an
    # inline image, not a lead image.
    lead = next((fig for fig in figures if fig.get("is_lead")), None)
    source = "html"
    inline = any(_same_image(fig["url"], s.get("url")) for fig in figures for s in structured[:1])
    if lead is None and structured and not inline:
        lead, source = dict(structured[0]), next(s for v, s in cands.all("lead_image") if v is structured[0])
    if lead is not None:
        for s in structured:  # fill what the figure lacks from structured data about the same image
            if lead is s or not (_same_image(lead.get("url"), s.get("url")) or lead is structured[0]):
                continue
            for key in ("caption", "alt", "credit_raw"):
                lead[key] = lead.get(key) or s.get(key)
        if lead.get("credit_raw") and not lead.get("credits"):
            lead["credits"] = split_credits(lead["credit_raw"])
        art.lead_image = _image(lead)
        art.field_sources["lead_image"] = source
    if index := cands.first("image_index"):  # captions and credits that JSON-LD gives for page images
        for image in [lead, *figures] if lead is not None else figures:
            if (known := index[0].get(split_url(image.get("url") or "").path)) is not None:
                image["caption"] = image.get("caption") or known.get("caption")
                if not image.get("credits") and known.get("credit_raw"):
                    image["credit_raw"] = known["credit_raw"]
                    image["credits"] = split_credits(known["credit_raw"])
        if lead is not None:
            art.lead_image = _image(lead)
    art.images = [_image(f) for f in figures if f is not lead]
    if art.images:
        art.field_sources["images"] = "html"


def _galleries(galleries: list[dict]) -> list[Gallery]:
    return [
        Gallery(title=g.get("title"), size=g.get("size"),
                entries=[GalleryEntry(**{k: v for k, v in e.items() if k in GalleryEntry.__dataclass_fields__})
                         for e in g["entries"]])
        for g in galleries
    ]

"""Authors: person names from bylines near the article text, and what kind of name a byline holds.

:func:`name_kind` tells a person from a publication, newsroom or agency (which belongs in ``source``) and from
what is no name at all (an e-mail address, a place after the name); :mod:`..assemble` decides with it.
"""

from __future__ import annotations

import re

from ..credits import strip_credit_prefix
from ..document import clean_text
from ..merge import fingerprint
from .scan import Scan, within
from .vocabulary import DATE_WORDS, text_without

# "By", "Von", "Par", ... before the names.
BY_PREFIX = re.compile(r"^(?:von|by|par|por|di|door|af|av|text|texto|autor(?:in)?|author|written by|redaktion)"
                       r"\s*[:\-]?\s+", re.IGNORECASE)
# Separators between names: punctuation and "and" in the languages of the sites we see most.
NAME_SPLIT = re.compile(r"\s*(?:,|;|&|\||\s(?:und|and|AND|UND|sowie|og|och|et|y|e|i|ve|și|és)\s)\s*")
# A word of a name: letters, apostrophes, hyphens, an initial's dot.
NAME_WORD = re.compile(r"^[^\W\d_][^\W\d_'’\-.]*(?:['’\-.][^\W\d_]*)*\.?$")
# Lower-case particles inside names ("van", "de", "al", "bin").
PARTICLES = frozenset("van von der den de da di del della du le la al bin ibn zu ter ten y e".split())
# A Chinese, Japanese or Korean personal name: two to five characters, family name maybe set apart.
_CJK = "\u4e00-\u9fff\u3040-\u30ff\uac00-\ud7af"
CJK_PERSON = re.compile(f"^[{_CJK}]{{1,3}} ?[{_CJK}]{{1,3}}$")
# What follows a name without being part of it: a sign-off in brackets ("Elena Oberholzer (obe)"), a job
# title after a CJK name ("신현주 기자": reporter).
SIGN_OFF = re.compile(r"\s*\((?:[a-zäöüß]{2,5}|[A-ZÄÖÜ]{2,5})\)$"
                      r"|\s*(?:기자|記者|记者|特派員|特派员|편집위원|논설위원)$")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
DOMAIN = re.compile(r"(?:^|[\s(])(?:www\.)?[\w-]+\.(?:[\w-]+\.)*[a-z]{2,6}(?:$|[\s)/])", re.IGNORECASE)
ACRONYM = re.compile(r"^[A-ZÄÖÜ]{2,6}(?:[-/][A-Za-zÄÖÜäöü]{2,6})?$")  # AFP, dpa-AFX, APA/red
# Words (or ends of compound words) that name a newsroom, an agency or a publication, not a person.
ORG_WORDS = ("redaktion", "agentur", "agenturen", "agency", "agencies", "presse", "press", "nachrichten", "news",
             "online", "zeitung", "newsroom", "staff", "team", "desk", "media", "medien", "verlag", "editorial",
             "wire", "service", "associated", "reuters")
# The world's news agencies, which bylines write in lower case as often as not.
AGENCIES = frozenset("dpa apa afp ap reuters sid kna epd ddp ansa efe sda ats belga anp tass xinhua pap ctk mti ana "
                     "anadolu kyodo yonhap bloomberg upi ips dts".split())


def split_names(text: str) -> list[str]:
    text = BY_PREFIX.sub("", clean_text(text))
    return [n for n in (clean_text(x) for x in NAME_SPLIT.split(text)) if n]


def is_person_name(name: str) -> bool:
    """Two to four capitalised words (initials allowed, particles such as "van" between), in any script
    with capitals; or a Chinese, Japanese or Korean name of two to five characters."""
    if not 2 <= len(name) <= 60 or any(ch.isdigit() for ch in name):
        return False
    if CJK_PERSON.match(name):
        return True
    words = [w for w in name.split() if w not in PARTICLES]
    return 2 <= len(words) <= 4 and all(w[0].isupper() and NAME_WORD.match(w) for w in words) \
        and not _org_words(name)


# One-word author names that name nobody.
NOT_PERSONS = frozenset("admin administrator root webmaster editor redaktion unknown anonymous guest user "
                        "staff team".split())


def is_single_name(name: str) -> bool:
    """One word that can be a person's name or handle (not "admin" or "unknown")."""
    return " " not in name and 2 <= len(name) <= 30 and name.casefold() not in NOT_PERSONS \
        and bool(NAME_WORD.match(name))


def _org_words(name: str) -> bool:
    return any(w.endswith(ORG_WORDS) for w in name.casefold().replace("-", " ").split())


def clean_name(name: str) -> str:
    """A byline name without "By" or "Quelle:", a sign-off in brackets or a job title."""
    return clean_text(SIGN_OFF.sub("", strip_credit_prefix(BY_PREFIX.sub("", clean_text(name)))))


def name_kind(name: str, publishers: set[str]) -> str | None:
    """"person", "org" (a publication, newsroom or agency) or None (an e-mail address, a place, a word).

    ``publishers`` are the fingerprints (:func:`~newscrawl.extract.merge.fingerprint`) of the page's own
    names (``og:site_name``, the JSON-LD publisher).
    """
    if not name or len(name) > 80 or EMAIL.search(name):
        return None
    if fingerprint(name) in publishers or DOMAIN.search(name) or ACRONYM.match(name) \
            or name.casefold() in AGENCIES:
        return "org"
    if is_person_name(name):
        return "person"
    if _org_words(name) or len(name.split()) > 1:
        return "org"
    return None  # one word that is no known name: a place ("Frankfurt"), a section ("Nachrichten")


def authors(scan: Scan, add) -> None:
    found: dict[str, bool] = {}  # name -> is a person's, in the order first found (a set: pages list thousands)
    area = scan.content_root.getparent() if scan.content_root is not None else None
    for el in scan.bylines:
        if area is not None and not within(el, area) and not _before(el, scan):
            continue  # the byline of a teaser further down the page
        name_els = el.xpath(".//*[@itemprop='name']") or _name_leaves(el) or [el]
        for name_el in name_els:
            for name in split_names(text_without(name_el, DATE_WORDS)):
                if len(name) <= 60 and name not in found:
                    found[name] = is_person_name(name)
    add("authors", [n for n, person in found.items() if person])
    add("byline_other", [n for n, person in found.items() if not person])


def _before(el, scan: Scan) -> bool:
    """Whether ``el`` comes before the article text (a byline in the header)."""
    return scan.byline_positions.get(el, 10 ** 9) < scan.first_paragraph


def _name_leaves(el) -> list:
    """Names set one per element without separators ("<span>A B</span><span>C D</span>")."""
    leaves = [d for d in el.iter() if isinstance(d.tag, str) and len(d) == 0 and d.text and d.text.strip()]
    if len(leaves) >= 2 and all(is_person_name(clean_text(d.text)) for d in leaves):
        return leaves
    return []
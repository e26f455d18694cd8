"""Parse image credits ("Fotos: iStock; Sabine Hertel") into a list of sources.

News pages put a credit line under each image.  Seen on heute.at, for example:
``Getty Images, Heute``, ``Fotos: iStock; Sabine Hertel``,
``Ernst Weingartner / Weingartner-Foto / picturedesk.com``,
``Thomas Lenger, Helmut Graf (Repro)`` and, in the 2019 design, a credit glued
to the caption: ``…das Austria-Stadion ein.Bild: zVg``.

* :func:`strip_credit_prefix` removes a leading "Foto:", "Bild:", "©" … label.
* :func:`split_credits` turns a credit line into its sources.  ``;``, ``,``
  and ``|`` separate sources; ``/`` does not -- it chains an agency with its
  photographer or distributor (``APA/AFP/Mandel Ngan``), which is one credit.
  Nothing inside parentheses is split, so ``Helmut Graf (Repro)`` and
  ``Max Muster (Archiv, 2019)`` stay whole.  Words such as "und" or "for" are
  not separators (``Getty Images for TAS Rights Management`` is one source).
* :func:`split_glued_credit` cuts a credit off the end of a caption.
* :func:`looks_like_credit` tells a credit line from a caption line, for
  visible-text galleries that alternate caption and credit.  It needs some
  evidence -- a prefix, ``©``, an agency or stock token, an agency chain --
  so a credit that is only a person's name ("Sabine Hertel") is not
  recognised; the caller has to rely on the alternation for those.

All functions are pure and never raise on a string.
"""

from __future__ import annotations

import re

__all__ = ["looks_like_credit", "split_credits", "split_glued_credit", "strip_credit_prefix"]

MAX_CREDIT_LENGTH = 80

_PREFIX_WORDS = (r"fotos?|bild(?:er)?|photos?|images?|credits?|quellen?|bildquelle|sources?|fuente|fonte|bron|kilde|"
                 r"källa|copyright")
# One leading label; applied repeatedly for "Foto: © APA".
_PREFIX_RE = re.compile(
    rf"^\s*(?:(?:{_PREFIX_WORDS})\s*(?::|©|\(c\))|©|\(c\)|copyright\b)\s*:?\s*",
    re.IGNORECASE,
)

# A credit marker inside a caption: "…ein.Bild: zVg", "… Foto: APA", "… © APA".
_MARKER_WORDS = r"fotos?|bild(?:er)?|photos?|credits?|quelle|source"
_MARKER_RE = re.compile(rf"(?:(?P<word>{_MARKER_WORDS})\s*:|©)", re.IGNORECASE)
# "Caption (Foto: Reuters)" -- a credit in parentheses at the very end.
_PAREN_CREDIT_RE = re.compile(
    rf"\s*\((?P<credit>(?:(?:{_MARKER_WORDS})\s*:|©)[^()]*)\)\s*$",
    re.IGNORECASE,
)
_SPACED_MARKERS = frozenset("foto fotos photo photos credit credits".split())
_SENTENCE_END = tuple('.!?…"“”\'»«)]')

_SEPARATORS = frozenset(";,|")
_OPENING = {"(": ")", "[": "]"}
_QUOTES_AND_PUNCTUATION = " \t\"'„“”‚‘’»«.,;:|–-"

_WHITESPACE_RE = re.compile(r"\s+")
_SENTENCE_BREAK_RE = re.compile(r"(\S+)[.!?…]\s+(?=\S)")
_WORD_RE = re.compile(r"[^\s,;/|()\[\]]+")
_ALNUM_RE = re.compile(r"\w")
_AGENCY_CHAIN_RE = re.compile(r"[^\W\d_][\w.&-]*\s*/\s*[^\W\d_]")
_AGENCY_RE = re.compile(
    # Case-sensitive acronyms (so that "ap" or "Ots" inside text do not count) …
    r"(?<![\w-])(?:APA|AFP|AP|EPA|dpa|DPA|OTS|KEYSTONE|ANP)(?![\w])"
    # … and case-insensitive names.
    r"|(?i:(?<![\w-])(?:getty\s+images|getty|istock(?:photo)?|reuters|picturedesk(?:\.com)?"
    r"|keystone|imago|shutterstock|zvg|leserreporter(?:in)?|screenshot|privat|heute\.at"
    r"|heute|repro|ddp|afp)(?![\w]))"
)
# Abbreviations after which a period does not end a sentence.
_ABBREVIATIONS = frozenset("dr prof mag ing dipl st bzw ca nr jr sr inc co ltd corp vs mr mrs ms".split())
# Lower-case words that are part of credits, not of caption sentences.
_CREDIT_LOWERCASE = frozenset(
    "zvg privat istock picturedesk screenshot imago dpa getty for via von van de da di del und and by".split()
)


def strip_credit_prefix(raw: str) -> str:
    """Remove leading labels such as "Foto:", "Bilder:", "Quelle:", "©", "(c)".

    ``"Foto © APA"`` -> ``"APA"``; ``"Foto: © Reuters"`` -> ``"Reuters"``.
    Returns ``raw`` unchanged (not even stripped) when it has no prefix, so
    ``strip_credit_prefix(s) != s`` tells whether ``s`` starts with a label.
    """
    text = raw
    while (match := _PREFIX_RE.match(text)) is not None:
        text = text[match.end():]
    return raw if text is raw else text.strip()


def split_credits(raw: str | None) -> list[str]:
    """The credited sources in ``raw``, in order, de-duplicated, none empty.

    >>> split_credits("Fotos: iStock; Sabine Hertel")
    ['iStock', 'Sabine Hertel']
    >>> split_credits("Thomas Lenger, Helmut Graf (Repro)")
    ['Thomas Lenger', 'Helmut Graf (Repro)']
    >>> split_credits("© APA/AFP/Mandel Ngan")
    ['APA/AFP/Mandel Ngan']
    """
    if not isinstance(raw, str):
        return []
    sources: list[str] = []
    seen: set[str] = set()
    for part in _split_top_level(_normalise(raw)):
        name = _clean(strip_credit_prefix(part))
        key = name.casefold()
        if name and _ALNUM_RE.search(name) and key not in seen:
            seen.add(key)
            sources.append(name)
    return sources


def split_glued_credit(text: str) -> tuple[str, str | None]:
    """Split a credit off the end of a caption: ``(caption, credit)``.

    ``"…das Austria-Stadion ein.Bild: zVg"`` -> ``("…das Austria-Stadion ein.", "Bild: zVg")``,
    ``"Caption (Foto: Reuters)"`` -> ``("Caption", "Foto: Reuters")``.
    The credit keeps its prefix (feed it to :func:`split_credits`).  Returns
    ``(text, None)`` when there is no credit marker with a credit-like tail.

    A marker counts after sentence punctuation, at the start, glued to a
    lower-case letter ("…einBild: zVg"), or -- only "Foto:"/"Photo:"/"Credit:"
    and only if the tail reads like a credit (no lower-case words) -- after a
    plain word ("Ein Hofer-Markt Foto: APA", but not "Im Bild: Michael Ludwig").
    """
    if not isinstance(text, str):
        return text, None
    # A credit is at most MAX_CREDIT_LENGTH characters at the end: only markers that close to the end are
    # looked at (trying every marker of a long caption, each with the rest of the text, was quadratic).
    end = len(text.rstrip())
    near_end = max(0, end - MAX_CREDIT_LENGTH - 2)  # the "(" and ")" around a credit in parentheses
    paren = _PAREN_CREDIT_RE.search(text, near_end)
    if paren is not None and _short_credit(paren["credit"]):
        return text[: paren.start()].rstrip(), paren["credit"].strip()
    for marker in _MARKER_RE.finditer(text, near_end):
        start = marker.start()
        tail = text[start:end].strip()
        if _short_credit(tail) and _marker_position_ok(text, marker, tail):
            return text[:start].rstrip(), tail
    return text, None


def looks_like_credit(line: str) -> bool:
    """Whether a visible-text line is an image credit rather than a caption.

    True for a short line (at most 80 characters, no sentence break) that
    starts with a credit prefix or contains "©", or that names an agency or
    stock source (Getty Images, APA, Reuters, zVg, Leserreporter, "Heute" …)
    or an agency chain ("HOFER KG / OTS") and has no lower-case words of a
    sentence.  Captions are sentences: "Als Nächstes wird der Popstar vom
    15. bis 20. August in London auftreten." is False.
    """
    if not isinstance(line, str):
        return False
    text = _normalise(line)
    if not text or len(text) > MAX_CREDIT_LENGTH or _has_sentence_break(text):
        return False
    if strip_credit_prefix(text) != text or "©" in text:
        return not (text.endswith((".", "!", "?")) and len(_caption_words(text)) >= 2)
    if not (_AGENCY_RE.search(text) or _AGENCY_CHAIN_RE.search(text)):
        return False
    return not _caption_words(text) and not text.endswith((".", "!", "?", ":"))


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


def _normalise(text: str) -> str:
    """Collapse all whitespace (including no-break spaces) and strip."""
    return _WHITESPACE_RE.sub(" ", text).strip()


def _split_top_level(text: str) -> list[str]:
    """Split on ``;``, ``,`` and ``|`` outside parentheses and brackets."""
    parts: list[str] = []
    closing: list[str] = []
    current: list[str] = []
    for char in text:
        if char in _OPENING:
            closing.append(_OPENING[char])
        elif closing and char == closing[-1]:
            closing.pop()
        elif char in _SEPARATORS and not closing:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts


def _clean(name: str) -> str:
    """Trim whitespace, surrounding quotes and trailing punctuation."""
    return name.strip(_QUOTES_AND_PUNCTUATION)


def _has_sentence_break(text: str) -> bool:
    """A ".", "!" or "?" followed by more text, other than after an initial
    ("Beran A. (19)") or a common abbreviation ("Dr. Muster")."""
    for match in _SENTENCE_BREAK_RE.finditer(text):
        word = match.group(1).strip("\"'„“”»«()[]").casefold()
        if len(word) == 1 and word.isalpha():
            continue
        if word in _ABBREVIATIONS:
            continue
        return True
    return False


def _caption_words(text: str) -> list[str]:
    """Lower-case plain words that do not belong in a credit ("wird", "der")."""
    return [
        word
        for word in _WORD_RE.findall(text)
        if word[0].islower()
        and word.replace("-", "").isalpha()
        and word.casefold() not in _CREDIT_LOWERCASE
    ]


def _short_credit(tail: str) -> bool:
    """A credit-sized tail: something after the marker, short, one sentence."""
    name = strip_credit_prefix(tail)
    if name == tail:  # "©" is not removed when glued to the name
        name = tail.lstrip("©").strip()
    return (
        bool(_ALNUM_RE.search(name))
        and len(tail) <= MAX_CREDIT_LENGTH
        and not _has_sentence_break(tail)
    )


def _marker_position_ok(text: str, marker: re.Match, tail: str) -> bool:
    """Whether the marker may start a credit where it stands (see split_glued_credit)."""
    start = last = marker.start()  # the text before the marker ends at ``last`` without its trailing spaces
    while last and text[last - 1].isspace():
        last -= 1
    if not last or text[last - 1] in _SENTENCE_END:
        return True
    word = marker["word"]
    if word is None:  # "©" after a plain word: only if the rest is name-like
        return not _caption_words(tail)
    capitalised = word[0].isupper()
    if last == start:  # glued: "…einBild: zVg"
        return capitalised and text[last - 1].islower()
    # After a plain word only "Foto:"/"Photo:"/"Credit:" -- "Im Bild: …" and
    # "laut Quelle: …" are caption text.
    return (
        capitalised
        and word.casefold() in _SPACED_MARKERS
        and not _caption_words(strip_credit_prefix(tail))
    )

"""Parse the dates that German-language (mainly Austrian) news pages show.

Article dates reach the extractor from structured data (JSON-LD, OpenGraph,
``<meta>``, ``<time datetime>``), from feeds, and -- when those are missing --
from the visible byline text.  :func:`parse_date` turns any of these into a
timezone-AWARE :class:`~datetime.datetime`, or ``None`` when the text is not a
date.  It never raises on a string and never guesses: a value that is not
clearly a complete date is rejected rather than completed from "today".

Forms handled by the regex FAST PATH (no dateparser call, a few microseconds):

* dotted numeric dates, always day-month-year: ``18.11.2024``,
  ``27.06.2025, 20:04``, ``27.06.2025 20:04``, ``27.06.25, 20:04``
  (two-digit years: 90-99 -> 19xx, otherwise 20xx);
* German, Austrian and English month names, optionally after a weekday:
  ``3. März 2023, 14.30 Uhr``, ``3. März 2023 um 14:30 Uhr``,
  ``Sonntag, 05. Jänner 2025``, ``5. Feber 2024``, ``3. Sept. 2024``,
  ``Fri, 27 Jun 2025 18:04:00 GMT`` (RFC 2822, as in feeds), ``June 27, 2025``;
* ISO 8601: ``2025-06-27T18:04:00Z``, ``2025-06-27T20:04:00.123+0200``,
  ``2025-06-27`` and ``2025-06-27 20:04:00``;
* relative forms, computed from ``now``: ``vor 2 Stunden``, ``vor 5 Min.``,
  ``vor 3 Tagen``, ``gestern, 18:45``, ``heute um 07:15``, ``vorgestern``,
  and their English equivalents (``2 hours ago``, ``yesterday 18:45``);
* a leading label, see :func:`strip_label` (``Publiziert: …``, ``Akt: …``,
  ``Aktualisiert am … um … Uhr``).

Everything else goes to dateparser, which is slow (about 1 ms a call), so it is
only the fallback: first with ``languages=["de", "en"]``, then without a
language restriction (for generic sites in other languages, e.g.
``27 juin 2025``), always with DATE_ORDER ``DMY`` and day, month and year
required.  Those results do not depend on ``now`` and are memoised with
:func:`functools.lru_cache`.  dateparser's relative-time parser is used only
for strings that carry an explicit "ago" word (``il y a 3 heures``), because
on its own it turns ``20 Minuten`` (an author line) or ``Heute`` (a newspaper)
into dates.

Times without an offset are wall-clock times in ``default_tz``
(Europe/Vienna), converted with :mod:`zoneinfo` so that summer and winter time
get the right offset; times with an offset (``Z``, ``+02:00``, ``GMT``) keep
it, as the page states it (a site module may express all its dates in one zone,
see ``Site.TIMEZONE``).  A wall time that does not exist (the hour skipped when clocks go
forward, e.g. ``30.03.2025, 02:30``) is read with the offset before the change
and normalised to the real instant (03:30+02:00); an ambiguous wall time (the
repeated hour in October) takes its first occurrence (fold=0).

Sanity checks: years before 1990, dates more than two days after ``now``,
impossible days or months, bare numbers, "heute" without a time, and strings
longer than 200 characters give ``None``.
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo

import dateparser

__all__ = ["VIENNA", "find_dates", "parse_date", "strip_label", "to_iso"]

VIENNA = zoneinfo.ZoneInfo("Europe/Vienna")

MIN_YEAR = 1990
MAX_YEAR = 9000  # the real upper bound is "now + 2 days", checked later
MAX_FUTURE = timedelta(days=2)
MAX_LENGTH = 200

# --------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------

_MONTHS: dict[str, int] = {
    # German and Austrian
    "januar": 1, "jänner": 1, "jaenner": 1, "jän": 1, "jan": 1,
    "februar": 2, "feber": 2, "feb": 2,
    "märz": 3, "maerz": 3, "mär": 3, "mrz": 3,
    "april": 4, "apr": 4,
    "mai": 5,
    "juni": 6, "jun": 6,
    "juli": 7, "jul": 7,
    "august": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9,
    "oktober": 10, "okt": 10,
    "november": 11, "nov": 11,
    "dezember": 12, "dez": 12,
    # English (only the ones that differ from the German spelling)
    "january": 1, "february": 2, "march": 3, "mar": 3, "may": 5, "june": 6,
    "july": 7, "october": 10, "oct": 10, "december": 12, "dec": 12,
}

_WEEKDAYS = (
    "montag", "dienstag", "mittwoch", "donnerstag", "freitag", "samstag",
    "sonntag", "mo", "di", "mi", "do", "fr", "sa", "so",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
    "sunday", "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri",
    "sat", "sun",
)

# Time-zone names found after a time in feeds and bylines.
_TZ_NAMES: dict[str, timedelta] = {
    "z": timedelta(0), "utc": timedelta(0), "gmt": timedelta(0),
    "cet": timedelta(hours=1), "mez": timedelta(hours=1),
    "cest": timedelta(hours=2), "mesz": timedelta(hours=2),
}

# Unit words of _AGO by their first letters -> key of _RELATIVE_UNITS.
_UNIT_PREFIXES = (
    ("sek", "s"), ("sec", "s"), ("min", "m"), ("std", "h"), ("stu", "h"),
    ("hour", "h"), ("hr", "h"), ("tag", "d"), ("day", "d"), ("woch", "w"),
    ("week", "w"),
)
_RELATIVE_UNITS: dict[str, timedelta] = {
    "s": timedelta(seconds=1),
    "m": timedelta(minutes=1),
    "h": timedelta(hours=1),
    "d": timedelta(days=1),
    "w": timedelta(weeks=1),
}

_LABEL_KINDS: tuple[tuple[str, str], ...] = (
    # Longest first so that "Zuletzt aktualisiert" wins over "aktualisiert".
    ("zuletzt aktualisiert", "modified"),
    ("zuletzt geändert", "modified"),
    ("veröffentlicht", "published"),
    ("aktualisiert", "modified"),
    ("publiziert", "published"),
    ("erschienen", "published"),
    ("erstellt", "published"),
    ("geändert", "modified"),
    ("updated", "modified"),
    ("update", "modified"),
    ("stand", "modified"),
    ("akt", "modified"),
)
_LABEL_KIND_BY_WORD = dict(_LABEL_KINDS)


def _alternation(words) -> str:
    """Regex alternation of ``words``, longest first, regex-escaped."""
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


# --------------------------------------------------------------------------
# Regex building blocks.  Named groups are used by the fast path; the
# locator for find_dates() reuses the same text with the names removed.
# --------------------------------------------------------------------------

_MONTH = rf"(?P<mon>{_alternation(_MONTHS)})(?![a-zäöüß])\.?"
_WEEKDAY = rf"(?:(?:{_alternation(_WEEKDAYS)})(?![a-zäöüß])\.?,?\s+)?"
_TZ = rf"(?:\s*(?P<tz>[+-](?:[01]\d|2[0-3])(?::?[0-5]\d)?|(?:{_alternation(_TZ_NAMES)})(?![a-z])))?"
_TIME_CORE = (
    r"(?:(?P<H>[01]?\d|2[0-3])[:.](?P<M>[0-5]\d)(?:[:.](?P<S>[0-5]\d)(?:[.,](?P<frac>\d{1,6})\d*)?)?"
    r"(?![.:]?\d)"  # "12.06" in "12.06.2025" is a date, not a time
    r"(?:\s*Uhr\b)?"
    r"|(?P<H2>[01]?\d|2[0-3])\s*Uhr\b)"
)
# Between date and time: ", " / " " / " - " / " | ", optionally "um" / "at".
_TIME_SEP = r"(?:\s*[,|–-]\s*|\s+)(?:(?:um|at)\s+)?"
_TIME = rf"(?:{_TIME_SEP}{_TIME_CORE}{_TZ})?"

_DOTTED = rf"{_WEEKDAY}(?P<d>\d{{1,2}})\.\s?(?P<m>\d{{1,2}})\.\s?(?P<y>\d{{4}}|\d{{2}})(?!\d){_TIME}"
_NAMED_DMY = rf"{_WEEKDAY}(?P<d>\d{{1,2}})\.?\s*{_MONTH},?\s*(?P<y>\d{{4}})(?!\d){_TIME}"
_NAMED_MDY = rf"{_WEEKDAY}{_MONTH}\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\.?,?\s+(?P<y>\d{{4}})(?!\d){_TIME}"
_ISO = (
    r"(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})"
    r"(?:[T ](?P<H>\d{2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,](?P<frac>\d{1,6})\d*)?)?"
    + _TZ
    + r")?"
)
_AGO = (
    r"(?:vor\s+(?P<n>\d{1,4}|einer|einem|ein)\s+(?P<unit>"
    r"sekunden?|sek\.?|minuten?|min\.?|stunden?|std\.?|tagen?|tag|wochen?)"
    r"|(?P<n_en>\d{1,4}|an?|one)\s+(?P<unit_en>"
    r"seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?)\s+ago)"
)
_DAY_WORD = rf"(?P<day>vorgestern|gestern|heute|yesterday|today){_TIME}"

_FLAGS = re.IGNORECASE
_DOTTED_RE = re.compile(_DOTTED, _FLAGS)
_NAMED_DMY_RE = re.compile(_NAMED_DMY, _FLAGS)
_NAMED_MDY_RE = re.compile(_NAMED_MDY, _FLAGS)
_ISO_RE = re.compile(_ISO, _FLAGS)
_AGO_RE = re.compile(_AGO, _FLAGS)
_DAY_WORD_RE = re.compile(_DAY_WORD, _FLAGS)

# A label counts when followed by ":", ".", "am"/"um", or directly by a date
# (digit, weekday, relative word) or nothing -- "Stand der Dinge" is no label.
_LABEL = (
    r"(?P<label>" + _alternation(w for w, _ in _LABEL_KINDS).replace("\\ ", r"\s+") + r")"
    r"(?![a-zäöüß])"
    r"(?:\s*[.:]{1,2}|(?=\s+(?:am|um|on|at)(?![a-zäöüß]))"
    rf"|(?=\s*(?:$|\d|vor\s|(?:vorgestern|gestern|heute|yesterday|today|{_alternation(_WEEKDAYS)})(?![a-zäöüß]))))"
    r"\s*(?:(?:am|um|on|at)(?![a-zäöüß])\s*:?\s*)?"
)
_LABEL_RE = re.compile(r"^[\s|]*" + _LABEL, _FLAGS)


def _unnamed(pattern: str) -> str:
    """The same pattern with its named groups made non-capturing."""
    return re.sub(r"\(\?P<\w+>", "(?:", pattern)


# find_dates(): one scanning regex made of the fast-path patterns.
_LOCATOR_RE = re.compile(
    rf"(?<![\w.])(?P<label>{_unnamed(_LABEL)})?"
    rf"(?P<date>{_unnamed(_ISO)}|{_unnamed(_DOTTED)}|{_unnamed(_NAMED_DMY)}"
    rf"|{_unnamed(_NAMED_MDY)}|{_unnamed(_AGO)}|{_unnamed(_DAY_WORD)})"
    r"(?![\w])",
    _FLAGS,
)

_WHITESPACE_RE = re.compile(r"\s+")
_DIGIT_RE = re.compile(r"\d")
# Words meaning "ago" in languages dateparser knows; only with one of them is
# dateparser's relative-time parser trusted (see the module docstring).
_AGO_LANGUAGES = {
    "ago": ["en"], "il y a": ["fr"], "hace": ["es"], "fa": ["it"], "geleden": ["nl"], "temu": ["pl"],
    "sedan": ["sv"], "siden": ["da", "nb"], "atrás": ["pt", "es"], "há": ["pt"], "назад": ["ru", "uk"],
    "önce": ["tr"],
}
_FOREIGN_AGO_RE = re.compile(
    r"\b(?:ago|il y a|hace|fa|geleden|temu|sedan|siden|atrás|há)\b|назад|önce",
    _FLAGS,
)


# --------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------


def strip_label(text: str) -> tuple[str | None, str]:
    """Split a leading date label from ``text``.

    Returns ``(kind, rest)`` where ``kind`` is ``"published"``, ``"modified"``
    or ``None`` (no label; ``rest`` is then ``text`` stripped).  Labels are
    case-insensitive, may be preceded by ``|`` and followed by ``:``, ``.``,
    ``am`` or ``um``::

        >>> strip_label("| Akt: 05.09.2019, 17:05")
        ('modified', '05.09.2019, 17:05')
        >>> strip_label("Aktualisiert am 28.06.2025 um 08:00 Uhr")
        ('modified', '28.06.2025 um 08:00 Uhr')
    """
    match = _LABEL_RE.match(text)
    if match is None:
        return None, text.strip()
    kind = _LABEL_KIND_BY_WORD[_WHITESPACE_RE.sub(" ", match["label"].lower())]
    return kind, text[match.end():].strip()


def parse_date(
    value: str | None,
    *,
    now: datetime | None = None,
    default_tz: tzinfo = VIENNA,
) -> datetime | None:
    """Parse ``value`` into an aware datetime, or return ``None``.

    ``now`` (aware; a naive one is taken as UTC; default: the current time)
    is the reference for relative forms and for the "not in the future" check.
    Wall-clock times without an offset are read in ``default_tz``; a string
    with its own offset keeps it (``2025-06-27T18:04:00Z`` stays ``+00:00``).
    """
    if not isinstance(value, str):
        return None
    now = _aware_now(now)
    _, text = strip_label(_WHITESPACE_RE.sub(" ", value))
    text = text.strip(" \t|,;·•–-").rstrip(".:")
    if not text or len(text) > MAX_LENGTH:
        return None
    fast = _match_fast(text)
    if fast is not None:
        # A fast-path shape decides alone: "31.06.2025" or "2025-13-01" must
        # not reach dateparser, which would reorder the parts into a guess.
        builder, match = fast
        result = builder(match, now, default_tz)
    elif _DIGIT_RE.search(text):
        result = _parse_with_dateparser(text, now, default_tz)
    else:
        result = None
    if result is None or not _plausible(result, now):
        return None
    # A string with its own offset keeps it: pages state local time, and a site module that wants one
    # zone for all its dates converts (newscrawl.extract.sites.Site.TIMEZONE).
    return result


def to_iso(dt: datetime | None) -> str | None:
    """Format ``dt`` as ISO 8601 with its UTC offset, to the second.

    ``to_iso(parse_date("27.06.2025, 20:04")) == "2025-06-27T20:04:00+02:00"``.
    A naive datetime is taken as Vienna wall-clock time.
    """
    if dt is None:
        return None
    if dt.tzinfo is None or dt.utcoffset() is None:
        dt = _localize(dt, VIENNA)
    return dt.replace(microsecond=0).isoformat(timespec="seconds")


def find_dates(
    text: str, *, now: datetime | None = None
) -> list[tuple[str | None, str, datetime]]:
    """Find every date in a short visible-text string, in order.

    Returns ``(kind, raw, datetime)`` triples; ``kind`` comes from a label
    directly in front of the date (see :func:`strip_label`) and ``raw`` is the
    matched text including that label::

        >>> [(k, r) for k, r, _ in find_dates(
        ...     "Publiziert: 27.06.2025, 20:04 | Aktualisiert: 28.06.2025, 08:00",
        ...     now=datetime(2025, 7, 1, tzinfo=UTC))]
        [('published', 'Publiziert: 27.06.2025, 20:04'), ('modified', 'Aktualisiert: 28.06.2025, 08:00')]

    Only the fast-path forms are looked for (dateparser is too eager for
    free text), and dates failing the sanity checks are skipped.
    """
    if not isinstance(text, str):
        return []
    now = _aware_now(now)
    found: list[tuple[str | None, str, datetime]] = []
    for match in _LOCATOR_RE.finditer(text):
        parsed = parse_date(match["date"], now=now)
        if parsed is None:
            continue
        kind, _ = strip_label(match["label"]) if match["label"] else (None, "")
        found.append((kind, match.group(0).strip(), parsed))
    return found


# --------------------------------------------------------------------------
# Fast path
# --------------------------------------------------------------------------


def _match_fast(text: str) -> tuple[Callable[..., datetime | None], re.Match] | None:
    """The first fast-path regex matching all of ``text``, as ``(builder, match)``."""
    for regex, builder in _FAST_PATH:
        match = regex.fullmatch(text)
        if match is not None:
            return builder, match
    return None


def _from_numeric(match: re.Match, now: datetime, tz: tzinfo) -> datetime | None:
    """Dotted ``DD.MM.YYYY`` and ISO ``YYYY-MM-DD`` dates."""
    return _assemble(_year(match["y"]), int(match["m"]), int(match["d"]), match, tz)


def _from_month_name(match: re.Match, now: datetime, tz: tzinfo) -> datetime | None:
    """``3. März 2023`` / ``June 27, 2025``."""
    month = _MONTHS[match["mon"].lower()]
    return _assemble(int(match["y"]), month, int(match["d"]), match, tz)


def _from_ago(match: re.Match, now: datetime, tz: tzinfo) -> datetime | None:
    """``vor 2 Stunden`` / ``2 hours ago``: ``now`` minus the amount."""
    number = (match["n"] or match["n_en"]).lower()
    unit_word = (match["unit"] or match["unit_en"]).lower()
    amount = int(number) if number.isdigit() else 1
    key = next((k for prefix, k in _UNIT_PREFIXES if unit_word.startswith(prefix)), None)
    if key is None:
        return None
    delta = amount * _RELATIVE_UNITS[key]
    if key in ("d", "w"):
        # Calendar days: keep the wall-clock time across a DST change.
        local = now.astimezone(tz).replace(tzinfo=None) - delta
        return _localize(local, tz).replace(microsecond=0)
    return (now - delta).astimezone(tz).replace(microsecond=0)


def _from_day_word(match: re.Match, now: datetime, tz: tzinfo) -> datetime | None:
    """``gestern, 18:45`` / ``heute um 07:15`` / ``vorgestern``.

    "heute"/"today" needs a time: alone it is more likely the newspaper
    "Heute" than a date.
    """
    word = match["day"].lower()
    has_time = match["H"] is not None or match["H2"] is not None
    if word in ("heute", "today") and not has_time:
        return None
    days_back = {"heute": 0, "today": 0, "gestern": 1, "yesterday": 1, "vorgestern": 2}[word]
    day = now.astimezone(tz).date() - timedelta(days=days_back)
    return _assemble(day.year, day.month, day.day, match, tz)


_FAST_PATH = (
    (_DOTTED_RE, _from_numeric),
    (_ISO_RE, _from_numeric),
    (_NAMED_DMY_RE, _from_month_name),
    (_NAMED_MDY_RE, _from_month_name),
    (_AGO_RE, _from_ago),
    (_DAY_WORD_RE, _from_day_word),
)


def _year(text: str) -> int:
    """Four-digit year, or a two-digit one: 90-99 -> 1990s, else 2000s."""
    year = int(text)
    if len(text) == 2:
        year += 1900 if year >= 90 else 2000
    return year


def _assemble(
    year: int, month: int, day: int, match: re.Match, tz: tzinfo
) -> datetime | None:
    """Build the datetime from date parts and the optional time/tz groups."""
    groups = match.groupdict()
    hour = groups.get("H") or groups.get("H2")
    clock = (
        int(hour or 0),
        int(groups.get("M") or 0),
        int(groups.get("S") or 0),
        int((groups.get("frac") or "0").ljust(6, "0")),
    )
    if not _year_in_range(year):
        return None
    try:
        naive = datetime.combine(date(year, month, day), time(*clock))
    except ValueError:  # 31.02., month 13, hour 24 ...
        return None
    offset = _offset(groups.get("tz"))
    if offset is not None:
        return naive.replace(tzinfo=timezone(offset))
    return _localize(naive, tz)


def _offset(text: str | None) -> timedelta | None:
    """``Z``/``GMT``/``MESZ``/``+02:00``/``+0200``/``+02`` as a timedelta."""
    if not text:
        return None
    named = _TZ_NAMES.get(text.lower())
    if named is not None:
        return named
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))


def _localize(naive: datetime, tz: tzinfo) -> datetime:
    """Attach ``tz`` to a wall-clock time, normalising non-existent times.

    zoneinfo reads a skipped wall time (spring forward) with the offset in
    force before the change; the UTC round trip turns it into the real
    instant.  Ambiguous times keep fold=0, the first occurrence.
    """
    aware = naive.replace(tzinfo=tz, fold=0)
    return aware.astimezone(UTC).astimezone(tz)


def _aware_now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None or now.utcoffset() is None:
        return now.replace(tzinfo=UTC)
    return now


def _year_in_range(year: int) -> bool:
    """Early cut for absurd years (also keeps tz arithmetic off year 1/9999)."""
    return MIN_YEAR <= year <= MAX_YEAR


def _plausible(dt: datetime, now: datetime) -> bool:
    """Reject dates before 1990 and more than two days after ``now``."""
    return dt.year >= MIN_YEAR and dt <= now + MAX_FUTURE


# --------------------------------------------------------------------------
# dateparser fallback
# --------------------------------------------------------------------------

_ABSOLUTE_SETTINGS = {
    "DATE_ORDER": "DMY",
    "PREFER_LOCALE_DATE_ORDER": False,
    "PREFER_DAY_OF_MONTH": "first",
    "REQUIRE_PARTS": ["day", "month", "year"],
    # No "timestamp" (bare numbers) and no "relative-time" (see docstring).
    "PARSERS": ["custom-formats", "absolute-time"],
}
_RELATIVE_SETTINGS = {
    "PARSERS": ["relative-time"],
}
# dateparser signals undigestible input with ValueError; date arithmetic on
# huge relative amounts can overflow.  (Its own date.py catches the same two.)
_DATEPARSER_ERRORS = (ValueError, OverflowError)


def _parse_with_dateparser(text: str, now: datetime, tz: tzinfo) -> datetime | None:
    """Slow path: absolute dates (memoised), then foreign "ago" phrases."""
    parsed = _dateparser_absolute(text)
    if parsed is None and (ago := _FOREIGN_AGO_RE.search(text)):
        base = now.astimezone(tz).replace(tzinfo=None)
        # Only the language the "ago" word belongs to: with every language dateparser takes ~60 ms a call.
        languages = _AGO_LANGUAGES.get(ago.group(0).lower())
        parsed = _dateparser_call(text, languages, {**_RELATIVE_SETTINGS, "RELATIVE_BASE": base})
    if parsed is None or not _year_in_range(parsed.year):
        return None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        return _localize(parsed.replace(tzinfo=None), tz)
    # dateparser attaches pytz objects; keep only the offset they stand for.
    return parsed.replace(tzinfo=timezone(parsed.utcoffset()))


@functools.lru_cache(maxsize=4096)
def _dateparser_absolute(text: str) -> datetime | None:
    """German/English first, then any language; naive unless text has a tz."""
    return _dateparser_call(text, ["de", "en"], _ABSOLUTE_SETTINGS) or _dateparser_call(
        text, None, _ABSOLUTE_SETTINGS
    )


def _dateparser_call(text: str, languages: list[str] | None, settings: dict) -> datetime | None:
    try:
        return dateparser.parse(text, languages=languages, settings=settings)
    except _DATEPARSER_ERRORS:
        return None

"""Candidates from every layer, and the choice between them.

Layers (structured data, generic DOM rules, visible-text patterns, site modules) do not write fields;
they *propose* values with the source they came from. :class:`Candidates` keeps every proposal, and
:func:`choose` picks one per field by agreement: the value proposed by the most sources wins, and the
field's source priority only breaks ties. That way a stale ``og:title`` or a JSON-LD headline from a
template bug loses to the two other sources that agree with each other, whatever their order.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from typing import Any, Callable, Iterable

SOURCES = ("site", "jsonld", "meta", "html", "text")
_PUNCT = re.compile(r"[\W_]+", re.UNICODE)
# Longest value (characters) a one-line field can take. A headline over a few KB is no headline but a hostile
# or broken page (a megabyte <h1>, og:title or JSON-LD name): such a proposal is dropped when it is made, so
# no later step (comparing titles, cutting site suffixes) ever sees it. Real ones: headlines < 300
# characters, kickers, sections and publication names < 100.
MAX_CHARS = {"headline": 2000, "kicker": 500, "section": 500, "site_name": 500}
# Fields that list names (bylines, keywords): an entry longer than this names no one and is left out (a
# megabyte JSON-LD author would otherwise be split into a hundred thousand "names", each weighed).
NAME_LISTS = frozenset({"authors", "byline_other", "source_orgs", "publisher", "keywords"})
MAX_NAME_CHARS = 1000


def fingerprint(value: Any) -> str:
    """Comparison key for agreement: case-, accent-form-, punctuation- and whitespace-insensitive."""
    if isinstance(value, (list, tuple)):
        return "|".join(fingerprint(v) for v in value)
    if isinstance(value, dict):
        value = value.get("url") or ""
    return _PUNCT.sub(" ", unicodedata.normalize("NFKC", str(value)).casefold()).strip()


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _unusable(field: str, value: Any) -> bool:
    """Empty, or a one-line field longer than any real one (:data:`MAX_CHARS`)."""
    limit = MAX_CHARS.get(field)
    return _empty(value) or (limit is not None and isinstance(value, str) and len(value) > limit)


class Candidates:
    """Proposed values per field, in the order they were proposed, each with its source."""

    def __init__(self) -> None:
        self._by_field: dict[str, list[tuple[Any, str]]] = defaultdict(list)

    def add(self, field: str, value: Any, source: str) -> None:
        if field in NAME_LISTS and isinstance(value, list):
            value = [v for v in value if not (isinstance(v, str) and len(v) > MAX_NAME_CHARS)]
        if not _unusable(field, value):
            self._by_field[field].append((value, source))

    def adder(self, source: str) -> Callable[[str, Any], None]:
        return lambda field, value: self.add(field, value, source)

    def all(self, field: str) -> list[tuple[Any, str]]:
        return list(self._by_field.get(field, ()))

    def first(self, field: str, sources: Iterable[str] = SOURCES) -> tuple[Any, str] | None:
        """The first proposal from the highest-priority source that proposed anything."""
        found = self._by_field.get(field, ())
        for source in sources:
            for value, src in found:
                if src == source:
                    return value, src
        return None

    def replace(self, field: str, value: Any, source: str) -> None:
        """Drop every proposal for ``field`` and keep only this one (a site module's override)."""
        self._by_field[field] = [] if _unusable(field, value) else [(value, source)]

    def transform(self, field: str, fn: Callable[[Any], Any]) -> None:
        """Rewrite every proposal for ``field`` through ``fn``; proposals that become empty are dropped."""
        self._by_field[field] = [(v, s) for v, s in ((fn(v), s) for v, s in self._by_field.get(field, ()))
                                 if not _unusable(field, v)]

    def choose(self, field: str, priority: Iterable[str] | dict[str, float] = SOURCES,
               key=fingerprint) -> tuple[Any, str] | None:
        """The value with the most support; ties go to the source earliest in ``priority``.

        Support is the number of distinct sources proposing a value or, when ``priority`` is a dict, the sum
        of those sources' weights — how often each source is right for this field on real pages.
        """
        found = self._by_field.get(field, ())
        if len(found) <= 1:
            return found[0] if found else None
        if any(src == "site" for _, src in found):
            # A site module's rule is written for this exact markup: it wins outright.
            return next((v, s) for v, s in found if s == "site")
        if isinstance(priority, dict):
            weights = priority
            order = {src: -w for src, w in priority.items()}
        else:
            order = {src: i for i, src in enumerate(priority)}
            weights = {src: 1.0 for src in order}
        support: dict[str, dict[str, float]] = defaultdict(dict)
        for value, src in found:
            support[key(value)][src] = weights.get(src, 0.0)

        def rank(entry: tuple[Any, str]) -> tuple[float, float]:
            value, src = entry
            return (-sum(support[key(value)].values()), order.get(src, len(order)))

        return min(found, key=rank)

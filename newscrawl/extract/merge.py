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


def fingerprint(value: Any) -> str:
    """Comparison key for agreement: case-, accent-form-, punctuation- and whitespace-insensitive."""
    if isinstance(value, (list, tuple)):
        return "|".join(fingerprint(v) for v in value)
    if isinstance(value, dict):
        value = value.get("url") or ""
    return _PUNCT.sub(" ", unicodedata.normalize("NFKC", str(value)).casefold()).strip()


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


class Candidates:
    """Proposed values per field, in the order they were proposed, each with its source."""

    def __init__(self) -> None:
        self._by_field: dict[str, list[tuple[Any, str]]] = defaultdict(list)

    def add(self, field: str, value: Any, source: str) -> None:
        if not _empty(value):
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
        self._by_field[field] = [] if _empty(value) else [(value, source)]

    def transform(self, field: str, fn: Callable[[Any], Any]) -> None:
        """Rewrite every proposal for ``field`` through ``fn``; proposals that become empty are dropped."""
        self._by_field[field] = [(v, s) for v, s in ((fn(v), s) for v, s in self._by_field.get(field, ()))
                                 if not _empty(v)]

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

"""Reading one spool line: parsed with a bounded depth and checked for the shape the store needs.

A spool line is written by :meth:`newscrawl.store.spool.Spool.append`, but the file is only text on a
disk: an older version, a crash, a hand edit or a hostile process can leave anything in it. A line is
accepted only when it is a JSON object of one of the two kinds, and an item only when every field the
pipelines produce has the type of :class:`newscrawl.items.Article` (read from its annotations, so new
fields are checked without a change here): text where text is expected, ``list[str]`` for ``body`` and
the like, images, galleries and slides as objects of their fields, integers within MongoDB's 64-bit
range, the dates ISO 8601 with a UTC offset (slide dates ISO dates), dict keys MongoDB can store (no
``.``/``$``/NUL), text encodable as UTF-8, and a record key. Fields the item class does not know are
kept as they are (an item spooled by a newer version) if their keys are storable.

Nesting is bounded twice: ``json.loads`` raises :class:`RecursionError` on a line nested deeper than the
interpreter's recursion limit (200,000 ``[`` took every replay down before), caught here for exactly that
call; and anything nested deeper than :data:`MAX_DEPTH` is refused after parsing, so no later step that
walks the item recursively (content hash, BSON, the pipelines) can hit the limit either.

A line that fails raises :class:`BadEntry`, whose message is the reason recorded in ``<spool>.corrupt``.
"""

from __future__ import annotations

import json
import types
import typing
from dataclasses import dataclass, is_dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from ..items import Article
from ..records import record_key

MAX_DEPTH = 32  # an item is ~7 levels deep (entry > item > galleries > gallery > entries > slide > credits)
INT64 = 2 ** 63
DATETIME_FIELDS = frozenset({"published", "modified", "fetched_at"})
DATE_FIELDS = frozenset({"date"})  # a slide's date


class BadEntry(ValueError):
    """A spool line that cannot be written; the message says why (one line, at most a few hundred chars)."""


@dataclass
class SpoolEntry:
    kind: str  # "item" or "touch"
    seen_at: str
    item: dict[str, Any] | None = None
    key: str | None = None
    line: str = ""  # the exact line in the file (set by the spool), which identifies it for removal
    offset: int = -1  # where the line starts in the file, in bytes (set by the spool)


def _is_datetime(value: Any) -> bool:
    try:
        return isinstance(value, str) and datetime.fromisoformat(value).utcoffset() is not None
    except ValueError:
        return False


def _is_date(value: Any) -> bool:
    try:
        return isinstance(value, str) and bool(date.fromisoformat(value))
    except ValueError:
        return False


def _check_text(value: str, where: str) -> None:
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise BadEntry(f"{where} holds text that is not encodable as UTF-8 (a lone surrogate)") from None


def _check_key(key: Any, where: str) -> None:
    if not isinstance(key, str) or "." in key or "$" in key or "\x00" in key:
        raise BadEntry(f"{where} has the key {str(key)[:80]!r}, which MongoDB cannot store as a field name")


def depth_exceeds(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether ``value`` nests lists/dicts deeper than ``limit`` (iterative: no recursion on input depth)."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


@lru_cache(maxsize=None)
def _fields(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _check_plain(value: Any, where: str) -> None:
    """A value of a field the item class does not know: JSON types, storable keys, encodable text."""
    stack = [(value, where)]
    while stack:
        node, at = stack.pop()
        if isinstance(node, str):
            _check_text(node, at)
        elif isinstance(node, bool) or node is None or isinstance(node, float):
            continue
        elif isinstance(node, int):
            if not -INT64 <= node < INT64:
                raise BadEntry(f"{at} is an integer outside MongoDB's 64-bit range")
        elif isinstance(node, list):
            stack.extend((v, f"{at}[{i}]") for i, v in enumerate(node))
        elif isinstance(node, dict):
            for k, v in node.items():
                _check_key(k, at)
                stack.append((v, f"{at}.{k}"))


def check_value(value: Any, hint: Any, where: str, name: str) -> None:
    """Raise :class:`BadEntry` unless ``value`` has the type ``hint`` (an annotation of the item classes).
    Recursion follows the annotations (a few levels), never the input's depth."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(hint)
        if value is None and type(None) in options:
            return
        hint = next(h for h in options if h is not type(None))
        origin = typing.get_origin(hint)
    if hint is str:
        if not isinstance(value, str):
            raise BadEntry(f"{where} must be text, not {type(value).__name__}")
        _check_text(value, where)
        if name in DATETIME_FIELDS and not _is_datetime(value):
            raise BadEntry(f"{where} is not an ISO 8601 time with a UTC offset: {value[:60]!r}")
        if name in DATE_FIELDS and not _is_date(value):
            raise BadEntry(f"{where} is not an ISO date: {value[:60]!r}")
    elif hint is int:
        if type(value) is not int:
            raise BadEntry(f"{where} must be an integer, not {type(value).__name__}")
        if not -INT64 <= value < INT64:
            raise BadEntry(f"{where} is an integer outside MongoDB's 64-bit range")
    elif origin is list:
        if not isinstance(value, list):
            raise BadEntry(f"{where} must be a list, not {type(value).__name__}")
        (inner,) = typing.get_args(hint)
        for i, v in enumerate(value):
            check_value(v, inner, f"{where}[{i}]", name)
    elif origin is dict:
        if not isinstance(value, dict):
            raise BadEntry(f"{where} must be an object, not {type(value).__name__}")
        _, inner = typing.get_args(hint)
        for k, v in value.items():
            _check_key(k, where)
            check_value(v, inner, f"{where}.{k}", "")
    elif is_dataclass(hint):
        check_object(value, hint, where)
    else:  # an annotation these items do not use (Any): JSON types only
        _check_plain(value, where)


def check_object(value: Any, cls: type, where: str) -> None:
    if not isinstance(value, dict):
        raise BadEntry(f"{where} must be an object, not {type(value).__name__}")
    fields = _fields(cls)
    for k, v in value.items():
        _check_key(k, where)
        hint = fields.get(k)
        at = f"{where}.{k}" if where else k
        if hint is None:
            _check_plain(v, at)
        else:
            check_value(v, hint, at, k)


def parse_line(line: str) -> SpoolEntry:
    """The entry of one spool line (without its newline); raises :class:`BadEntry` with the reason."""
    try:
        data = json.loads(line)
    except RecursionError:  # json's C decoder refuses nesting beyond the recursion limit cleanly
        raise BadEntry(f"nested deeper than {MAX_DEPTH} levels (beyond the parser's limit)") from None
    except ValueError as exc:  # JSONDecodeError, and text that is not UTF-8 (surrogate escapes)
        raise BadEntry(f"not JSON: {str(exc)[:200]}") from None
    if not isinstance(data, dict):
        raise BadEntry(f"not a JSON object but {type(data).__name__}")
    if depth_exceeds(data):
        raise BadEntry(f"nested deeper than {MAX_DEPTH} levels")
    kind = data.get("kind")
    seen_at = data.get("seen_at")
    if kind == "touch":
        key = data.get("key")
        if not isinstance(key, str) or not key:
            raise BadEntry(f"a sighting's key must be non-empty text, not {type(key).__name__}")
        _check_text(key, "key")
        if not _is_datetime(seen_at):
            raise BadEntry(f"a sighting's seen_at is not an ISO 8601 time with a UTC offset: {str(seen_at)[:60]!r}")
        return SpoolEntry("touch", seen_at, key=key)
    if kind != "item":
        raise BadEntry(f"unknown kind {str(kind)[:40]!r}")
    item = data.get("item")
    if not isinstance(item, dict):
        raise BadEntry(f"the item must be an object, not {type(item).__name__}")
    check_object(item, Article, "")
    key = record_key(item)
    if key is None:
        raise BadEntry("the item has no key (neither site and article_id nor a URL)")
    if seen_at is None:
        seen_at = item.get("fetched_at")
    elif not _is_datetime(seen_at):
        raise BadEntry(f"seen_at is not an ISO 8601 time with a UTC offset: {str(seen_at)[:60]!r}")
    return SpoolEntry("item", seen_at or datetime.now().astimezone().isoformat(), item=item, key=key)

"""What changed between two states of an article, field by field, compactly.

:func:`diff` compares the content fields of two states (:func:`newscrawl.records.content_fields`, which
removes cosmetic differences first: see :mod:`newscrawl.records`) and returns, for each field that differs,
a small JSON-ready description; ``{}`` when nothing counts as changed. It reports a change for every field
in which the two differ (the content hash covers the same fields), so an empty diff means the same hash.

- ``headline`` and the other single values (``kicker``, ``section``, ``source``, ``published``, ``modified``,
  ``language``, ``canonical_url``, ...): ``{"old": ..., "new": ...}``; the ``lead`` also its ``words``.
- ``body``: paragraphs ``added`` (number in the new text, ``text``), ``removed`` (number in the old text),
  ``moved`` (``from``/``to``) and ``edited`` (``paragraph``, ``was``: its number before, and the word-level
  ``words`` changes: ``old``/``new`` words with up to three words of ``context`` before them). Paragraph
  numbers count from 1.
- ``lead_image``: ``old``/``new`` URL when the image was replaced (added: old null; removed: new null), and
  ``caption``, ``alt``, ``credit_raw`` (old/new) and ``credits`` (added/removed) when those changed.
- ``authors``, ``keywords``, ``subheadings``: ``added`` / ``removed`` (``order`` old/new when only the order
  changed).
- ``images``: ``added`` / ``removed`` / ``edited`` by URL; ``galleries``: galleries ``added`` / ``removed``,
  and per ``edited`` gallery its ``title``, ``size`` and ``slides`` (as images, by picture or link).

The work is bounded on any input: paragraphs are aligned with :class:`difflib.SequenceMatcher` only up to
:data:`MAX_PARAGRAPHS` a side (beyond, added and removed ones by set difference, linear); paragraphs of one
that went and came are paired as edits by word overlap (``quick_ratio``) for at most :data:`MAX_PAIRINGS`
comparisons per diff; word-level diffs run on paragraphs of at most :data:`MAX_WORDS` words and on at most
:data:`MAX_WORD_BUDGET` words per diff (beyond, an edited paragraph gives its ``old`` and ``new`` text); every
text is cut at :data:`MAX_TEXT` characters and every list at :data:`MAX_ENTRIES` entries (the rest counted in
``more``).
"""

from __future__ import annotations

import json
from collections import Counter
from difflib import SequenceMatcher
from typing import Any

from ..records import CONTENT_FIELDS, content_fields

MAX_TEXT = 1000  # characters of one text in a diff; longer ones end with "…"
MAX_ENTRIES = 50  # entries of one list in a diff; the rest are counted in "more"
MAX_PARAGRAPHS = 1000  # paragraphs a side aligned in order; beyond, compared as sets
MAX_PAIRINGS = 2000  # paragraph similarity checks per diff (pairing removed with added ones as edits)
SIMILAR = 0.5  # word overlap (SequenceMatcher.quick_ratio) from which two paragraphs are one, edited
MAX_WORDS = 2000  # words of a paragraph a side for a word-level diff
MAX_WORD_BUDGET = 20000  # words (both sides) word-diffed per diff
CONTEXT = 3  # words before a word change, to show where it is

IMAGE_ATTRIBUTES = ("caption", "alt", "credit_raw")
WORDED = frozenset({"lead"})  # single texts long enough that their word changes are worth giving


def diff(old: Any, new: Any) -> dict[str, Any]:
    """The fields that changed from ``old`` to ``new`` (items, documents or content fields), each with a
    compact description of its change; ``{}`` when nothing counts as a change."""
    before, after = content_fields(old), content_fields(new)
    budget = _Budget()
    changes: dict[str, Any] = {}
    for field in CONTENT_FIELDS:
        a, b = before.get(field), after.get(field)
        if a != b:
            changes[field] = _field(field, a, b, budget) or {"old": _short(a), "new": _short(b)}
    return changes


class _Budget:
    """What one diff may still spend on pairing paragraphs and on word-level diffs."""

    def __init__(self) -> None:
        self.pairings = MAX_PAIRINGS
        self.words = MAX_WORD_BUDGET


def _field(field: str, a: Any, b: Any, budget: _Budget) -> dict[str, Any]:
    if field == "body":
        return _paragraphs(a or [], b or [], budget)
    if field == "lead_image":
        return _image(a, b)
    if field == "images":
        return _images(a or [], b or [])
    if field == "galleries":
        return _galleries(a or [], b or [])
    if isinstance(a, list) and isinstance(b, list) and all(isinstance(v, str) for v in a + b):
        return _strings(a, b)
    if (a is None or isinstance(a, str)) and (b is None or isinstance(b, str)):
        change = {"old": _short(a), "new": _short(b)}
        if field in WORDED and a and b and (words := _words(a, b, budget)) is not None:
            change["words"] = words
        return change
    return {}


# -- texts ------------------------------------------------------------------------------------------------

def _short(value: Any) -> Any:
    if isinstance(value, str):
        return value if len(value) <= MAX_TEXT else value[:MAX_TEXT - 1] + "…"
    if value is None or isinstance(value, (int, float, bool)):
        return value
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT - 1] + "…"


def _capped(entries: list, name: str, into: dict) -> None:
    """``into[name] = entries`` (at most MAX_ENTRIES of them, the rest counted in ``more``), when any."""
    if not entries:
        return
    into[name] = entries[:MAX_ENTRIES]
    if len(entries) > MAX_ENTRIES:
        into.setdefault("more", {})[name] = len(entries) - MAX_ENTRIES


def _words(a: str, b: str, budget: _Budget) -> list[dict[str, Any]] | None:
    """Word-level changes from ``a`` to ``b``; None when they are too long to compare (see the budget)."""
    old, new = a.split(), b.split()
    if len(old) > MAX_WORDS or len(new) > MAX_WORDS or len(old) + len(new) > budget.words:
        return None
    budget.words -= len(old) + len(new)
    changes = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        change: dict[str, Any] = {"at": j1 + 1}  # the word number in the new text
        if i2 > i1:
            change["old"] = _short(" ".join(old[i1:i2]))
        if j2 > j1:
            change["new"] = _short(" ".join(new[j1:j2]))
        if i1:
            change["context"] = " ".join(old[max(0, i1 - CONTEXT):i1])
        changes.append(change)
    return changes


# -- paragraphs -------------------------------------------------------------------------------------------

def _paragraphs(a: list[str], b: list[str], budget: _Budget) -> dict[str, Any]:
    if len(a) > MAX_PARAGRAPHS or len(b) > MAX_PARAGRAPHS:
        return _paragraph_sets(a, b)
    gone: list[int] = []  # indices in a of the paragraphs not kept in place
    came: list[int] = []  # indices in b of the paragraphs that are not old ones kept in place
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag != "equal":
            gone += range(i1, i2)
            came += range(j1, j2)
    moved = []
    places: dict[str, list[int]] = {}
    for j in came:
        places.setdefault(b[j], []).append(j)
    for i in gone:
        if places.get(a[i]):
            moved.append((i, places[a[i]].pop(0)))
    moved_old, moved_new = {i for i, _ in moved}, {j for _, j in moved}
    gone = [i for i in gone if i not in moved_old]
    came = [j for j in came if j not in moved_new]
    pairs = _pair(a, gone, b, came, budget)
    paired_old, paired_new = {i for i, _ in pairs}, {j for _, j in pairs}
    edited = []
    for i, j in sorted(pairs, key=lambda pair: pair[1]):
        edit: dict[str, Any] = {"paragraph": j + 1, "was": i + 1}
        words = _words(a[i], b[j], budget) if len(edited) < MAX_ENTRIES else None
        if words is None:
            edit.update(old=_short(a[i]), new=_short(b[j]))
        else:
            edit["words"] = words
        edited.append(edit)
    out: dict[str, Any] = {}
    _capped([{"paragraph": j + 1, "text": _short(b[j])} for j in came if j not in paired_new], "added", out)
    _capped([{"paragraph": i + 1, "text": _short(a[i])} for i in gone if i not in paired_old], "removed", out)
    _capped([{"from": i + 1, "to": j + 1, "text": _short(a[i])} for i, j in sorted(moved, key=lambda m: m[1])],
            "moved", out)
    _capped(edited, "edited", out)
    return out


def _pair(a: list[str], gone: list[int], b: list[str], came: list[int], budget: _Budget) -> list[tuple[int, int]]:
    """Paragraphs that went and came that are one paragraph edited (and perhaps moved): each old one with the
    new one whose words overlap it most, by at least SIMILAR (``quick_ratio`` on words: linear), while the
    budget of comparisons lasts."""
    pairs: list[tuple[int, int]] = []
    counts = {j: Counter(b[j].split()) for j in came}
    free = list(came)
    for i in gone:
        words = Counter(a[i].split())
        size = sum(words.values())
        best, best_j = SIMILAR, None
        for j in free:
            if budget.pairings <= 0:
                return pairs
            budget.pairings -= 1
            total = size + sum(counts[j].values())
            score = 2 * sum((words & counts[j]).values()) / total if total else 0.0
            if score >= best:
                best, best_j = score, j
        if best_j is not None:
            pairs.append((i, best_j))
            free.remove(best_j)
    return pairs


def _paragraph_sets(a: list[str], b: list[str]) -> dict[str, Any]:
    """Added and removed paragraphs of very long texts, by (multi)set difference: linear, no edits or moves."""
    out: dict[str, Any] = {"compared": "as sets of paragraphs (too many to align)"}
    old, new = Counter(a), Counter(b)
    added, removed = [], []
    for j, text in enumerate(b):
        if old[text] > 0:
            old[text] -= 1
        else:
            added.append({"paragraph": j + 1, "text": _short(text)})
    for i, text in enumerate(a):
        if new[text] > 0:
            new[text] -= 1
        else:
            removed.append({"paragraph": i + 1, "text": _short(text)})
    _capped(added, "added", out)
    _capped(removed, "removed", out)
    if not added and not removed:
        out["order"] = "the paragraphs were re-ordered"
    return out


# -- lists of texts ---------------------------------------------------------------------------------------

def _strings(a: list[str], b: list[str]) -> dict[str, Any]:
    old, new = Counter(a), Counter(b)
    out: dict[str, Any] = {}
    _capped([_short(v) for v in _ordered(b, new - old)], "added", out)
    _capped([_short(v) for v in _ordered(a, old - new)], "removed", out)
    if not out:
        out["order"] = {"old": [_short(v) for v in a[:MAX_ENTRIES]], "new": [_short(v) for v in b[:MAX_ENTRIES]]}
    return out


def _ordered(values: list, extra: Counter) -> list:
    """The values counted in ``extra``, in the order ``values`` has them."""
    left, out = Counter(extra), []
    for v in values:
        if left[v] > 0:
            left[v] -= 1
            out.append(v)
    return out


# -- images and galleries ---------------------------------------------------------------------------------

def _url(image: Any, name: str = "url") -> Any:
    return image.get(name) if isinstance(image, dict) else None


def _image(a: Any, b: Any, url: str = "url") -> dict[str, Any]:
    out: dict[str, Any] = {}
    if _url(a, url) != _url(b, url) or a is None or b is None:
        out.update(old=_short(_url(a, url)), new=_short(_url(b, url)))
    if isinstance(a, dict) and isinstance(b, dict):
        for name in sorted(set(a) | set(b)):
            if name == url or a.get(name) == b.get(name):
                continue
            x, y = a.get(name), b.get(name)
            if isinstance(x, list) and isinstance(y, list) and all(isinstance(v, str) for v in x + y):
                out[name] = _strings(x, y)
            else:
                out[name] = {"old": _short(x), "new": _short(y)}
    return out


def _identity(entry: Any, url: str) -> Any:
    """What makes an image or a slide the same one in two states: its picture, else its link, else itself."""
    if not isinstance(entry, dict):
        return _short(entry)
    return entry.get(url) or entry.get("link_url") or entry.get("linked_article_id") or entry.get("entry") \
        or _short({k: v for k, v in entry.items() if k != "position"})


def _images(a: list, b: list, url: str = "url") -> dict[str, Any]:
    """Images (or slides) added, removed and edited, matched by :func:`_identity`."""
    old = {_identity(e, url): e for e in a}
    new = {_identity(e, url): e for e in b}
    out: dict[str, Any] = {}
    described = _describe_image if url == "url" else _describe_slide
    _capped([described(e) for k, e in new.items() if k not in old], "added", out)
    _capped([described(e) for k, e in old.items() if k not in new], "removed", out)
    edited = []
    for k, e in new.items():
        if k in old and _without_position(old[k]) != _without_position(e):
            change = _image(_without_position(old[k]), _without_position(e), url)
            edited.append({url: _short(k), **(change or {"old": _short(old[k]), "new": _short(e)})})
    _capped(edited, "edited", out)
    if not out and [_identity(e, url) for e in a] != [_identity(e, url) for e in b]:
        out["order"] = "re-ordered"
    return out


def _without_position(entry: Any) -> Any:
    return {k: v for k, v in entry.items() if k != "position"} if isinstance(entry, dict) else entry


def _describe_image(image: Any) -> Any:
    if not isinstance(image, dict):
        return _short(image)
    return {k: _short(image.get(k)) for k in ("url", "caption") if image.get(k) is not None}


def _describe_slide(entry: Any) -> Any:
    if not isinstance(entry, dict):
        return _short(entry)
    return {k: _short(entry.get(k)) for k in ("position", "image_url", "caption", "link_url", "entry")
            if entry.get(k) is not None}


def _galleries(a: list, b: list) -> dict[str, Any]:
    """Galleries by their place on the page: added, removed, and the slides of each that changed."""
    out: dict[str, Any] = {}
    edited = []
    for n, (x, y) in enumerate(zip(a, b), start=1):
        if x == y:
            continue
        change: dict[str, Any] = {"gallery": n}
        x, y = (g if isinstance(g, dict) else {} for g in (x, y))
        for name in ("title", "size"):
            if x.get(name) != y.get(name):
                change[name] = {"old": _short(x.get(name)), "new": _short(y.get(name))}
        if x.get("entries") != y.get("entries"):
            change["slides"] = _images(x.get("entries") or [], y.get("entries") or [], "image_url") \
                or {"order": "re-ordered"}
        if len(change) == 1:  # differs in a way none of the above names
            change.update(old=_short(x), new=_short(y))
        edited.append(change)
    summary = [{"gallery": n, "title": _short(g.get("title")) if isinstance(g, dict) else None,
                "slides": len(g.get("entries") or []) if isinstance(g, dict) else 0}
               for n, g in enumerate(b[len(a):], start=len(a) + 1)]
    _capped(summary, "added", out)
    _capped([{"gallery": n, "title": _short(g.get("title")) if isinstance(g, dict) else None}
             for n, g in enumerate(a[len(b):], start=len(b) + 1)], "removed", out)
    _capped(edited, "edited", out)
    return out

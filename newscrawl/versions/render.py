"""A change (:func:`newscrawl.versions.diff`) as lines a person reads in a terminal.

One line per simple change, indented under its field::

    headline: "Höchste Unwetter-Warnstufe" → "Höchste Unwetter-Warnstufe in ganz Österreich"
    body: + ¶6 "Update um 18.15 Uhr: Die Feuerwehr …"
          ~ ¶2 …bei Facebook {+deutlich+} gestärkt …
    lead_image: https://…/old.jpeg → https://…/new.jpeg
    authors: + Max Muster, - Mara Lindner
"""

from __future__ import annotations

from typing import Any

SNIPPET = 100  # characters of a text shown on one line
URL_FIELDS = frozenset({"canonical_url", "lead_image", "url", "image_url", "link_url"})  # shown whole


def _url(value: Any) -> str:
    return "(none)" if value is None else str(value)


def snippet(value: Any, width: int = SNIPPET) -> str:
    if value is None:
        return "(none)"
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= width else text[:width - 1] + "…"


def quoted(value: Any) -> str:
    if value is None or not isinstance(value, str):
        return snippet(value)
    return f'"{snippet(value)}"'


def change_lines(changes: dict[str, Any] | None) -> list[str]:
    """Every changed field of ``changes`` as lines: the first names the field, the others are indented."""
    lines: list[str] = []
    for field, change in (changes or {}).items():
        body = _lines(field, change) or ["changed"]
        lines.append(f"{field}: {body[0]}")
        lines += [" " * (len(field) + 2) + line for line in body[1:]]
    return lines


def _lines(field: str, change: Any) -> list[str]:
    if not isinstance(change, dict):
        return [snippet(change)]
    if field == "body":
        return _paragraph_lines(change)
    if field == "galleries":
        return _gallery_lines(change)
    out: list[str] = []
    if "old" in change or "new" in change:
        show = _url if field in URL_FIELDS else quoted
        out.append(f"{show(change.get('old'))} → {show(change.get('new'))}")
    listed = [f"+ {snippet(v)}" for v in change.get("added") or [] if not isinstance(v, dict)]
    listed += [f"- {snippet(v)}" for v in change.get("removed") or [] if not isinstance(v, dict)]
    if listed:
        out.append(", ".join(listed))
    out += [f"+ {_entry(v)}" for v in change.get("added") or [] if isinstance(v, dict)]
    out += [f"- {_entry(v)}" for v in change.get("removed") or [] if isinstance(v, dict)]
    for name, sub in change.items():
        if name in ("old", "new", "added", "removed", "words", "more"):
            continue
        if name == "edited" and isinstance(sub, list):
            out += [f"~ {_entry(v)}" for v in sub]
        elif name == "order":
            out.append("re-ordered")
        elif isinstance(sub, dict):
            out += [f"{name}: {line}" for line in _lines(name, sub)]
        else:
            out.append(f"{name}: {snippet(sub)}")
    out += _more(change)
    return out


def _entry(value: dict[str, Any]) -> str:
    parts = []
    for name, v in value.items():
        if isinstance(v, dict):
            parts.append(f"{name}: " + "; ".join(_lines(name, v)))
        else:
            parts.append(f"{name} {_url(v) if name in URL_FIELDS else quoted(v)}")
    return ", ".join(parts)


def _gallery_lines(change: dict[str, Any]) -> list[str]:
    out = [f"+ {_entry(g)}" for g in change.get("added") or []]
    out += [f"- {_entry(g)}" for g in change.get("removed") or []]
    for gallery in change.get("edited") or []:
        where = f"gallery {gallery.get('gallery')}"
        for name, sub in gallery.items():
            if name == "gallery":
                continue
            if name == "slides" and isinstance(sub, dict):
                out += [f"{where}: slide {line}" for line in _lines(name, sub)]
            elif isinstance(sub, dict):
                out += [f"{where}: {name} {line}" for line in _lines(name, sub)]
            else:
                out.append(f"{where}: {name} {snippet(sub)}")
    out += _more(change)
    return out


def _paragraph_lines(change: dict[str, Any]) -> list[str]:
    out = [f'+ ¶{p["paragraph"]} {quoted(p.get("text"))}' for p in change.get("added") or []]
    out += [f'- ¶{p["paragraph"]} {quoted(p.get("text"))}' for p in change.get("removed") or []]
    out += [f'↕ ¶{m["from"]} → ¶{m["to"]} {quoted(m.get("text"))}' for m in change.get("moved") or []]
    for edit in change.get("edited") or []:
        where = f'¶{edit["paragraph"]}' + (f' (was ¶{edit["was"]})' if edit.get("was") != edit["paragraph"] else "")
        if "words" in edit:
            out += [f"~ {where} {word_change(w)}" for w in edit["words"][:10]]
            if len(edit["words"]) > 10:
                out.append(f"~ {where} … and {len(edit['words']) - 10} more word changes")
        else:
            out.append(f"~ {where} {quoted(edit.get('old'))} → {quoted(edit.get('new'))}")
    if change.get("order"):
        out.append(snippet(change["order"]))
    out += _more(change)
    return out


def word_change(change: dict[str, Any]) -> str:
    """``…context [-old-]{+new+}…``: the words before a change, then what went and what came."""
    text = "…" + change["context"] + " " if change.get("context") else ""
    if change.get("old"):
        text += f"[-{snippet(change['old'], 60)}-]"
    if change.get("new"):
        text += f"{{+{snippet(change['new'], 60)}+}}"
    return text + "…"


def _more(change: dict[str, Any]) -> list[str]:
    """The line saying how many entries a diff left out (its ``more``: the lists are cut at 50)."""
    more = change.get("more")
    return ["… and " + ", ".join(f"{n} more {name}" for name, n in more.items())] if more else []

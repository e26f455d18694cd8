"""What ``scrapy history`` and ``scrapy changes`` read: the project's store, opened from the settings only, and
an article's revisions put together from its versions and its stored document.

The store is the crawl's (``MONGO_URI``, else the embedded store ``NEWSCRAWL_STATE``), opened as ``scrapy
replay`` opens it; an embedded store that does not exist yet is not created by a command that only reads.
Failures are one line without credentials (:class:`CommandFailed` carries the line and the exit code).
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any, Iterator

from pymongo.errors import PyMongoError

from ..credentials import redact
from ..cron import EXIT_STORE
from ..incremental import parse_duration
from ..store import SQLiteStore, Store, StoreUnavailable, store_from_settings
from .changes import diff

EXIT_NOT_FOUND = 1  # no such article / nothing stored yet
EXIT_USAGE = 2


class CommandFailed(Exception):
    """One line to print (stderr) and the exit code."""

    def __init__(self, message: str, exitcode: int):
        super().__init__(message)
        self.exitcode = exitcode


@contextmanager
def opened_store(settings) -> Iterator[Store]:
    try:
        store = store_from_settings(settings)
    except ValueError as exc:  # a setting the store cannot take (NEWSCRAWL_VERSIONS_KEEP=..., say)
        raise CommandFailed(str(exc).splitlines()[0], EXIT_USAGE) from None
    if isinstance(store, SQLiteStore) and not store.path.exists():
        raise CommandFailed(f"no embedded store at {store.path} yet: nothing was crawled into it "
                            "(NEWSCRAWL_STATE, or MONGO_URI for MongoDB)", EXIT_NOT_FOUND)
    try:
        store.open()
    except StoreUnavailable as exc:  # its message is one line without credentials
        raise CommandFailed(str(exc), EXIT_STORE) from None
    try:
        yield store
    except (sqlite3.Error, PyMongoError) as exc:  # a read failed (server gone, file locked): one line, no secrets
        first = str(exc).splitlines()[0][:300] if str(exc) else ""
        raise CommandFailed(f"reading the {store.describe()} failed: {type(exc).__name__}: "
                            f"{redact(first, settings['MONGO_URI'] or '')}", EXIT_STORE) from None
    finally:
        store.close()


def parse_since(value: str, now: datetime | None = None) -> datetime:
    """``--since``: a duration back from now (``1d``, ``12h``, ``30m``, ``2w``: as ``recheck`` takes them) or an
    ISO 8601 date or time (a date is its midnight in UTC, a time without offset is UTC). Aware, UTC."""
    now = now or datetime.now(timezone.utc)
    text = (value or "").strip()
    try:
        span = parse_duration(text, "--since")
    except ValueError:
        span = None
    if span is not None and text[-1:].isalpha():
        return now - span
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise CommandFailed(f"--since must be a duration like 1d, 12h or 2w, or an ISO date like 2026-01-31 or "
                            f"2026-01-31T12:00:00+01:00; got {value!r}", EXIT_USAGE) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc)


def is_url(value: str) -> bool:
    return value.strip().lower().startswith(("http://", "https://"))


def find_key(store: Store, wanted: str) -> str | None:
    """The stored article's key for a key or a URL (any spelling of it the store knows)."""
    wanted = wanted.strip()
    if is_url(wanted):
        return store.key_for_url(wanted)
    if store.get(wanted) is not None or store.versions(wanted):
        return wanted
    return None


def revisions(store: Store, key: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The stored document of ``key`` and every revision known of it, oldest first: each version kept, and from
    the document's short history the revisions whose versions are not (stored before versions existed, or
    beyond the retention): those have ``fields`` None. A version stored without ``changes`` (written by the
    spool's replay) gets them from the version before it, when that one is kept."""
    doc = store.get(key)
    kept = {v["revision"]: dict(v) for v in store.versions(key)}
    for entry in (doc or {}).get("history") or []:
        revision = entry.get("revision")
        if isinstance(revision, int) and revision not in kept:
            kept[revision] = {"key": key, "revision": revision, "seen_at": entry.get("seen_at"),
                              "content_hash": entry.get("content_hash"), "fields": None, "changes": None}
    ordered = [kept[r] for r in sorted(kept)]
    for before, version in zip(ordered, ordered[1:]):
        if (version["changes"] is None and version["revision"] == before["revision"] + 1
                and before.get("fields") is not None and version.get("fields") is not None):
            version["changes"] = diff(before["fields"], version["fields"])
    return doc, ordered


def shown_time(stamp: Any) -> str:
    """A stored time as ``2026-12-02 16:20:01 UTC`` (a text that is no time as it is)."""
    if not isinstance(stamp, str):
        return "(unknown time)"
    try:
        when = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


__all__ = ["CommandFailed", "EXIT_NOT_FOUND", "EXIT_USAGE", "find_key", "is_url", "opened_store", "parse_since",
           "revisions", "shown_time"]

"""Article versions: what each stored revision of an article held, kept beside the article.

Every record written as a new or changed revision also writes one version (both stores)::

    {key, revision, seen_at, content_hash, fields, changes}

``fields`` are the article's content fields as the item had them, the ones its content hash covers
(:data:`newscrawl.records.CONTENT_FIELDS`: fetch metadata, the comment count and injected news galleries are
not among them), so that ``content_hash(fields) == content_hash``; they are stored as fetched, not in the
compared form (:func:`newscrawl.records.content_fields` makes that from them when needed: it costs more than
the rest of a version's write). ``changes`` what the item said had changed since the previous revision (None for a first
revision or an item without it), ``seen_at`` when that content was fetched, as a UTC ISO 8601 time of one
fixed width (so that text order is time order). A version is written in the same batch as its article and
before it (the embedded store: in the same transaction; MongoDB: ``article_versions``, unique on
``(key, revision)``, inserted before the article), so no revision is stored without its version. Sightings
of unchanged articles add nothing. Articles stored before versions existed have none until their next
revision.

Settings (defaults in newscrawl/settings.py): ``NEWSCRAWL_VERSIONS_ENABLED`` switches writing versions off;
``NEWSCRAWL_VERSIONS_KEEP`` is the retention, applied when a key is written: ``all``, ``<N>`` (the versions of
the last N revisions of each article) or ``<N>d`` (versions seen within the last N days; the latest revision's
is always kept).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from scrapy.exceptions import UsageError

from ..records import CONTENT_FIELDS, is_injected_gallery
from .base import Record

KEEP_SETTING = "NEWSCRAWL_VERSIONS_KEEP"
KEEP_HELP = "all, a number of revisions per article like 20, or a number of days like 30d"
_KEEP = re.compile(r"(\d+)\s*(d?)")


class VersionsSettingError(UsageError, ValueError):
    """A bad ``NEWSCRAWL_VERSIONS_KEEP``: one line naming the setting and valid values. A ``UsageError``, as
    the other settings refused before a run starts (the commands exit 2 with its line)."""

    def __init__(self, message: str):
        super().__init__(message, print_help=False)


@dataclass(frozen=True)
class VersionPolicy:
    """Whether versions are written, and which are kept: all (both None), the last ``keep_last`` revisions
    of each article, or those seen within ``keep_days`` days (the latest revision's always)."""

    enabled: bool = True
    keep_last: int | None = None
    keep_days: int | None = None

    @property
    def keeps_all(self) -> bool:
        return self.keep_last is None and self.keep_days is None

    def cutoff(self, now: datetime | None = None) -> str | None:
        """With ``keep_days``: the oldest ``seen_at`` kept, as stored (:func:`stamp`)."""
        if self.keep_days is None:
            return None
        return stamp((now or datetime.now(timezone.utc)) - timedelta(days=self.keep_days))

    def describe(self) -> str:
        if not self.enabled:
            return "versions off"
        if self.keep_last is not None:
            return f"versions of the last {self.keep_last} revisions"
        if self.keep_days is not None:
            return f"versions seen within {self.keep_days} days"
        return "all versions"


def parse_keep(value: Any) -> tuple[int | None, int | None]:
    """``NEWSCRAWL_VERSIONS_KEEP`` as (keep_last, keep_days): ``all`` (or empty) keeps all, ``20`` the last 20
    revisions, ``30d`` 30 days. Anything else raises :class:`VersionsSettingError` naming the setting."""
    text = "" if value is None else str(value).strip().lower()
    if text in ("", "all") and not isinstance(value, bool):
        return None, None
    m = _KEEP.fullmatch(text)
    if isinstance(value, bool) or not m or int(m.group(1)) < 1:
        raise VersionsSettingError(f"{KEEP_SETTING} must be {KEEP_HELP}; got {value!r}")
    number = int(m.group(1))
    return (None, number) if m.group(2) else (number, None)


def policy_from_settings(settings) -> VersionPolicy:
    """The policy the settings give; raises :class:`VersionsSettingError` for a bad retention."""
    keep_last, keep_days = parse_keep(settings["NEWSCRAWL_VERSIONS_KEEP"])
    return VersionPolicy(settings.getbool("NEWSCRAWL_VERSIONS_ENABLED"), keep_last, keep_days)


def stamp(when: str | datetime) -> str:
    """A time as versions store it: UTC, ISO 8601 with microseconds (one width: text order is time order).
    A naive time is taken as UTC; a text that is no ISO time is kept as it is (it then sorts by its text)."""
    if isinstance(when, str):
        try:
            parsed = datetime.fromisoformat(when.strip())
        except ValueError:
            return when
    else:
        parsed = when
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc).isoformat(timespec="microseconds")


def since_stamp(since: str | datetime) -> str:
    """``changed_since``'s argument as stored times compare: a datetime or an ISO 8601 text, else ValueError."""
    if isinstance(since, str):
        try:
            datetime.fromisoformat(since.strip())
        except ValueError:
            raise ValueError(f"since must be an ISO 8601 time like 2026-01-31T12:00:00+00:00, got {since!r}") from None
    return stamp(since)


def stored_fields(source: dict[str, Any]) -> dict[str, Any]:
    """The content fields of an item (or a stored document) as it has them, without injected news galleries."""
    fields = {name: source.get(name) for name in CONTENT_FIELDS}
    fields["galleries"] = [g for g in (source.get("galleries") or []) if not is_injected_gallery(g)]
    return fields


def version_doc(rec: Record, revision: int | None = None) -> dict[str, Any]:
    """The version of ``rec`` (as ``revision``, else its own): the content fields of the item it came from
    (galleries with their slides, as hashed), else of its document."""
    source = rec.item if rec.item is not None else rec.doc
    return {"key": rec.key, "revision": rec.revision if revision is None else revision, "seen_at": stamp(rec.seen_at),
            "content_hash": rec.content_hash, "fields": stored_fields(source), "changes": rec.doc.get("changes")}


VERSION_FIELDS = ("key", "revision", "seen_at", "content_hash", "fields", "changes")
CHANGE_FIELDS = ("key", "url", "revision", "seen_at", "changes")

"""``scrapy history <key|url>``: every revision of one stored article, when it was seen and what changed.

    scrapy history heute:120082094
    scrapy history https://www.heute.at/s/mobiles-datenfeuerwerk-von-57-millionen-gigabyte-120082094
    scrapy history heute:120082094 --json

The article is named by its key (``<site>:<id>``, ``url:<canonical URL>``) or by a URL (any spelling the store
knows: with or without ``www``, tracking parameters, ``/comments``). The store is the crawl's (``MONGO_URI``,
else the embedded store ``NEWSCRAWL_STATE``: settings and environment only). Prints the revisions oldest first,
each with the time it was seen and its changes (:mod:`newscrawl.versions.render`); ``--json`` prints one JSON
document (``key``, ``url``, ``first_seen``, ``last_seen`` and ``revisions``: ``revision``, ``seen_at``,
``content_hash``, ``changed`` (the field names), ``changes`` and ``fields``). Revisions stored before versions
were kept show their time and hash only. Exit 0; 1 when no stored article has that key or URL; 2 for a usage
error; 3 when the store cannot be read.
"""

from __future__ import annotations

import json
import sys

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from ..addon import keep_old_names, resolve
from ..versions.reading import EXIT_NOT_FOUND, CommandFailed, find_key, opened_store, revisions, shown_time
from ..versions.render import change_lines


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False
    default_settings = {"LOG_LEVEL": "WARNING"}  # the output is the history; -L INFO shows the store's lines

    def syntax(self) -> str:
        return "<key|url> [--json]"

    def short_desc(self) -> str:
        return "Show every stored revision of one article, when it was seen and what changed"

    def long_desc(self) -> str:
        return (__doc__ or "").strip()

    def add_options(self, parser) -> None:
        super().add_options(parser)
        parser.add_argument("--json", action="store_true", help="print the history as one JSON document")

    def run(self, args, opts) -> None:
        if len(args) != 1 or not args[0].strip():
            raise UsageError("scrapy history takes one article key or URL, e.g. heute:120082094", print_help=False)
        resolve(self.settings)
        keep_old_names(self.settings)
        try:
            with opened_store(self.settings) as store:
                key = find_key(store, args[0])
                if key is None:
                    raise CommandFailed(f"no stored article has the {'URL' if '://' in args[0] else 'key'} "
                                        f"{args[0].strip()!r} ({store.describe()})", EXIT_NOT_FOUND)
                doc, known = revisions(store, key)
        except CommandFailed as exc:
            print(f"history: {exc}", file=sys.stderr, flush=True)
            self.exitcode = exc.exitcode
            return
        if opts.json:
            print(json.dumps(as_json(key, doc, known), ensure_ascii=False, indent=1), flush=True)
        else:
            print("\n".join(as_text(key, doc, known)), flush=True)
        self.exitcode = 0


def as_json(key: str, doc: dict | None, known: list[dict]) -> dict:
    doc = doc or {}
    return {"key": key, "url": doc.get("url"), "first_seen": doc.get("first_seen"), "last_seen": doc.get("last_seen"),
            "revisions": [{"revision": v["revision"], "seen_at": v.get("seen_at"), "content_hash": v.get("content_hash"),
                           "changed": list(v.get("changes") or {}), "changes": v.get("changes"),
                           "fields": v.get("fields")} for v in known]}


def as_text(key: str, doc: dict | None, known: list[dict]) -> list[str]:
    doc = doc or {}
    count = len(known)
    lines = [f"{key}  {doc.get('url') or doc.get('canonical_url') or ''}".rstrip()]
    if doc.get("headline"):
        lines.append(f"  {doc['headline']}")
    lines.append(f"  {count} revision{'s' if count != 1 else ''}; first seen {shown_time(doc.get('first_seen'))}, "
                 f"last seen {shown_time(doc.get('last_seen'))}")
    first = known[0]["revision"] if known else None
    if first is not None and first > 1:
        lines.append(f"  (revisions 1 to {first - 1} are no longer kept)")
    for version in known:
        changes = version.get("changes")
        head = f"revision {version['revision']}  seen {shown_time(version.get('seen_at'))}"
        if version["revision"] == 1:
            lines.append(f"{head}  first version")
        elif changes:
            lines.append(f"{head}  changed: {', '.join(changes)}")
        elif version.get("fields") is None:
            lines.append(f"{head}  (content not kept: stored before versions were, or beyond the retention)")
        else:
            lines.append(f"{head}  changed (what changed is not known: the revision before it is not kept)")
        lines += [f"  {line}" for line in change_lines(changes)]
    return lines

"""``scrapy changes --since 1d``: the stored articles that changed in a period, with the fields that changed.

    scrapy changes                           # the last day
    scrapy changes --since 12h               # a duration back from now: 30m, 12h, 2d, 1w
    scrapy changes --since 2026-01-31        # an ISO date (its midnight, UTC) or time (2026-01-31T08:00+01:00)
    scrapy changes --since 2d --details      # each change too, as `scrapy history` shows it
    scrapy changes --since 2d --json         # one JSON document

One line per changed revision (revision 2 and later: a first revision is new, not changed), oldest first:
when it was seen, the key, the revision, the changed fields and the article's URL. The store is the crawl's
(``MONGO_URI``, else the embedded store ``NEWSCRAWL_STATE``: settings and environment only). Exit 0 (also when
nothing changed); 2 for a usage error; 3 when the store cannot be read; 1 when no embedded store exists yet.
"""

from __future__ import annotations

import json
import sys

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from ..addon import keep_old_names, resolve
from ..versions.reading import CommandFailed, opened_store, parse_since, shown_time
from ..versions.render import change_lines

DEFAULT_SINCE = "1d"


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False
    default_settings = {"LOG_LEVEL": "WARNING"}

    def syntax(self) -> str:
        return "[--since 1d|ISO date] [--details] [--json]"

    def short_desc(self) -> str:
        return "List the stored articles that changed in a period, with the fields that changed"

    def long_desc(self) -> str:
        return (__doc__ or "").strip()

    def add_options(self, parser) -> None:
        super().add_options(parser)
        parser.add_argument("--since", default=DEFAULT_SINCE, metavar="WHEN",
                            help=f"a duration back from now (30m, 12h, 2d, 1w) or an ISO date or time "
                                 f"(default: {DEFAULT_SINCE})")
        parser.add_argument("--details", action="store_true", help="show what changed, not only which fields")
        parser.add_argument("--json", action="store_true", help="print the changes as one JSON document")

    def run(self, args, opts) -> None:
        if args:
            raise UsageError("scrapy changes takes no arguments (the period is --since 1d)", print_help=False)
        resolve(self.settings)
        keep_old_names(self.settings)
        try:
            since = parse_since(opts.since)
            with opened_store(self.settings) as store:
                found = store.changed_since(since.isoformat())
        except CommandFailed as exc:
            print(f"changes: {exc}", file=sys.stderr, flush=True)
            self.exitcode = exc.exitcode
            return
        if opts.json:
            print(json.dumps({"since": since.isoformat(), "changes": [
                {**change, "changed": list(change.get("changes") or {})} for change in found]},
                ensure_ascii=False, indent=1), flush=True)
        else:
            print("\n".join(as_text(since, found, opts.details)), flush=True)
        self.exitcode = 0


def as_text(since, found: list[dict], details: bool) -> list[str]:
    articles = len({change["key"] for change in found})
    if not found:
        return [f"no stored article changed since {shown_time(since.isoformat())}"]
    lines = [f"{len(found)} change{'s' if len(found) != 1 else ''} of {articles} "
             f"article{'s' if articles != 1 else ''} since {shown_time(since.isoformat())}"]
    for change in found:
        fields = ", ".join(change.get("changes") or {}) or "(what changed is not known)"
        lines.append(f"{shown_time(change.get('seen_at'))}  {change['key']}  revision {change['revision']}  "
                     f"{fields}  {change.get('url') or ''}".rstrip())
        if details:
            lines += [f"    {line}" for line in change_lines(change.get("changes"))]
    return lines

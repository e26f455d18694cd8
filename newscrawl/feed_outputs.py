"""Which feeds a run writes, and whether it can write them: applied by the newscrawl add-on (newscrawl.addon).

**The default feed gives way.** ``FEEDS`` in newscrawl/settings.py holds one feed, marked with the option
``newscrawl_default``: the per-run JSONL file. Scrapy's ``-o``/``-O`` *add* their feeds to ``FEEDS``
(``BaseRunSpiderCommand.process_options`` merges the project's ``FEEDS`` into the command line's and sets the
result at ``cmdline`` priority), so ``-O one.jsonl`` wrote two files. :func:`select_feeds` drops the marked
feed when ``FEEDS`` was given at ``cmdline`` priority or above and holds another feed (``-o``, ``-O``,
``-s FEEDS=...``), and whenever ``NEWSCRAWL_DEFAULT_FEED`` is off.

**A feed that cannot be written stops the run before it starts.** Scrapy's FeedExporter disables itself —
every feed, the default JSONL included — when one feed's storage is unknown or raises NotConfigured (S3
without boto3), with one ERROR line in the log and exit code 0; Google Cloud Storage without its library
is not even noticed until the upload fails at the end of the crawl. :func:`check_feeds` raises
:class:`FeedOutputError` (a ValueError, as the other refused settings: ``scrapy crawl`` and ``cronrun`` call it
with their checks before the crawl and exit 2 with its one line, newscrawl.commands.checks) for an unknown
storage scheme, a storage whose library is missing (naming the extra to install) and an unknown format. The
add-on calls it too, so a crawl started another way (a script, scrapyd) fails at start rather than export
nothing.
"""

from __future__ import annotations

import importlib
from pathlib import PurePosixPath, PureWindowsPath
from urllib.parse import urlparse

from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings
from scrapy.utils.misc import load_object

from .credentials import mask_uri

DEFAULT_MARK = "newscrawl_default"  # the feed option that marks the default per-run feed in FEEDS

# Storage class -> (module it needs, package, newscrawl extra that installs it). Subclasses need the same.
STORAGE_LIBRARIES = {
    "scrapy.extensions.feedexport.S3FeedStorage": ("boto3", "boto3", "s3"),
    "scrapy.extensions.feedexport.GCSFeedStorage": ("google.cloud.storage", "google-cloud-storage", "gcs"),
}


class FeedOutputError(ValueError):
    """A feed this run cannot write; the message is one line, with any credentials of the URI masked."""


def is_default(options) -> bool:
    return isinstance(options, dict) and bool(options.get(DEFAULT_MARK))


def select_feeds(settings: BaseSettings) -> None:
    """Drop the default feed from ``FEEDS`` when the switch is off or feeds were given on the command line
    (at the priority ``FEEDS`` already has, so nothing below it can bring the default back)."""
    feeds = settings.getdict("FEEDS")
    defaults = [uri for uri, options in feeds.items() if is_default(options)]
    if not defaults:
        return
    priority = settings.getpriority("FEEDS") or 0
    given = priority >= SETTINGS_PRIORITIES["cmdline"] and len(defaults) < len(feeds)
    if given or not settings.getbool("NEWSCRAWL_DEFAULT_FEED"):
        settings.set("FEEDS", {uri: options for uri, options in feeds.items() if uri not in defaults},
                     priority=priority)


def _components(settings: BaseSettings, name: str) -> dict:
    return {key: value for key, value in settings.getwithbase(name).items() if value is not None}


def _missing_library(storage: str) -> tuple[str, str, str] | None:
    """(module, package, extra) when the storage class at ``storage`` needs a library that cannot be imported."""
    cls = load_object(storage)
    for path, (module, package, extra) in STORAGE_LIBRARIES.items():
        if issubclass(cls, load_object(path)):
            try:
                importlib.import_module(module)
            except ImportError:
                return module, package, extra
    return None


def feed_problems(settings: BaseSettings) -> list[str]:
    """One line for each feed of ``FEEDS`` the FeedExporter would refuse (and so disable every feed for)."""
    storages = _components(settings, "FEED_STORAGES")
    exporters = _components(settings, "FEED_EXPORTERS")
    problems = []
    for uri, options in settings.getdict("FEEDS").items():
        uri = str(uri)
        shown = mask_uri(uri) if "://" in uri else uri
        scheme = urlparse(uri).scheme
        if PureWindowsPath(uri).drive:
            scheme = "file"
        if scheme not in storages:
            problems.append(f"feed {shown}: unknown storage scheme {scheme!r} "
                            f"(known: {', '.join(sorted(s + ':' for s in storages if s))} or a file path)")
            continue
        missing = _missing_library(storages[scheme])
        if missing:
            module, package, extra = missing
            problems.append(f"feed {shown}: the {scheme}: storage needs {package}, which is not installed "
                            f"(no module {module}): pip install 'newscrawl[{extra}]'")
            continue
        fmt = (options or {}).get("format") or PurePosixPath(uri).suffix.removeprefix(".")  # as Scrapy infers it
        if fmt not in exporters:
            problems.append(f"feed {shown}: unknown format {fmt!r} (known: {', '.join(sorted(exporters))})")
    return problems


def check_feeds(settings: BaseSettings) -> None:
    """Raise :class:`FeedOutputError` with the first problem of :func:`feed_problems`, if any."""
    problems = feed_problems(settings)
    if problems:
        more = f" (and {len(problems) - 1} more feed problem(s))" if len(problems) > 1 else ""
        raise FeedOutputError(problems[0] + more)

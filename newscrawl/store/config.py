"""The store's configuration, checked before a run starts: a ``MONGO_URI`` that can never work stops the run.

A malformed URI (``mongodb//localhost``), another scheme (``redis://...``), an unknown option
(``?conectTimeoutMS=5000``) or an option's bad value (``?journal=maybe``) fail the same way every time, so
spooling items and exiting 1 (what an *unreachable* server gets, rightly: it may come back) only hides the typo.
:func:`check_store_config` raises :class:`StoreConfigError` for them, with the URI masked
(:func:`newscrawl.credentials.mask_uri`) and the parser's message redacted; ``scrapy crawl``, ``scrapy cronrun``
and ``scrapy replay`` print its one line and exit 2 before anything starts.

The URI is read by pymongo's own parser (:func:`pymongo.uri_parser.parse_uri`, what ``MongoClient`` uses), never
connecting: a ``mongodb+srv://`` URI is parsed as ``mongodb://`` with its one host, because pymongo resolves SRV
records while parsing it (DNS that fails is an unreachable server, not a malformed URI). A well-formed URI of a
server that is down passes, and the run spools as before.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from pymongo import uri_parser
from pymongo.errors import ConfigurationError, InvalidURI

from ..credentials import ESCAPE_HINT, mask_uri, redact, split_uri
from .versions import VersionsSettingError, policy_from_settings

SRV_SCHEME = "mongodb+srv://"
SRV_ONLY_OPTIONS = frozenset({"srvservicename", "srvmaxhosts"})  # refused by parse_uri on a mongodb:// URI
EXAMPLE = "mongodb://localhost:27017 or mongodb://user:password@db.example.net:27017/?authSource=admin"


class StoreConfigError(ValueError):
    """A store setting that can never work; the message is one line, without credentials."""


def _without_srv(uri: str) -> str:
    """``mongodb+srv://host/db?opts`` as ``mongodb://host/db?opts`` without the SRV-only options."""
    rest = uri[len(SRV_SCHEME):]
    head, sep, query = rest.partition("?")
    kept = "&".join(part for part in query.split("&") if part.split("=", 1)[0].lower() not in SRV_ONLY_OPTIONS)
    return "mongodb://" + head + (sep + kept if kept else "")


def check_mongo_uri(uri: str, setting: str = "MONGO_URI") -> None:
    """Raise :class:`StoreConfigError` when ``uri`` is no MongoDB URI pymongo accepts."""
    shown = mask_uri(uri)
    if split_uri(uri) is None:  # pymongo's own message could quote a password it misread as a host
        why = (ESCAPE_HINT if "://" in uri else "it must begin with mongodb:// or mongodb+srv://")
        raise StoreConfigError(f"{setting} {shown} is not a MongoDB URI: {why}; a valid one looks like {EXAMPLE}")
    srv = uri.lower().startswith(SRV_SCHEME)
    if srv:
        hosts = urlsplit(uri).netloc.rpartition("@")[2]
        if "," in hosts or urlsplit(uri).port is not None:
            raise StoreConfigError(f"{setting} {shown}: a mongodb+srv:// URI names one host name without a port "
                                   f"(like mongodb+srv://cluster0.example.net/)")
    try:
        uri_parser.parse_uri(_without_srv(uri) if srv else uri, validate=True, warn=False)
    except (InvalidURI, ConfigurationError, ValueError, TypeError) as exc:
        first_line = (str(exc).splitlines() or [type(exc).__name__])[0]
        options = sorted({name for name, _ in parse_qsl(urlsplit(uri).query, keep_blank_values=True)})
        given = (f" (options given: {redact(', '.join(options), uri)})" if options and "option" in first_line.lower()
                 else "")
        raise StoreConfigError(f"{setting} {shown} is not a valid MongoDB URI: {redact(first_line, uri)[:300]}{given}; "
                               f"a valid one looks like {EXAMPLE}") from None


def check_store_config(settings) -> None:
    """Raise :class:`StoreConfigError` for store settings no run can work with (an empty ``MONGO_URI`` is the
    embedded store, which needs nothing here), and a ``NEWSCRAWL_VERSIONS_KEEP`` that does not read."""
    try:
        policy_from_settings(settings)
    except VersionsSettingError as exc:
        raise StoreConfigError(str(exc)) from None
    uri = settings.get("MONGO_URI")
    if uri is None or (isinstance(uri, str) and not uri.strip()):
        return
    if not isinstance(uri, str):
        raise StoreConfigError(f"MONGO_URI must be a string like {EXAMPLE}, got a {type(uri).__name__}")
    check_mongo_uri(uri.strip())

"""The environment variables newscrawl reads, and the setting each one sets: one table, read once.

``newscrawl.settings`` calls :func:`read` when it loads and takes the values over its defaults, at Scrapy's
``project`` priority: so an environment variable wins over a default and over the project's settings, and
``-s NAME=VALUE`` (``cmdline`` priority; scrapyd's ``setting=`` and hosted Scrapy platforms pass settings the
same way) wins over the environment. Nothing else in newscrawl reads ``os.environ`` for a setting.

Most variables carry the setting's own name. Those named ``NEWSCRAWL_<Scrapy setting>`` set the Scrapy setting
(``NEWSCRAWL_DOWNLOAD_DELAY`` -> ``DOWNLOAD_DELAY``); the same ``NEWSCRAWL_`` names also work as settings
(``-s NEWSCRAWL_DOWNLOAD_DELAY=0``, resolved by :mod:`newscrawl.addon`). An empty variable counts as unset.
A value that does not parse stops the run at once with the variable's name, not half-way through a crawl.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any, Callable, Mapping

TRUE = ("1", "true", "yes", "on")
FALSE = ("0", "false", "no", "off")


def flag(text: str) -> bool:
    value = text.strip().lower()
    if value in TRUE or value in FALSE:
        return value in TRUE
    raise ValueError(f"must be one of {'/'.join(TRUE)} or {'/'.join(FALSE)}")


def integer(text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise ValueError("must be a whole number") from None


def number(text: str) -> float:
    try:
        return float(text.strip())
    except ValueError:
        raise ValueError("must be a number") from None


def text(value: str) -> str:
    return value.strip()


def json_object(text: str) -> dict:
    try:
        value = json.loads(text)
    except ValueError:
        raise ValueError('must be a JSON object, e.g. {"heute": "http://127.0.0.1:8765"}') from None
    if not isinstance(value, dict):
        raise ValueError('must be a JSON object, e.g. {"heute": "http://127.0.0.1:8765"}')
    return value


@dataclass(frozen=True)
class Variable:
    setting: str
    parse: Callable[[str], Any]
    deprecated: bool = False  # an old name, still read this release: newscrawl.addon warns once


def _same(parse: Callable[[str], Any], *names: str) -> dict[str, Variable]:
    return {name: Variable(name, parse) for name in names}


# Environment variable -> (setting, parser). Kept in the order of newscrawl/settings.py.
VARIABLES: dict[str, Variable] = {
    # Scrapy settings under a NEWSCRAWL_ name (newscrawl.addon.ALIASES maps the same names as settings)
    "NEWSCRAWL_USER_AGENT": Variable("USER_AGENT", text),
    "NEWSCRAWL_ROBOTSTXT_OBEY": Variable("ROBOTSTXT_OBEY", flag),
    "NEWSCRAWL_CONCURRENT_REQUESTS": Variable("CONCURRENT_REQUESTS", integer),
    "NEWSCRAWL_CONCURRENT_REQUESTS_PER_DOMAIN": Variable("CONCURRENT_REQUESTS_PER_DOMAIN", integer),
    "NEWSCRAWL_DOWNLOAD_DELAY": Variable("DOWNLOAD_DELAY", number),
    "NEWSCRAWL_AUTOTHROTTLE": Variable("AUTOTHROTTLE_ENABLED", flag),
    "NEWSCRAWL_DOWNLOAD_TIMEOUT": Variable("DOWNLOAD_TIMEOUT", number),
    "NEWSCRAWL_DOWNLOAD_MAXSIZE": Variable("DOWNLOAD_MAXSIZE", integer),
    "NEWSCRAWL_RETRY_TIMES": Variable("RETRY_TIMES", integer),
    "NEWSCRAWL_HTTPCACHE": Variable("HTTPCACHE_ENABLED", flag),
    "NEWSCRAWL_HTTPCACHE_EXPIRATION_SECS": Variable("HTTPCACHE_EXPIRATION_SECS", integer),
    "NEWSCRAWL_CONCURRENT_ITEMS": Variable("CONCURRENT_ITEMS", integer),
    "NEWSCRAWL_TELNETCONSOLE": Variable("TELNETCONSOLE_ENABLED", flag),
    "NEWSCRAWL_REMOTE_CONTROL": Variable("REMOTE_CONTROL_ENABLED", flag),
    "NEWSCRAWL_LOG_LEVEL": Variable("LOG_LEVEL", text),
    # newscrawl's own settings, same name
    **_same(number, "NEWSCRAWL_RETRY_BACKOFF", "NEWSCRAWL_RETRY_BACKOFF_MAX"),
    **_same(text, "NEWSCRAWL_EXTRACT_PROCESSES"),
    **_same(number, "NEWSCRAWL_EXTRACT_TIME_BUDGET"),
    **_same(flag, "NEWSCRAWL_SECOND_OPINION"),
    **_same(json_object, "NEWSCRAWL_BASE_URLS"),
    **_same(text, "HEUTE_BASE_URL", "ZWANZIGMINUTEN_BASE_URL"),  # deprecated: the spider warns (spiders/site.py)
    **_same(text, "NEWSCRAWL_OUTPUT_DIR"),
    **_same(flag, "NEWSCRAWL_DEFAULT_FEED"),
    **_same(flag, "NEWSCRAWL_VALIDATE_ENABLED", "NEWSCRAWL_NORMALISE_ENABLED", "NEWSCRAWL_DEDUP_ENABLED",
            "NEWSCRAWL_STORE_ENABLED"),
    **_same(text, "MONGO_URI", "MONGO_DATABASE", "MONGO_COLLECTION"),
    **_same(integer, "NEWSCRAWL_STORE_BUFFER_SIZE"),
    **_same(number, "NEWSCRAWL_STORE_FLUSH_INTERVAL"),
    "MONGO_BUFFER_SIZE": Variable("NEWSCRAWL_STORE_BUFFER_SIZE", integer, deprecated=True),
    "MONGO_FLUSH_INTERVAL": Variable("NEWSCRAWL_STORE_FLUSH_INTERVAL", number, deprecated=True),
    **_same(integer, "MONGO_CONNECT_TIMEOUT_MS", "MONGO_RETRIES"),
    **_same(text, "NEWSCRAWL_STATE", "NEWSCRAWL_SPOOL"),
    **_same(flag, "NEWSCRAWL_VERSIONS_ENABLED"),
    **_same(text, "NEWSCRAWL_VERSIONS_KEEP"),
    **_same(integer, "NEWSCRAWL_MAX_DOCUMENT_BYTES", "NEWSCRAWL_MAX_ARTICLES_PER_RUN", "NEWSCRAWL_MAX_SITEMAPS"),
    **_same(flag, "NEWSCRAWL_INCREMENTAL"),
    **_same(text, "NEWSCRAWL_RECHECK", "NEWSCRAWL_RECHECK_EVERY"),
    **_same(integer, "NEWSCRAWL_INCREMENTAL_BATCH"),
    **_same(text, "NEWSCRAWL_LOCK_DIR"),
    **_same(integer, "NEWSCRAWL_MAX_ERRORS"),
    **_same(text, "NEWSCRAWL_COVERAGE_FLOORS"),
    **_same(integer, "NEWSCRAWL_COVERAGE_MIN_ITEMS"),
    **_same(number, "NEWSCRAWL_DRIFT_MARGIN"),
    **_same(integer, "NEWSCRAWL_DRIFT_MIN_RUNS"),
    **_same(text, "REDIS_URL"),
    **_same(number, "NEWSCRAWL_REDIS_WORKER_TTL", "NEWSCRAWL_REDIS_LOST_TIMEOUT", "NEWSCRAWL_REDIS_SOCKET_TIMEOUT",
            "NEWSCRAWL_REDIS_POLL"),
    **_same(number, "NEWSCRAWL_PROGRESS_INTERVAL"),
}


def read(environ: Mapping[str, str] | None = None) -> tuple[dict[str, Any], dict[str, str]]:
    """The settings the environment sets, and for each the variable it came from.

    A deprecated variable is used only when the variable with the new name is not set."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for name, variable in sorted(VARIABLES.items(), key=lambda kv: not kv[1].deprecated):  # new names last: win
        raw = environ.get(name)
        if raw is None or not raw.strip():
            continue
        try:
            values[variable.setting] = variable.parse(raw)
        except ValueError as exc:
            raise ValueError(f"environment variable {name} {exc}, got {raw!r}") from None
        sources[variable.setting] = name
    return values, sources

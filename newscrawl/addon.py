"""The newscrawl add-on (``ADDONS`` in newscrawl/settings.py): settings derived from other settings, at run time.

Scrapy merges the defaults, the project settings (with the environment, :mod:`newscrawl.environment`), the
spider's ``custom_settings`` and ``-s`` before it calls an add-on, so what is derived here follows the final
value whichever way it was given (``-s``, scrapyd's ``setting=``, a hosted platform, the environment):

- ``NEWSCRAWL_<Scrapy setting>`` names (:data:`ALIASES`) set the Scrapy setting unless that was given at a
  higher priority: ``-s NEWSCRAWL_LOG_LEVEL=WARNING`` sets ``LOG_LEVEL``.
- ``REDIS_URL`` switches the scheduler, duplicate filter and queue to scrapy-redis and turns on
  :class:`newscrawl.distributed.RedisCrawlExtension` (:func:`redis_mode`).
- Deprecated names (:data:`DEPRECATED`) still set the new one, with one WARNING per process naming it.
- ``FEEDS``: ``-o``/``-O`` (or ``NEWSCRAWL_DEFAULT_FEED = False``) drop the default per-run JSONL feed, and a
  feed the run could not write (unknown storage, missing boto3 / google-cloud-storage, unknown format) stops
  the crawl before it starts with one line (:mod:`newscrawl.feed_outputs`).

:meth:`Addon.update_pre_crawler_settings` resolves the process's settings before Scrapy configures logging
(so ``NEWSCRAWL_LOG_LEVEL`` holds from the first line); :meth:`Addon.update_settings` resolves each crawler's,
with the spider's ``custom_settings``. Commands without a crawler (``scrapy replay``) call :func:`resolve`.
The JSONL feed's folder (``NEWSCRAWL_OUTPUT_DIR``) is read when the feed opens (newscrawl.exporters).
"""

from __future__ import annotations

import logging

from scrapy.settings import BaseSettings
from scrapy.utils.misc import load_object

from .feed_outputs import check_feeds, select_feeds

logger = logging.getLogger(__name__)

# NEWSCRAWL_ name -> the Scrapy setting it sets (the environment variables of the same names set the Scrapy
# setting directly: newscrawl.environment).
ALIASES = {
    "NEWSCRAWL_USER_AGENT": "USER_AGENT",
    "NEWSCRAWL_ROBOTSTXT_OBEY": "ROBOTSTXT_OBEY",
    "NEWSCRAWL_CONCURRENT_REQUESTS": "CONCURRENT_REQUESTS",
    "NEWSCRAWL_CONCURRENT_REQUESTS_PER_DOMAIN": "CONCURRENT_REQUESTS_PER_DOMAIN",
    "NEWSCRAWL_DOWNLOAD_DELAY": "DOWNLOAD_DELAY",
    "NEWSCRAWL_AUTOTHROTTLE": "AUTOTHROTTLE_ENABLED",
    "NEWSCRAWL_DOWNLOAD_TIMEOUT": "DOWNLOAD_TIMEOUT",
    "NEWSCRAWL_DOWNLOAD_MAXSIZE": "DOWNLOAD_MAXSIZE",
    "NEWSCRAWL_RETRY_TIMES": "RETRY_TIMES",
    "NEWSCRAWL_HTTPCACHE": "HTTPCACHE_ENABLED",
    "NEWSCRAWL_HTTPCACHE_EXPIRATION_SECS": "HTTPCACHE_EXPIRATION_SECS",
    "NEWSCRAWL_CONCURRENT_ITEMS": "CONCURRENT_ITEMS",
    "NEWSCRAWL_TELNETCONSOLE": "TELNETCONSOLE_ENABLED",
    "NEWSCRAWL_REMOTE_CONTROL": "REMOTE_CONTROL_ENABLED",
    "NEWSCRAWL_LOG_LEVEL": "LOG_LEVEL",
}

# Old name -> new name; the old names go in the next release. They served the SQLite store as much as MongoDB.
DEPRECATED = {
    "MONGO_BUFFER_SIZE": "NEWSCRAWL_STORE_BUFFER_SIZE",
    "MONGO_FLUSH_INTERVAL": "NEWSCRAWL_STORE_FLUSH_INTERVAL",
}

# What REDIS_URL switches on (newscrawl.distributed explains each part).
REDIS_SETTINGS = {
    "SCHEDULER": "newscrawl.distributed.Scheduler",
    "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
    "SCHEDULER_PERSIST": True,
    "SCHEDULER_QUEUE_CLASS": "newscrawl.distributed.ReliablePriorityQueue",
}
REDIS_EXTENSION = "newscrawl.distributed.RedisCrawlExtension"
REDIS_EXTENSION_ORDER = 500

_warned: set[str] = set()  # deprecated names already warned about in this process


def _given(settings: BaseSettings, name: str) -> bool:
    return settings.getpriority(name) is not None


def _carry(settings: BaseSettings, source: str, target: str) -> None:
    """Set ``target`` to ``source``'s value when ``source`` was given at the same or a higher priority."""
    priority = settings.getpriority(source)
    if priority is not None and priority >= (settings.getpriority(target) or 0):
        settings.set(target, settings[source], priority=priority)


def redis_mode(settings: BaseSettings) -> None:
    """With ``REDIS_URL`` set: scrapy-redis's shared queue and fingerprints (a setting given explicitly above
    the add-on's priority, e.g. another ``SCHEDULER``, wins)."""
    if not settings.get("REDIS_URL"):
        return
    for name, value in REDIS_SETTINGS.items():
        settings.set(name, value, priority="addon")
    try:
        extension = load_object(REDIS_EXTENSION)
    except ImportError as exc:
        raise RuntimeError(f"REDIS_URL is set, but the Redis queue cannot be loaded ({exc}): "
                           "pip install 'newscrawl[redis]' (scrapy-redis)") from None
    if REDIS_EXTENSION_ORDER != settings.getdict("EXTENSIONS").get(extension):
        settings.set_in_component_priority_dict("EXTENSIONS", extension, REDIS_EXTENSION_ORDER)


def resolve(settings: BaseSettings) -> None:
    """Apply deprecated names, aliases and the Redis switch to ``settings`` (idempotent)."""
    for old, new in DEPRECATED.items():
        _carry(settings, old, new)
    for alias, target in ALIASES.items():
        _carry(settings, alias, target)
    redis_mode(settings)


def deprecation_messages(settings: BaseSettings) -> list[str]:
    """One message per deprecated name given as a setting or environment variable."""
    messages = []
    environment = settings.getdict("NEWSCRAWL_FROM_ENVIRONMENT")
    for old, new in DEPRECATED.items():
        if _given(settings, old):
            messages.append(f"The setting {old} is deprecated and goes in the next release: use {new}")
        if environment.get(new) == old:
            messages.append(f"The environment variable {old} is deprecated and goes in the next release: use {new}")
    return messages


def warn_deprecated(settings: BaseSettings) -> None:
    for message in deprecation_messages(settings):
        if message not in _warned:
            _warned.add(message)
            logger.warning(message)


def keep_old_names(settings: BaseSettings) -> None:
    """Give the deprecated names the new names' values, for code that still reads the old ones (this release)."""
    for old, new in DEPRECATED.items():
        if _given(settings, new):
            settings.set(old, settings[new], priority=settings.getpriority(new))


class Addon:
    """Listed in ``ADDONS``; see the module docstring."""

    @classmethod
    def update_pre_crawler_settings(cls, settings: BaseSettings) -> None:
        resolve(settings)

    def update_settings(self, settings: BaseSettings) -> None:
        resolve(settings)
        warn_deprecated(settings)
        keep_old_names(settings)
        select_feeds(settings)
        check_feeds(settings)

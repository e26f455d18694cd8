"""The crawler's one store client, held by an extension Scrapy builds and hands out.

The dedup and store pipelines and the incremental middleware share one :class:`StoreClient` per crawler
(one store connection, one write order, one spool). It lives in :class:`StoreExtension`, enabled in
``EXTENSIONS`` by the project settings; its users find it with ``crawler.get_extension(StoreExtension)``
(Scrapy builds extensions before the pipelines and middlewares), through :func:`store_client`.

Settings (defaults in newscrawl/settings.py): ``MONGO_URI`` (else the embedded SQLite store at
``NEWSCRAWL_STATE``), ``NEWSCRAWL_STORE_BUFFER_SIZE`` (writes per flush), ``NEWSCRAWL_SPOOL`` (else
``spool.jsonl`` next to ``NEWSCRAWL_STATE``) and ``NEWSCRAWL_STORE_FLUSH_INTERVAL`` (while the store fails, it is
asked again at most this often, at least every 1 s). Relative paths are read against the project root
(:mod:`newscrawl.paths`), never the working directory.
"""

from __future__ import annotations

from ..paths import project_path, setting_path
from .base import Store
from .client import StoreClient
from .mongo import MongoStore
from .spool import Spool
from .sqlite import SQLiteStore
from .versions import policy_from_settings

def store_from_settings(settings) -> Store:
    uri = (settings.get("MONGO_URI") or "").strip()
    if uri:
        return MongoStore(
            uri,
            database=settings["MONGO_DATABASE"],
            collection=settings["MONGO_COLLECTION"],
            connect_timeout_ms=settings.getint("MONGO_CONNECT_TIMEOUT_MS"),
            retries=settings.getint("MONGO_RETRIES"),
            versions=policy_from_settings(settings),  # ValueError naming NEWSCRAWL_VERSIONS_KEEP when bad
        )
    return SQLiteStore(setting_path(settings, "NEWSCRAWL_STATE"), versions=policy_from_settings(settings))


def spool_from_settings(settings) -> Spool:
    """``NEWSCRAWL_SPOOL``, else ``spool.jsonl`` in the folder of the embedded state (``NEWSCRAWL_STATE``)."""
    path = (settings.get("NEWSCRAWL_SPOOL") or "").strip()
    return Spool(project_path(path) if path else setting_path(settings, "NEWSCRAWL_STATE").parent / "spool.jsonl")


class StoreExtension:
    def __init__(self, client: StoreClient):
        self.client = client

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        return cls(StoreClient(store_from_settings(settings), spool_from_settings(settings),
                               buffer_size=settings.getint("NEWSCRAWL_STORE_BUFFER_SIZE"),
                               retry_interval=max(1.0, settings.getfloat("NEWSCRAWL_STORE_FLUSH_INTERVAL"))))


class StoreNotEnabled(RuntimeError):
    """The crawler has no :class:`StoreExtension`: without it nothing would be stored or deduplicated."""


def store_client(crawler) -> StoreClient:
    """The crawler's one store client (its :class:`StoreExtension`'s); raises :class:`StoreNotEnabled` when
    the extension is not in ``EXTENSIONS``."""
    extension = crawler.get_extension(StoreExtension)
    if extension is None:
        raise StoreNotEnabled("newscrawl.store.StoreExtension is not in EXTENSIONS: the dedup and store "
                              "pipelines and incremental crawling need it (the project settings enable it)")
    return extension.client

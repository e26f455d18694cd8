"""Article stores: MongoDB when ``MONGO_URI`` is set, else the embedded SQLite store."""

from __future__ import annotations

from pathlib import Path

from .base import (UNKNOWN, FlushResult, ItemsLost, Record, Store, StoreClient, StoredState, StoreUnavailable,
                   StoreWriteError, build_record)
from .mongo import MongoStore, mask_uri
from .replay import ReplayResult, replay
from .spool import Spool
from .sqlite import SQLiteStore

DEFAULT_STATE = Path("state") / "newscrawl.sqlite3"


def store_from_settings(settings) -> Store:
    uri = (settings.get("MONGO_URI") or "").strip()
    if uri:
        return MongoStore(
            uri,
            database=settings.get("MONGO_DATABASE") or "newscrawl",
            collection=settings.get("MONGO_COLLECTION") or "articles",
            connect_timeout_ms=settings.getint("MONGO_CONNECT_TIMEOUT_MS", 5000),
            retries=settings.getint("MONGO_RETRIES", 4),
        )
    return SQLiteStore(settings.get("NEWSCRAWL_STATE") or DEFAULT_STATE)


def spool_from_settings(settings) -> Spool:
    """``NEWSCRAWL_SPOOL``, else ``spool.jsonl`` in the folder of the embedded state (``NEWSCRAWL_STATE``)."""
    path = (settings.get("NEWSCRAWL_SPOOL") or "").strip()
    if not path:
        path = Path(settings.get("NEWSCRAWL_STATE") or DEFAULT_STATE).parent / "spool.jsonl"
    return Spool(path)


def store_client(crawler) -> StoreClient:
    """The crawler's one store client, shared by the dedup and store pipelines (built on first use).

    Its writes that the store cannot take go to the spool (:func:`spool_from_settings`); while the store
    fails, it is asked again at most every ``MONGO_FLUSH_INTERVAL`` seconds (at least 1 s)."""
    client = getattr(crawler, "newscrawl_store", None)
    if client is None:
        settings = crawler.settings
        client = StoreClient(store_from_settings(settings), buffer_size=settings.getint("MONGO_BUFFER_SIZE", 500),
                             spool=spool_from_settings(settings),
                             retry_interval=max(1.0, settings.getfloat("MONGO_FLUSH_INTERVAL", 5.0)))
        crawler.newscrawl_store = client
    return client


__all__ = ["UNKNOWN", "FlushResult", "ItemsLost", "MongoStore", "Record", "ReplayResult", "SQLiteStore", "Spool",
           "Store", "StoreClient", "StoredState", "StoreUnavailable", "StoreWriteError", "build_record", "mask_uri",
           "replay", "spool_from_settings", "store_client", "store_from_settings"]

"""Article stores: MongoDB when ``MONGO_URI`` is set, else the embedded SQLite store."""

from __future__ import annotations

from pathlib import Path

from .base import Record, Store, StoreClient, StoredState, StoreUnavailable, build_record
from .mongo import MongoStore, mask_uri
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


def store_client(crawler) -> StoreClient:
    """The crawler's one store client, shared by the dedup and store pipelines (built on first use)."""
    client = getattr(crawler, "newscrawl_store", None)
    if client is None:
        settings = crawler.settings
        client = StoreClient(store_from_settings(settings), buffer_size=settings.getint("MONGO_BUFFER_SIZE", 500))
        crawler.newscrawl_store = client
    return client


__all__ = ["MongoStore", "Record", "SQLiteStore", "Store", "StoreClient", "StoredState", "StoreUnavailable",
           "build_record", "mask_uri", "store_client", "store_from_settings"]

"""Article stores: MongoDB when ``MONGO_URI`` is set, else the embedded SQLite store; the crawler's one client
of it comes from :class:`StoreExtension` (:func:`store_client`)."""

from __future__ import annotations

from .base import (UNKNOWN, FlushResult, ItemsLost, Record, Store, StoredState, StoreUnavailable, StoreWriteError,
                   build_record)
from .client import StoreClient
from .extension import StoreExtension, StoreNotEnabled, spool_from_settings, store_client, store_from_settings
from .mongo import MongoStore, mask_uri
from .replay import ReplayResult, replay
from .spool import Spool
from .sqlite import SQLiteStore

__all__ = ["UNKNOWN", "FlushResult", "ItemsLost", "MongoStore", "Record", "ReplayResult",
           "SQLiteStore", "Spool", "Store", "StoreClient", "StoreExtension", "StoreNotEnabled", "StoredState",
           "StoreUnavailable", "StoreWriteError", "build_record", "mask_uri", "replay", "spool_from_settings",
           "store_client", "store_from_settings"]

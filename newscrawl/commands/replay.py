"""``scrapy replay``: write the spool to the configured store, then say what is left.

No arguments: the store is the project's (``MONGO_URI``, else the embedded store ``NEWSCRAWL_STATE``)
and the spool is ``NEWSCRAWL_SPOOL`` (default ``spool.jsonl`` next to the embedded state). Every spooled
item goes through the crawl's dedup (new / changed / unchanged by content hash, so nothing is stored
twice) and store logic; exactly the entries written are removed from the spool. Prints one line::

    replay: replayed=20 written=20 unchanged=0 touches=0 remaining=0

(`` corrupt=N`` added when entries were set aside) and exits 0 when the spool is empty afterwards, 1 when
entries remain (the store is unreachable or failed midway), 3 when it is empty but entries that can never be
written (not JSON, nested too deep, of the wrong shape, refused by the store) were moved to
``<spool>.corrupt`` with their reason — the rest was written, and the next replay exits 0. A ``MONGO_URI`` that
can never work (malformed, another scheme, an unknown option) is refused in one line with exit code 2, before the
spool is touched.
"""

from __future__ import annotations

import logging

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError
from scrapy.utils.log import configure_logging

from ..addon import keep_old_names, resolve, warn_deprecated
from ..credentials import redact
from ..cron import EXIT_STORE
from ..store import ReplayResult, StoreUnavailable, replay, spool_from_settings, store_from_settings
from ..store.config import StoreConfigError, check_store_config
from .checks import refuse

logger = logging.getLogger(__name__)


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False

    def syntax(self) -> str:
        return ""

    def short_desc(self) -> str:
        return ("Write the spooled items to the store (exit 0 when the spool is empty afterwards, 1 when entries "
                "remain, 2 when MONGO_URI is malformed, 3 when entries were set aside to <spool>.corrupt)")

    def long_desc(self) -> str:
        return (__doc__ or "").strip()

    def run(self, args, opts) -> None:
        if args:
            raise UsageError("scrapy replay takes no arguments")
        try:
            check_store_config(self.settings)  # a malformed MONGO_URI: one line, exit 2 (newscrawl.store.config)
        except StoreConfigError as exc:
            refuse("replay", str(exc))
        resolve(self.settings)  # what the add-on does for a crawl: this command has no crawler
        configure_logging(self.settings)
        warn_deprecated(self.settings)
        keep_old_names(self.settings)
        spool = spool_from_settings(self.settings)
        store = store_from_settings(self.settings)
        try:
            store.open()
        except StoreUnavailable as exc:
            logger.error("%s — the spool %s stays as it is", exc, spool.path)
            result = ReplayResult(remaining=len(spool), error="store unavailable")
        else:
            try:
                result = replay(spool, store, batch_size=max(1, self.settings.getint("NEWSCRAWL_STORE_BUFFER_SIZE")))
            finally:
                store.close()
            if result.error:  # a client's error text: without the URI's credentials (newscrawl.credentials)
                result.error = redact(result.error, self.settings["MONGO_URI"])
                logger.error("Replay stopped early (%s): %s", store.describe(), result.error)
        print(result.summary(), flush=True)
        if result.corrupt:
            logger.error("%d spooled entries cannot be written: set aside to %s with the reason", result.corrupt,
                         spool.corrupt_path)
        self.exitcode = 1 if result.remaining else EXIT_STORE if result.corrupt else 0

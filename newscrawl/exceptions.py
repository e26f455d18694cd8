"""Exceptions that carry what their handlers need, so nobody parses it back out of a message."""

from __future__ import annotations

from scrapy.exceptions import DropItem

# Reasons the dedup pipeline drops for, which item_dropped handlers treat apart from the others.
DUPLICATE_IN_RUN = "duplicate_in_run"  # the same article again in this run (another URL of it)
UNCHANGED = "unchanged"  # the store holds the same content hash


class Dropped(DropItem):
    """An item dropped by one of our pipelines: :attr:`reason` is its short name, the ``<reason>`` of the stat
    ``newscrawl/dropped/<reason>`` (or ``newscrawl/dedup/<reason>``); the message is ``<reason>: <detail>``."""

    def __init__(self, reason: str, detail: str, log_level: str | None = None):
        super().__init__(f"{reason}: {detail}", log_level=log_level)
        self.reason = reason


def drop_reason(exception: BaseException) -> str | None:
    """The reason of a :class:`Dropped`; None for any other exception (a DropItem of another pipeline)."""
    return exception.reason if isinstance(exception, Dropped) else None

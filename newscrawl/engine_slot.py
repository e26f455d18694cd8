"""The one place that reads private Scrapy state: the engine's in-progress requests, and waking the engine.

The Redis queue (:mod:`newscrawl.distributed`) acknowledges a taken request only once the engine has
finished it (downloaded, parsed, its items through the pipelines), and wakes an idle engine when other
workers queued requests (Scrapy polls an idle scheduler only every 5 s). Scrapy 2.19 has no public hook
for either: both live on ``ExecutionEngine._slot`` (``inprogress``, ``nextcall``). :func:`check` verifies
that shape when the spider opens and closes the crawl with :data:`REASON` naming what is missing, so a
Scrapy upgrade that changes it stops the crawl at once instead of never acknowledging a request;
tests/distributed/test_engine_slot.py runs it against the installed Scrapy.
"""

from __future__ import annotations

import logging

from scrapy import Request
from scrapy.exceptions import CloseSpider

logger = logging.getLogger(__name__)

REASON = "scrapy_internals_changed"  # finish_reason of a crawl whose engine lacks what this module reads


class ScrapyInternalsChanged(CloseSpider):
    """The installed Scrapy's engine no longer has the private state this module reads. Raised from a
    ``spider_opened`` handler it closes the spider (``finish_reason`` :data:`REASON`)."""

    def __init__(self, missing: str):
        super().__init__(REASON)
        self.missing = missing

    def __str__(self) -> str:
        return (f"the Scrapy engine has no {self.missing}: newscrawl.engine_slot must be adapted to this Scrapy "
                "version (the Redis queue cannot tell which requests are finished)")


def _slot(engine):
    if "_slot" not in vars(engine):
        raise ScrapyInternalsChanged("ExecutionEngine._slot")
    return engine._slot


def check(engine) -> None:
    """Log one ERROR line and raise :class:`ScrapyInternalsChanged` unless the open engine has a slot with
    ``inprogress`` (a set of requests) and ``nextcall.schedule``."""
    try:
        _check(engine)
    except ScrapyInternalsChanged as exc:
        logger.error("Closing the crawl: %s", exc)
        raise


def _check(engine) -> None:
    slot = _slot(engine)
    if slot is None:
        raise ScrapyInternalsChanged("ExecutionEngine._slot while its spider is open")
    if not isinstance(getattr(slot, "inprogress", None), set):
        raise ScrapyInternalsChanged("ExecutionEngine._slot.inprogress set")
    if not callable(getattr(getattr(slot, "nextcall", None), "schedule", None)):
        raise ScrapyInternalsChanged("ExecutionEngine._slot.nextcall.schedule()")


def in_progress(engine) -> frozenset[Request] | None:
    """The requests the engine has started and not finished; None when no spider is open."""
    slot = _slot(engine)
    return None if slot is None else frozenset(slot.inprogress)


def wake(engine) -> bool:
    """Make the engine ask its scheduler for requests now, as ``engine.crawl()`` does; False when no spider
    is open."""
    slot = _slot(engine)
    if slot is None:
        return False
    slot.nextcall.schedule()
    return True

"""Incremental crawling: fetch only the sitemap entries that are new or changed since they were last fetched.

    scrapy cronrun heute                                # incremental (cronrun's default)
    scrapy crawl heute -a incremental=1                 # the same for a plain crawl (NEWSCRAWL_INCREMENTAL)
    scrapy cronrun heute -a recheck=2d                  # also re-fetch articles published in the last 2 days
    scrapy cronrun heute -a recheck=2d -a recheck_every=1h   # ... when their last fetch is over 1 h old

How it works, for the site spiders (:class:`~newscrawl.spiders.site.SiteSpider`: heute,
zwanzigminuten):

1. The spider marks every article request it makes from a sitemap or feed with ``request.meta[META]``: the record
   key computed from the URL (``<site>:<article_id>``, as :func:`newscrawl.records.record_key` builds it from
   the item) and the entry's date (``<lastmod>``, else ``<news:publication_date>``; a feed entry's date).
2. :class:`IncrementalMiddleware` (a spider middleware) holds back the article requests of each sitemap in
   chunks of :data:`SELECT_CHUNK`, asks the store in one batch per chunk what it knows about their keys
   (a sitemap's entries arrive newest first), and lets through only those to fetch
   (:func:`decide`): never fetched; lastmod newer than the one recorded when last fetched; fetched but the
   article the fetch produced is not in the store (the run was killed before its write, or it was spooled);
   or, with ``recheck``, published within that window and last fetched at least ``recheck_every`` ago.
   Everything else is skipped. A key the ``sitemap_state`` does not know, but whose article is stored (a
   store filled before incremental crawling was switched on), counts as fetched at the article's
   ``modified`` (else ``published``) date.
3. When a fetch has an outcome, the middleware records it in the store's ``sitemap_state`` table (SQLite) or
   collection (MongoDB), keyed like the articles: ``lastmod`` (the entry's date), ``fetched_at``, ``status``,
   ``record_key`` and ``content_hash`` of the item it gave. Outcomes: an item that was stored or found
   unchanged (its hash), an item dropped for a reason of its own, a page that gave no item, or a 404/410
   (no hash: nothing to store, skipped until the lastmod changes). Network errors, 5xx and 429 record
   nothing, so the next run tries again. Rows are written in batches (``NEWSCRAWL_INCREMENTAL_BATCH``) and at
   close, on the store's worker thread after the writes queued before them.

The hash makes the state safe against a killed run: a row can be saved before the article's own write
reached the store (the store buffers), but an entry is skipped only while the stored article has the
hash the fetch produced. Lost state rows only cost a re-fetch, which dedup classifies as unchanged.

Stats: ``newscrawl/incremental/{fetched,skipped}`` for the article requests of sitemaps, the reasons of the
fetched ones in ``newscrawl/incremental/fetched/<reason>`` (``new``, ``modified``, ``not_stored``,
``recheck``), ``newscrawl/incremental/recorded`` (state rows saved) and ``newscrawl/incremental/errors``
(state reads or writes that failed: those entries were fetched, those rows not saved).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any

from itemadapter import ItemAdapter, is_item
from scrapy import Request, signals

from .exceptions import DUPLICATE_IN_RUN, UNCHANGED, drop_reason
from .records import content_hash, item_dict, record_key
from .store import store_client

logger = logging.getLogger(__name__)

META = "newscrawl_incremental"  # request.meta key: {"key": record key from the URL, "lastmod": ISO date or None}
W3C_PARTIAL = re.compile(r"^(\d{4})(?:-(\d{2}))?$")  # W3C Datetime's year and year-month forms
MAX_DATE_CHARS = 64  # longer is no date a sitemap writes
SELECT_CHUNK = 1000  # sitemap article requests decided per store read
FINAL_STATUSES = (404, 410)  # a definite answer for this lastmod: not fetched again until it changes
DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhdw]?)$")
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_duration(value: Any, name: str = "recheck") -> timedelta | None:
    """``"2d"``, ``"12h"``, ``"30m"``, ``"90s"``, ``"1w"`` (or ``"0"``) as a timedelta; None for empty/off."""
    if value is None or isinstance(value, timedelta):
        return value
    text = str(value).strip().lower()
    if text in ("", "off", "none", "no"):
        return None
    m = DURATION.match(text)
    if not m or (not m.group(2) and float(m.group(1)) != 0):
        raise ValueError(f"{name} must be a duration like 2d, 12h, 30m or 1w, got {value!r}")
    return timedelta(seconds=float(m.group(1)) * UNITS[m.group(2) or "s"])


def parse_flag(value: Any, name: str = "incremental") -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name} must be 1 or 0 (true/false, yes/no, on/off), got {value!r}")


def entry_date(text: str | None, tz: tzinfo) -> datetime | None:
    """A sitemap date as an aware datetime (naive ones in ``tz``), None when it is none.

    The forms sitemaps use: W3C Datetime (ISO 8601, which the sitemap protocol prescribes; also a bare year or
    year-month) and RFC 2822. No free-text parsing: dateparser takes up to ~30 ms on some strings
    ("garbage 12"), hours for a hostile sitemap of a million such dates."""
    text = (text or "").strip()
    if not text or len(text) > MAX_DATE_CHARS:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        try:
            if m := W3C_PARTIAL.match(text):
                when = datetime(int(m.group(1)), int(m.group(2) or 1), 1)
            else:
                when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):  # month 13, or no RFC 2822 date
            return None
    return when if when.tzinfo else when.replace(tzinfo=tz)


def stored_date(text: Any) -> datetime | None:
    """An ISO date the store holds (naive ones are UTC), None when absent or unreadable."""
    if not isinstance(text, str) or not text:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class Policy:
    recheck: timedelta | None = None  # re-fetch articles published within this window ...
    recheck_every: timedelta = timedelta(hours=6)  # ... when their last fetch is at least this old


@dataclass(frozen=True)
class Known:
    """What the store knows about one sitemap entry's article."""

    lastmod: datetime | None  # the entry's date when it was last fetched
    fetched_at: datetime | None
    fetched_hash: str | None  # hash of the item that fetch gave (None: nothing to store)
    stored_hash: str | None  # hash of the article the store holds now
    published: datetime | None


def known_from(key: str, state: dict | None, summaries: dict[str, dict]) -> Known | None:
    if state:
        article = summaries.get(state.get("record_key") or key) or {}
        return Known(stored_date(state.get("lastmod")), stored_date(state.get("fetched_at")),
                     state.get("content_hash"), article.get("content_hash"), stored_date(article.get("published")))
    article = summaries.get(key)
    if article:  # stored before incremental crawling recorded anything: as fetched at its own dates
        return Known(stored_date(article.get("modified")) or stored_date(article.get("published")),
                     stored_date(article.get("last_seen")), None, article.get("content_hash"),
                     stored_date(article.get("published")))
    return None


def decide(lastmod: datetime | None, known: Known | None, policy: Policy, now: datetime) -> str:
    """``"skip"``, or why the entry is fetched: ``new``, ``not_stored``, ``modified`` or ``recheck``."""
    if known is None:
        return "new"
    if known.fetched_hash is not None and known.fetched_hash != known.stored_hash:
        return "not_stored"
    if lastmod is not None and (known.lastmod is None or lastmod > known.lastmod):
        return "modified"
    if policy.recheck is not None:
        anchor = known.published or lastmod or known.lastmod
        due = known.fetched_at is None or now - known.fetched_at >= policy.recheck_every
        if anchor is not None and now - anchor <= policy.recheck and due:
            return "recheck"
    return "skip"


def read_known(store, keys: list[str]) -> tuple[dict[str, dict], dict[str, dict]]:
    """On the store's worker thread: the sitemap state of ``keys`` and the summaries of their articles."""
    states = store.sitemap_states(keys)
    wanted = set(keys) | {s["record_key"] for s in states.values() if s.get("record_key")}
    return states, store.article_summaries(sorted(wanted))


class IncrementalMiddleware:
    """Spider middleware: skips sitemap entries already fetched, records what each fetch gave.

    Inert unless the spider says it is incremental (``-a incremental=1`` or ``NEWSCRAWL_INCREMENTAL``; a
    :class:`~newscrawl.spiders.discovery.DiscoverySpider` then marks its article requests with :data:`META`).
    """

    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self.batch_size = max(1, crawler.settings.getint("NEWSCRAWL_INCREMENTAL_BATCH"))
        self.enabled = False
        self.client = None
        self.policy = Policy()
        self.pending: dict[str, dict] = {}
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(self.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(self.response_received, signal=signals.response_received)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    # -- lifecycle ------------------------------------------------------------------------------------
    async def spider_opened(self, spider):
        if not getattr(spider, "incremental_enabled", False):
            return
        settings = self.crawler.settings
        recheck = getattr(spider, "recheck_arg", None)
        every = getattr(spider, "recheck_every_arg", None)
        self.policy = Policy(
            recheck=parse_duration(recheck if recheck is not None else settings.get("NEWSCRAWL_RECHECK"), "recheck"),
            recheck_every=parse_duration(every if every is not None else settings.get(
                "NEWSCRAWL_RECHECK_EVERY"), "recheck_every") or timedelta(0),
        )
        client = store_client(self.crawler)
        try:
            await client.acquire()
        except Exception as exc:  # noqa: BLE001 — without a store every entry is fetched; the pipelines report it
            logger.warning("Incremental crawling is off for this run: the store cannot be opened (%s)", exc)
            return
        self.client, self.enabled = client, True
        if not getattr(client, "opened", True):
            logger.warning("Incremental crawling: the store is unavailable, every sitemap entry is fetched")
        logger.info("Incremental crawling: sitemap entries fetched only when new or changed%s",
                    f"; articles published within {self.policy.recheck} re-fetched after {self.policy.recheck_every}"
                    if self.policy.recheck else "")

    async def spider_closed(self, spider):
        if not self.enabled:
            return
        try:
            await self.flush()
        finally:
            self.enabled = False
            await self.client.release()

    # -- the spider's output --------------------------------------------------------------------------
    async def process_spider_output(self, response, result):
        if not self.enabled:
            async for out in result:
                yield out
            return
        if META in response.meta:  # an article page: no item means nothing to store for this lastmod
            gave_item = False
            async for out in result:
                gave_item = gave_item or is_item(out)
                yield out
            if not gave_item:
                self.record(response, None, None)
                await self.maybe_flush()
            return
        # Held and decided in chunks (one store read each), not all of a sitemap at once: a sitemap of
        # 400,000 entries would otherwise be 400,000 requests in memory, and the run's cap
        # (newscrawl.discovery) stops the spider's output early only if it is read as it comes.
        held: list[Request] = []
        async for out in result:
            if isinstance(out, Request) and META in out.meta:
                held.append(out)
                if len(held) >= SELECT_CHUNK:
                    for request in await self.select(held):
                        yield request
                    held = []
            else:
                yield out
        for request in await self.select(held):
            yield request

    async def select(self, requests: list[Request]) -> list[Request]:
        if not requests:
            return []
        keys = sorted({r.meta[META]["key"] for r in requests})
        try:
            states, summaries = await self.client.call(read_known, self.client.store, keys)
        except Exception as exc:  # noqa: BLE001 — a failed read fetches everything, which is always safe
            self.stats.inc_value("newscrawl/incremental/errors")
            logger.warning("Incremental crawling: cannot read the sitemap state (%s: %s); fetching all %d entries",
                           type(exc).__name__, str(exc)[:300], len(requests))
            states, summaries = {}, {}
        now = datetime.now(timezone.utc)
        chosen = []
        for request in requests:
            info = request.meta[META]
            known = known_from(info["key"], states.get(info["key"]), summaries)
            verdict = decide(stored_date(info.get("lastmod")), known, self.policy, now)
            if verdict == "skip":
                self.stats.inc_value("newscrawl/incremental/skipped")
                continue
            self.stats.inc_value("newscrawl/incremental/fetched")
            self.stats.inc_value(f"newscrawl/incremental/fetched/{verdict}")
            chosen.append(request)
        logger.debug("Incremental crawling: %d of %d sitemap entries to fetch", len(chosen), len(requests))
        return chosen

    # -- outcomes ---------------------------------------------------------------------------------------
    def record(self, response, item, digest: str | None) -> None:
        info = response.meta.get(META)
        if not self.enabled or not info:
            return
        row = {"key": info["key"], "lastmod": info.get("lastmod"), "fetched_at": datetime.now(timezone.utc).isoformat(),
               "status": response.status, "record_key": record_key(ItemAdapter(item)) if item is not None else None,
               "content_hash": digest}
        previous = self.pending.get(row["key"])
        if previous is None or previous["content_hash"] is None or digest is not None:
            self.pending[row["key"]] = row  # two URLs of one article: the one that gave an item wins

    async def item_scraped(self, item, response, spider):
        adapter = ItemAdapter(item)
        self.record(response, item, adapter.get("content_hash") or content_hash(item_dict(item)))
        await self.maybe_flush()

    async def item_dropped(self, item, response, exception, spider):
        reason = drop_reason(exception)
        if reason == DUPLICATE_IN_RUN:  # the same article from another URL of this run records it
            return
        self.record(response, item, content_hash(item_dict(item)) if reason == UNCHANGED else None)
        await self.maybe_flush()

    def response_received(self, response, request, spider):
        if response.status in FINAL_STATUSES and META in request.meta:
            self.record(response, None, None)

    async def maybe_flush(self) -> None:
        if len(self.pending) >= self.batch_size:
            await self.flush()

    async def flush(self) -> None:
        if not self.pending or self.client is None:
            return
        rows, self.pending = list(self.pending.values()), {}
        try:
            saved = await self.client.call(self.client.store.save_sitemap_states, rows)
        except Exception as exc:  # noqa: BLE001 — lost rows only mean those entries are fetched again
            self.stats.inc_value("newscrawl/incremental/errors")
            logger.warning("Incremental crawling: cannot save the sitemap state of %d entries (%s: %s)",
                           len(rows), type(exc).__name__, str(exc)[:300])
        else:
            self.stats.inc_value("newscrawl/incremental/recorded", saved)

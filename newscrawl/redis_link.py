"""A worker's connection to the shared Redis, and what happens when Redis goes away.

redis-py calls are synchronous and run on the reactor thread, so a dead or hung Redis stalls the whole crawl:
by default redis-py retries each command three times with up to 10 s of (blocking) backoff, and scrapy-redis
sets a 30 s socket timeout. :func:`redis_client` builds the client without retries and with a short socket
timeout (``NEWSCRAWL_REDIS_SOCKET_TIMEOUT``); :class:`GuardedRedis` routes every command through a
:class:`RedisLink`, a circuit breaker:

* the first command that fails because Redis is unreachable (refused, reset, timed out, still loading its
  data after a restart, read-only, out of memory) marks the link *down* — one WARNING line — and raises
  :class:`RedisUnavailable`;
* while down, commands fail at once without touching the network, except one probe at a time after a
  backoff (0.25 s doubling up to 5 s); the first command that succeeds marks the link up again (one INFO line);
* the owner (:class:`newscrawl.distributed.RedisCrawlExtension`) checks :meth:`RedisLink.expired` and, after
  ``NEWSCRAWL_REDIS_LOST_TIMEOUT`` seconds down, gives up: one ERROR line, and the crawl closes with
  ``finish_reason`` ``redis_lost``. After :meth:`RedisLink.give_up` no command touches the network again.

The URL in output is :func:`newscrawl.credentials.mask_uri`'s, error texts go through its ``redact``.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Callable

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from .credentials import mask_uri, redact

logger = logging.getLogger(__name__)

# What "Redis is not there (for now)" looks like. ConnectionError covers refused and reset connections,
# authentication failures and BusyLoadingError (a restarted Redis loading its data); the two response errors
# are a Redis that answers but cannot take writes. Any other error is a bug and is raised as it is.
UNREACHABLE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError,
               redis.exceptions.ReadOnlyError, redis.exceptions.OutOfMemoryError)
BACKOFF_FIRST = 0.25
BACKOFF_MAX = 5.0


class RedisUnavailable(Exception):
    """Redis cannot be reached now (the link is down or was given up); nothing was sent."""


class RedisLink:
    """Health of one worker's Redis connection: up, down since when (probing with backoff), or given up."""

    def __init__(self, url: str, lost_timeout: float, clock: Callable[[], float] = time.monotonic, stats=None):
        self.raw_url = url  # for redact() only: never shown
        self.url = mask_uri(url)
        self.lost_timeout = lost_timeout
        self.clock = clock
        self.stats = stats
        self.down_since: float | None = None
        self.next_try = 0.0
        self.backoff = BACKOFF_FIRST
        self.last_error = ""
        self.lost = False

    @property
    def down(self) -> bool:
        return self.lost or self.down_since is not None

    def call(self, command: Callable[..., Any], *args, **kwargs) -> Any:
        if self.lost or (self.down_since is not None and self.clock() < self.next_try):
            raise RedisUnavailable(self.url)
        try:
            result = command(*args, **kwargs)
        except UNREACHABLE as exc:
            self._failed(exc)
            raise RedisUnavailable(self.url) from None  # the reason is logged once, not with every command
        if self.down_since is not None:
            logger.info("Redis at %s answers again after %.1f s", self.url, self.clock() - self.down_since)
            self.down_since, self.backoff = None, BACKOFF_FIRST
        return result

    def _failed(self, exc: Exception) -> None:
        now = self.clock()  # after the failed command, which may have waited for the socket timeout
        # redis-py's messages name host and port only; redact() is belt and braces
        self.last_error = redact(f"{type(exc).__name__}: {exc}", self.raw_url)[:300]
        if self.down_since is None:
            self.down_since = now
            if self.stats is not None:
                self.stats.inc_value("newscrawl/redis/outages")
            logger.warning("Redis at %s unreachable (%s); retrying for up to %g s before giving up", self.url,
                           self.last_error, self.lost_timeout)
        self.next_try = now + self.backoff
        self.backoff = min(self.backoff * 2, BACKOFF_MAX)

    def expired(self) -> bool:
        """Down for longer than the lost timeout (or already given up)."""
        return self.lost or (self.down_since is not None and self.clock() - self.down_since >= self.lost_timeout)

    def downtime(self) -> float:
        return 0.0 if self.down_since is None else self.clock() - self.down_since

    def give_up(self) -> None:
        """From now on every command fails at once: the worker is shutting down without Redis."""
        self.lost = True


class GuardedRedis(redis.Redis):
    """A Redis client whose every command (scripts and scans included) goes through its :class:`RedisLink`."""

    link: RedisLink

    def execute_command(self, *args, **options):
        return self.link.call(super().execute_command, *args, **options)


def redis_client(settings, stats=None) -> GuardedRedis:
    """The worker's client for ``REDIS_URL``: ``REDIS_PARAMS`` as scrapy-redis reads them, but no blocking
    retries and socket timeouts of ``NEWSCRAWL_REDIS_SOCKET_TIMEOUT``; with its link."""
    timeout = settings.getfloat("NEWSCRAWL_REDIS_SOCKET_TIMEOUT")
    params = {"encoding": "utf-8", **settings.getdict("REDIS_PARAMS"),
              "socket_timeout": timeout, "socket_connect_timeout": timeout,
              "retry": Retry(NoBackoff(), 0)}  # the link retries, without blocking the reactor
    params.pop("retry_on_timeout", None)
    params.pop("redis_cls", None)
    server = GuardedRedis.from_url(settings.get("REDIS_URL"), **params)
    server.link = RedisLink(settings.get("REDIS_URL"), settings.getfloat("NEWSCRAWL_REDIS_LOST_TIMEOUT"), stats=stats)
    return server

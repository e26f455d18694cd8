"""Distributed crawling on Redis with scrapy-redis: one shared request queue and fingerprint set for N workers.

With the ``REDIS_URL`` setting set (``-s``, the project or the environment), the newscrawl add-on
(:func:`newscrawl.addon.redis_mode`) switches the scheduler to scrapy-redis's (:class:`Scheduler`, a
subclass that only drops a deprecated stats call)
with :class:`ReliablePriorityQueue` as its queue, the duplicate filter to ``scrapy_redis.dupefilter.RFPDupeFilter``
(shared fingerprints, ``SCHEDULER_PERSIST``) and turns on :class:`RedisCrawlExtension`.

Why more than stock scrapy-redis (checked against Scrapy 2.19 and scrapy-redis 0.9.1):

* Start requests: Scrapy 2.13+ sends what ``async def start()`` yields through ``engine.crawl`` into the
  scheduler, so the stock scheduler puts them through the shared Redis fingerprint set: of N workers started
  together exactly one enqueues the sitemap index, and every sitemap and article request is enqueued once.
  Nothing to change there.
* Stock ``PriorityQueue.pop`` removes a request from Redis when a worker takes it: a worker killed with it in
  flight loses it for good (its fingerprint stays in the set, so it is never enqueued again).
  :class:`ReliablePriorityQueue` moves it atomically into the worker's in-flight hash instead; the worker
  removes it once the engine has finished the request (download, callback, item pipelines and so the store
  write — with ``NEWSCRAWL_STORE_BUFFER_SIZE=1``; a larger buffer acknowledges before its flush). Every worker keeps a
  heartbeat key; the in-flight requests of a worker whose heartbeat expired go back into the queue.
* Our spiders are not RedisSpiders: a plain spider closes when idle, so a second worker whose seed was a
  duplicate would close at once. :class:`RedisCrawlExtension` keeps an idle worker open while the shared
  queue holds requests or any worker has requests in flight, and wakes the engine when requests appear
  (Scrapy polls an idle scheduler only every 5 s). The crawl is over, and every worker closes, when the queue
  is empty and nothing is in flight anywhere.

* Redis lost mid-run (:mod:`newscrawl.redis_link`): every command goes through a circuit breaker with
  short socket timeouts and no blocking retries. While Redis is unreachable the worker keeps the requests
  it finds in memory (:attr:`Scheduler.pending`, queued when Redis answers again, before anything is
  acknowledged) and stays open; after ``NEWSCRAWL_REDIS_LOST_TIMEOUT`` seconds it gives up with one ERROR
  line and closes with ``finish_reason`` ``redis_lost`` (stat ``newscrawl/redis/lost``). It acknowledges
  nothing from then on, so its taken requests stay in its in-flight hash and go back into the queue for the
  next run once its heartbeat expires (as far as Redis kept its data: a restart loses what it did not
  persist). A request and its fingerprint enter Redis in one script, so no outage leaves a fingerprint
  without its request.

Keys (``<spider>`` is the spider name): ``<spider>:requests`` (queue), ``<spider>:dupefilter`` (fingerprints),
``<spider>:requests:inflight:<worker>``, ``<spider>:requests:worker:<worker>`` (heartbeat).
"""

from __future__ import annotations

import importlib
import logging
import os
import socket
import uuid
from collections import deque

from scrapy import signals
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.misc import load_object
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler as RedisScheduler
from twisted.internet import task

from . import engine_slot
from .credentials import check_uri
from .cron import QUEUE_LOST_REASON as LOST_REASON
from .redis_link import RedisUnavailable, redis_client

logger = logging.getLogger(__name__)

TOKEN_META = "newscrawl_redis_token"

# KEYS: queue, in-flight hash, token counter. Moves the first request into the hash under "<score>:<token>".
POP = """
local found = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #found == 0 then return nil end
redis.call('ZREM', KEYS[1], found[1])
local field = found[2] .. ':' .. redis.call('INCR', KEYS[3])
redis.call('HSET', KEYS[2], field, found[1])
return {field, found[1]}
"""

# KEYS: fingerprints, queue; ARGV: fingerprint ('' for dont_filter), score, request. The fingerprint and the
# request enter together: a connection lost between two commands would leave a fingerprint whose request is
# never queued (the next run would filter it as seen).
ENQUEUE = """
if ARGV[1] ~= '' and redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
return 1
"""

# KEYS: queue, in-flight hash, heartbeat. When the heartbeat is gone, its requests go back into the queue.
RECOVER = """
if redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
local entries = redis.call('HGETALL', KEYS[2])
for i = 1, #entries, 2 do
  local score = string.match(entries[i], '^(.*):[0-9]+$')
  redis.call('ZADD', KEYS[1], tonumber(score), entries[i + 1])
end
redis.call('DEL', KEYS[2])
return #entries / 2
"""

# KEYS: queue, in-flight hash; ARGV: fields. Puts those in-flight requests back into the queue.
REQUEUE = """
local moved = 0
for i = 1, #ARGV do
  local data = redis.call('HGET', KEYS[2], ARGV[i])
  if data then
    redis.call('ZADD', KEYS[1], tonumber(string.match(ARGV[i], '^(.*):[0-9]+$')), data)
    redis.call('HDEL', KEYS[2], ARGV[i])
    moved = moved + 1
  end
end
return moved
"""


def worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else value


class ReliablePriorityQueue(PriorityQueue):
    """scrapy-redis's priority queue whose pop keeps the request in this worker's in-flight hash until
    :meth:`ack`."""

    def __init__(self, server, spider, key, serializer=None):
        super().__init__(server, spider, key, serializer)
        self.worker = worker_id()
        self.inflight_key = f"{self.key}:inflight:{self.worker}"
        self.heartbeat_key = f"{self.key}:worker:{self.worker}"
        self.taken: set[str] = set()  # tokens this worker popped and has not acknowledged
        self._pop = server.register_script(POP)
        self._enqueue = server.register_script(ENQUEUE)
        self._recover = server.register_script(RECOVER)
        self._requeue = server.register_script(REQUEUE)

    def pop(self, timeout=0):
        found = self._pop(keys=[self.key, self.inflight_key, f"{self.key}:tokens"])
        if not found:
            return None
        token, data = _text(found[0]), found[1]
        self.taken.add(token)
        request = self._decode_request(data)
        request.meta[TOKEN_META] = token
        return request

    def push_unseen(self, request, fingerprints_key: str, fingerprint: str) -> bool:
        """Queue the request unless its fingerprint is in the set already (``""``: no check); False if seen."""
        return bool(self._enqueue(keys=[fingerprints_key, self.key],
                                  args=[fingerprint, -request.priority, self._encode_request(request)]))

    def ack(self, tokens: list[str]) -> None:
        if tokens:
            self.server.hdel(self.inflight_key, *tokens)
            self.taken.difference_update(tokens)

    def requeue_orphans(self) -> int:
        """Put back the requests in this worker's hash that it never received: a pop whose reply was lost
        (a timed-out call that Redis ran after all) would otherwise sit there until acknowledged unseen."""
        orphans = [t for t in map(_text, self.server.hkeys(self.inflight_key)) if t not in self.taken]
        return int(self._requeue(keys=[self.key, self.inflight_key], args=orphans)) if orphans else 0

    def heartbeat(self, ttl: float) -> None:
        self.server.set(self.heartbeat_key, self.worker, px=int(ttl * 1000))

    def inflight_keys(self) -> list[str]:
        return [_text(k) for k in self.server.scan_iter(match=f"{self.key}:inflight:*", count=1000)]

    def recover_dead(self) -> int:
        """Put the in-flight requests of workers without a heartbeat back into the queue."""
        moved = 0
        prefix = f"{self.key}:inflight:"
        for key in self.inflight_keys():
            if key == self.inflight_key:
                continue
            moved += int(self._recover(keys=[self.key, key, f"{self.key}:worker:{key[len(prefix):]}"]))
        if moved:
            logger.warning("Recovered %d in-flight requests of stopped workers into %s", moved, self.key)
        return moved

    def inflight_total(self) -> int:
        return sum(self.server.hlen(k) for k in self.inflight_keys())


class Scheduler(RedisScheduler):
    """scrapy-redis's scheduler on a :class:`~newscrawl.redis_link.GuardedRedis` client, without its
    ``inc_value(..., spider=...)`` calls (deprecated in Scrapy 2.19), with the request and its fingerprint
    queued in one script, and requests found while Redis is unreachable kept in :attr:`pending`."""

    def __init__(self, server, **kwargs):
        super().__init__(server, **kwargs)
        self.pending: deque = deque()  # requests to queue once Redis answers again, oldest first

    @classmethod
    def from_crawler(cls, crawler):
        # scrapy-redis's from_settings, but with our client and without its ping: a Redis unreachable at the
        # start is an outage like any other, bounded by NEWSCRAWL_REDIS_LOST_TIMEOUT, not a crash.
        settings = crawler.settings
        kwargs = {"persist": settings.getbool("SCHEDULER_PERSIST"),
                  "flush_on_start": settings.getbool("SCHEDULER_FLUSH_ON_START"),
                  "idle_before_close": settings.getint("SCHEDULER_IDLE_BEFORE_CLOSE")}
        for name, setting in (("queue_key", "SCHEDULER_QUEUE_KEY"), ("queue_cls", "SCHEDULER_QUEUE_CLASS"),
                              ("dupefilter_key", "SCHEDULER_DUPEFILTER_KEY"), ("dupefilter_cls", "DUPEFILTER_CLASS"),
                              ("serializer", "SCHEDULER_SERIALIZER")):
            if settings.get(setting):
                kwargs[name] = settings.get(setting)
        if isinstance(kwargs.get("serializer"), str):
            kwargs["serializer"] = importlib.import_module(kwargs["serializer"])
        instance = cls(redis_client(settings, crawler.stats), **kwargs)
        instance.stats = crawler.stats
        return instance

    @property
    def link(self):
        return self.server.link

    def open(self, spider):
        """scrapy-redis's open, with the duplicate filter on our client (its own would have its own, unguarded
        connection) and without the deprecated ``spider.log``."""
        self.spider = spider
        self.queue = load_object(self.queue_cls)(server=self.server, spider=spider, serializer=self.serializer,
                                                 key=self.queue_key % {"spider": spider.name})
        if not self.df:
            self.df = load_object(self.dupefilter_cls)(self.server, key=self.dupefilter_key % {"spider": spider.name},
                                                       debug=spider.settings.getbool("DUPEFILTER_DEBUG"))
        try:
            if self.flush_on_start:
                self.flush()
            waiting = len(self.queue)
        except RedisUnavailable:
            return  # the link said so; the crawl waits for Redis like in any outage
        if waiting:
            logger.info("Resuming crawl (%d requests scheduled)", waiting)

    def __len__(self):
        try:
            return len(self.queue) + len(self.pending)
        except RedisUnavailable:
            return len(self.pending)

    def _enqueue(self, request) -> bool:
        fingerprint = "" if request.dont_filter else self.df.request_fingerprint(request)
        if not self.queue.push_unseen(request, self.df.key, fingerprint):
            self.df.log(request, self.spider)
            return False
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def enqueue_request(self, request):
        if self.link.lost:  # given up: its parent stays unacknowledged in Redis, so the next run finds it again
            if self.stats:
                self.stats.inc_value("newscrawl/redis/unqueued")
            return False
        if not self.flush_pending():
            self.pending.append(request)
            return True
        try:
            return self._enqueue(request)
        except RedisUnavailable:
            self.pending.append(request)
            return True

    def flush_pending(self) -> bool:
        """Queue the requests kept while Redis was unreachable; False while some still wait."""
        while self.pending:
            try:
                self._enqueue(self.pending[0])
            except RedisUnavailable:
                return False
            self.pending.popleft()
        return True

    def drop_pending(self) -> int:
        dropped = len(self.pending)
        self.pending.clear()
        if dropped and self.stats:
            self.stats.inc_value("newscrawl/redis/unqueued", dropped)
        return dropped

    def next_request(self):
        if not self.flush_pending():
            return None
        try:
            request = self.queue.pop(self.idle_before_close)
        except RedisUnavailable:
            return None
        if request is not None and self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request


class RedisCrawlExtension:
    """Heartbeat, acknowledgement of finished requests, recovery of dead workers, the idle rule, and giving up
    on a Redis unreachable for longer than ``NEWSCRAWL_REDIS_LOST_TIMEOUT``."""

    def __init__(self, crawler, interval: float, ttl: float):
        self.crawler = crawler
        self.interval = interval
        self.ttl = ttl
        self.loop: task.LoopingCall | None = None
        self.gave_up = False

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.get("REDIS_URL"):
            raise NotConfigured
        check_uri("REDIS_URL", crawler.settings.get("REDIS_URL"))  # before redis-py quotes parts of it in errors
        ext = cls(crawler, crawler.settings.getfloat("NEWSCRAWL_REDIS_POLL"),
                  crawler.settings.getfloat("NEWSCRAWL_REDIS_WORKER_TTL"))
        crawler.signals.connect(ext.spider_opened, signals.spider_opened)
        crawler.signals.connect(ext.spider_idle, signals.spider_idle)
        crawler.signals.connect(ext.spider_closed, signals.spider_closed)
        return ext

    @property
    def scheduler(self) -> Scheduler | None:
        scheduler = self.crawler.engine.scheduler if self.crawler.engine else None
        return scheduler if isinstance(scheduler, Scheduler) else None

    @property
    def queue(self) -> ReliablePriorityQueue | None:
        queue = getattr(self.scheduler, "queue", None)
        return queue if isinstance(queue, ReliablePriorityQueue) else None

    def spider_opened(self, spider):
        queue = self.queue
        if queue is None:
            return
        engine_slot.check(self.crawler.engine)  # closes the crawl (scrapy_internals_changed) when Scrapy changed it
        logger.info("Redis worker %s on %s at %s", queue.worker, queue.key, self.scheduler.link.url)
        try:
            queue.heartbeat(self.ttl)
            queue.recover_dead()
        except RedisUnavailable:
            pass  # the tick retries until Redis answers or the lost timeout runs out
        self.loop = task.LoopingCall(self.tick)
        self.loop.start(self.interval, now=False)

    def tick(self):
        scheduler, queue = self.scheduler, self.queue
        if queue is None or self.gave_up:
            return
        try:
            queue.heartbeat(self.ttl)
            if not scheduler.flush_pending():
                return  # nothing is acknowledged while requests it found wait outside Redis
            self.ack_finished()
            queue.requeue_orphans()
            engine = self.crawler.engine
            if not engine.needs_backout() and (len(queue) or engine.spider_is_idle()):
                engine_slot.wake(engine)  # an idle engine polls the scheduler (and its idle rule) only every 5 s
        except RedisUnavailable:
            if scheduler.link.expired():
                self.give_up()
        except Exception:  # a bug, not an outage: keep the loop (and so the lost timeout) alive, say it once
            self.crawler.stats.inc_value("newscrawl/redis/tick_errors")
            if self.crawler.stats.get_value("newscrawl/redis/tick_errors") == 1:
                logger.exception("Redis worker tick failed (later failures are only counted in "
                                 "newscrawl/redis/tick_errors)")

    def give_up(self) -> None:
        """Redis was unreachable for too long: one ERROR line, then close the crawl without touching Redis."""
        scheduler, queue = self.scheduler, self.queue
        link = scheduler.link
        self.gave_up = True
        link.give_up()
        unqueued = scheduler.drop_pending()
        self.crawler.stats.set_value("newscrawl/redis/lost", 1)
        logger.error(
            "Lost Redis at %s: unreachable for %.0f s (NEWSCRAWL_REDIS_LOST_TIMEOUT %g s; %s); closing the crawl "
            "(finish_reason %s). What Redis keeps of the queue, with the %d requests this worker took and did not "
            "acknowledge, is left for the next run%s.", link.url, link.downtime(), link.lost_timeout,
            link.last_error, LOST_REASON, len(queue.taken),
            f"; {unqueued} requests found meanwhile were not queued (found again from the unacknowledged requests "
            "they came from, or from the next run's start)" if unqueued else "")
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        deferred_from_coro(self.crawler.engine.close_spider_async(reason=LOST_REASON))

    def ack_finished(self) -> None:
        """Acknowledge the taken requests the engine has finished (no longer in its in-progress set)."""
        queue, requests = self.queue, engine_slot.in_progress(self.crawler.engine)
        if queue is None or requests is None:
            return
        in_progress = {r.meta.get(TOKEN_META) for r in requests}
        queue.ack([t for t in queue.taken if t not in in_progress])

    def spider_idle(self, spider):
        scheduler, queue = self.scheduler, self.queue
        if queue is None or self.gave_up:
            return
        try:
            if not scheduler.flush_pending():
                raise DontCloseSpider
            self.ack_finished()
            queue.recover_dead()
            if len(queue) or queue.inflight_total():
                raise DontCloseSpider  # other workers are still busy, or requests wait
        except RedisUnavailable:
            raise DontCloseSpider from None  # the queue's state is unknown: wait for Redis (or the lost timeout)

    def spider_closed(self, spider, reason):
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        queue = self.queue
        if queue is None or self.gave_up:
            return  # given up: the heartbeat expires by itself and the unacknowledged requests are recovered
        try:
            if reason == "finished":
                self.ack_finished()
            queue.server.delete(queue.heartbeat_key)
        except RedisUnavailable:
            pass  # the link logged it; the heartbeat expires by itself

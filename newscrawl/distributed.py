"""Distributed crawling on Redis with scrapy-redis: one shared request queue and fingerprint set for N workers.

With ``REDIS_URL`` set, ``newscrawl.settings`` switches the scheduler to scrapy-redis's (:class:`Scheduler`, a
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
  write — with ``MONGO_BUFFER_SIZE=1``; a larger buffer acknowledges before its flush). Every worker keeps a
  heartbeat key; the in-flight requests of a worker whose heartbeat expired go back into the queue.
* Our spiders are not RedisSpiders: a plain spider closes when idle, so a second worker whose seed was a
  duplicate would close at once. :class:`RedisCrawlExtension` keeps an idle worker open while the shared
  queue holds requests or any worker has requests in flight, and wakes the engine when requests appear
  (Scrapy polls an idle scheduler only every 5 s). The crawl is over, and every worker closes, when the queue
  is empty and nothing is in flight anywhere.

Keys (``<spider>`` is the spider name): ``<spider>:requests`` (queue), ``<spider>:dupefilter`` (fingerprints),
``<spider>:requests:inflight:<worker>``, ``<spider>:requests:worker:<worker>`` (heartbeat).
"""

from __future__ import annotations

import logging
import os
import socket
import uuid

from scrapy import signals
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler as RedisScheduler
from twisted.internet import task

from .credentials import check_uri

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


def worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class ReliablePriorityQueue(PriorityQueue):
    """scrapy-redis's priority queue whose pop keeps the request in this worker's in-flight hash until
    :meth:`ack`."""

    def __init__(self, server, spider, key, serializer=None):
        super().__init__(server, spider, key, serializer)
        self.worker = worker_id()
        self.inflight_key = f"{self.key}:inflight:{self.worker}"
        self.heartbeat_key = f"{self.key}:worker:{self.worker}"
        self._pop = server.register_script(POP)
        self._recover = server.register_script(RECOVER)

    def pop(self, timeout=0):
        found = self._pop(keys=[self.key, self.inflight_key, f"{self.key}:tokens"])
        if not found:
            return None
        token, data = found
        request = self._decode_request(data)
        request.meta[TOKEN_META] = token.decode() if isinstance(token, bytes) else token
        return request

    def ack(self, tokens: list[str]) -> None:
        if tokens:
            self.server.hdel(self.inflight_key, *tokens)

    def heartbeat(self, ttl: float) -> None:
        self.server.set(self.heartbeat_key, self.worker, px=int(ttl * 1000))

    def inflight_keys(self) -> list[str]:
        return [k.decode() if isinstance(k, bytes) else k
                for k in self.server.scan_iter(match=f"{self.key}:inflight:*", count=1000)]

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
    """scrapy-redis's scheduler without its ``inc_value(..., spider=...)`` calls, which Scrapy 2.19 deprecates
    (a ScrapyDeprecationWarning at the first enqueue and dequeue of every run); otherwise unchanged."""

    def enqueue_request(self, request):
        if not request.dont_filter and self.df.request_seen(request):
            self.df.log(request, self.spider)
            return False
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        self.queue.push(request)
        return True

    def next_request(self):
        request = self.queue.pop(self.idle_before_close)
        if request is not None and self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request


class RedisCrawlExtension:
    """Heartbeat, acknowledgement of finished requests, recovery of dead workers and the idle rule."""

    def __init__(self, crawler, interval: float, ttl: float):
        self.crawler = crawler
        self.interval = interval
        self.ttl = ttl
        self.loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.get("REDIS_URL"):
            raise NotConfigured
        check_uri("REDIS_URL", crawler.settings.get("REDIS_URL"))  # before redis-py quotes parts of it in errors
        ext = cls(crawler, crawler.settings.getfloat("NEWSCRAWL_REDIS_POLL", 0.5),
                  crawler.settings.getfloat("NEWSCRAWL_REDIS_WORKER_TTL", 30))
        crawler.signals.connect(ext.spider_opened, signals.spider_opened)
        crawler.signals.connect(ext.spider_idle, signals.spider_idle)
        crawler.signals.connect(ext.spider_closed, signals.spider_closed)
        return ext

    @property
    def queue(self) -> ReliablePriorityQueue | None:
        scheduler = self.crawler.engine.scheduler if self.crawler.engine else None
        queue = getattr(scheduler, "queue", None)
        return queue if isinstance(queue, ReliablePriorityQueue) else None

    def spider_opened(self, spider):
        if self.queue is None:
            return
        self.queue.heartbeat(self.ttl)
        logger.info("Redis worker %s on %s", self.queue.worker, self.queue.key)
        self.crawler.stats.set_value("newscrawl/redis/worker", self.queue.worker)
        self.queue.recover_dead()
        self.loop = task.LoopingCall(self.tick)
        self.loop.start(self.interval, now=False)

    def tick(self):
        queue = self.queue
        if queue is None:
            return
        try:
            queue.heartbeat(self.ttl)
            self.ack_finished()
            engine = self.crawler.engine
            slot = getattr(engine, "_slot", None)
            if slot is not None and not engine.needs_backout() and (len(queue) or engine.spider_is_idle()):
                slot.nextcall.schedule()  # an idle engine polls the scheduler (and its idle rule) only every 5 s
        except Exception:  # a Redis hiccup must not stop the loop
            logger.exception("Redis worker tick failed")

    def ack_finished(self) -> None:
        """Acknowledge the taken requests the engine has finished (no longer in its in-progress set)."""
        queue, slot = self.queue, getattr(self.crawler.engine, "_slot", None)
        if queue is None or slot is None:
            return
        in_progress = {r.meta.get(TOKEN_META) for r in slot.inprogress}
        tokens = [t.decode() if isinstance(t, bytes) else t for t in queue.server.hkeys(queue.inflight_key)]
        done = [t for t in tokens if t not in in_progress]
        queue.ack(done)

    def spider_idle(self, spider):
        queue = self.queue
        if queue is None:
            return
        self.ack_finished()
        queue.recover_dead()
        if len(queue) or queue.inflight_total():
            raise DontCloseSpider  # other workers are still busy, or requests wait

    def spider_closed(self, spider, reason):
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        queue = self.queue
        if queue is not None:
            if reason == "finished":
                self.ack_finished()
            queue.server.delete(queue.heartbeat_key)

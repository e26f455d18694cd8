"""Scrapy settings for newscrawl.

Every setting that differs between machines comes from the environment, with a safe default, so cron
jobs and containers configure a run without editing code. Nothing here opens a connection.
"""

import os

from newscrawl import __version__


def env_flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name, "").strip()
    try:
        return float(value) if value else default
    except ValueError:
        raise ValueError(f"{name} must be a number, got {value!r}") from None


BOT_NAME = "newscrawl"
SPIDER_MODULES = ["newscrawl.spiders"]
NEWSPIDER_MODULE = "newscrawl.spiders"
COMMANDS_MODULE = "newscrawl.commands"  # scrapy replay, scrapy cronrun, scrapy crawl (exit code)

USER_AGENT = os.environ.get(
    "NEWSCRAWL_USER_AGENT",
    f"newscrawl/{__version__} (+https://github.com/newscrawl/newscrawl; news archive crawler)",
)

# Politeness: robots.txt, AutoThrottle and a small per-domain concurrency by default.
ROBOTSTXT_OBEY = env_flag("NEWSCRAWL_ROBOTSTXT_OBEY", True)
CONCURRENT_REQUESTS = int(env_float("NEWSCRAWL_CONCURRENT_REQUESTS", 16))
CONCURRENT_REQUESTS_PER_DOMAIN = int(env_float("NEWSCRAWL_CONCURRENT_REQUESTS_PER_DOMAIN", 4))
DOWNLOAD_DELAY = env_float("NEWSCRAWL_DOWNLOAD_DELAY", 0.5)
AUTOTHROTTLE_ENABLED = env_flag("NEWSCRAWL_AUTOTHROTTLE", True)
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
DOWNLOAD_TIMEOUT = env_float("NEWSCRAWL_DOWNLOAD_TIMEOUT", 30)
DOWNLOAD_MAXSIZE = int(env_float("NEWSCRAWL_DOWNLOAD_MAXSIZE", 16 * 1024 * 1024))
# Network errors, timeouts, 5xx and 429 are retried (Scrapy's RetryMiddleware) with exponential backoff
# (newscrawl.middlewares.RetryBackoffMiddleware: NEWSCRAWL_RETRY_BACKOFF * 2**(n-1) seconds before the
# n-th retry, at most NEWSCRAWL_RETRY_BACKOFF_MAX; a 429/503 Retry-After header is honoured up to that).
# 404 and 410 are not retried: Scrapy's HttpErrorMiddleware logs them and counts
# httperror/response_ignored_status_count/<code>.
RETRY_TIMES = int(env_float("NEWSCRAWL_RETRY_TIMES", 3))
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
NEWSCRAWL_RETRY_BACKOFF = env_float("NEWSCRAWL_RETRY_BACKOFF", 2.0)
NEWSCRAWL_RETRY_BACKOFF_MAX = env_float("NEWSCRAWL_RETRY_BACKOFF_MAX", 60.0)
DOWNLOADER_MIDDLEWARES = {
    # Requests only to the spider's scheme + host + port (redirects, robots.txt too): before Scrapy's offsite (50)
    "newscrawl.middlewares.OriginMiddleware": 40,
    "newscrawl.middlewares.RetryBackoffMiddleware": 560,  # responses reach it just before RetryMiddleware (550)
}

# HTTP cache, off by default: NEWSCRAWL_HTTPCACHE=1 keeps responses under .scrapy/httpcache.
HTTPCACHE_ENABLED = env_flag("NEWSCRAWL_HTTPCACHE", False)
HTTPCACHE_EXPIRATION_SECS = int(env_float("NEWSCRAWL_HTTPCACHE_EXPIRATION_SECS", 3600))
HTTPCACHE_DIR = "httpcache"

# Items handled in parallel per response. An article page yields one item, yet Scrapy starts this many
# asyncio tasks for every response's output (100 by default): 16 costs less and loses nothing.
CONCURRENT_ITEMS = int(env_float("NEWSCRAWL_CONCURRENT_ITEMS", 16))

# Extraction runs in this many worker processes (newscrawl.extract_workers): "auto" (the default) is one
# less than the machine's cores, at most 4; 0 extracts in the crawl process itself.
NEWSCRAWL_EXTRACT_PROCESSES = os.environ.get("NEWSCRAWL_EXTRACT_PROCESSES", "auto")
# Seconds one page's extraction may take before it is interrupted, skipped and counted
# (newscrawl/skipped/extract_timeout); 0: no limit. Ordinary pages take milliseconds.
NEWSCRAWL_EXTRACT_TIME_BUDGET = env_float("NEWSCRAWL_EXTRACT_TIME_BUDGET", 30.0)
# On a page without a site module whose text was found on weak evidence, ask trafilatura for a second
# opinion on the main text (newscrawl/extract/second_opinion.py); 0 keeps the generic layers' text.
NEWSCRAWL_SECOND_OPINION = env_flag("NEWSCRAWL_SECOND_OPINION", True)

# Where a site spider crawls, by site name ({"heute": "http://127.0.0.1:8765"}; -s takes it as JSON); a site
# not named here crawls its declared BASE_URL. -a base_url= wins over it (newscrawl.spiders.site).
NEWSCRAWL_BASE_URLS: dict[str, str] = {}
# Deprecated (one release): the sites' addresses before NEWSCRAWL_BASE_URLS; a value other than the site's own
# BASE_URL is still used, with a warning.
HEUTE_BASE_URL = os.environ.get("HEUTE_BASE_URL", "https://www.heute.at")
ZWANZIGMINUTEN_BASE_URL = os.environ.get("ZWANZIGMINUTEN_BASE_URL", "https://www.20min.ch")

# Output: one JSONL file per run, output/<spider>/<UTC time to the microsecond>-<pid>-<random>.jsonl, created new
# (never appended to: newscrawl.exporters), so runs started in the same second never share a file.
# ``-o``/``-O`` on the command line replace it.
NEWSCRAWL_OUTPUT_DIR = os.environ.get("NEWSCRAWL_OUTPUT_DIR", "output")
FEEDS = {
    f"{NEWSCRAWL_OUTPUT_DIR}/%(name)s/%(run_id)s.jsonl": {
        "format": "jsonlines",
        "encoding": "utf8",
        "store_empty": True,
        "uri_params": "newscrawl.exporters.run_uri_params",
        "newscrawl_new_file": True,
    }
}
FEED_STORAGES = {"": "newscrawl.exporters.NewFileFeedStorage", "file": "newscrawl.exporters.NewFileFeedStorage"}
FEED_EXPORT_ENCODING = "utf-8"
FEED_EXPORTERS = {"jsonlines": "newscrawl.exporters.JsonLinesExporter", "jsonl": "newscrawl.exporters.JsonLinesExporter"}

# Pipelines, one concern each, in this order.
ITEM_PIPELINES = {
    "newscrawl.pipelines.validate.ValidatePipeline": 100,
    "newscrawl.pipelines.normalise.NormalisePipeline": 200,
    "newscrawl.pipelines.dedup.DedupPipeline": 300,
    "newscrawl.pipelines.store.StorePipeline": 400,
}

# Store: MongoDB when MONGO_URI is set, else the embedded SQLite file NEWSCRAWL_STATE.
MONGO_URI = os.environ.get("MONGO_URI", "")
MONGO_DATABASE = os.environ.get("MONGO_DATABASE", "newscrawl")
MONGO_COLLECTION = os.environ.get("MONGO_COLLECTION", "articles")
MONGO_BUFFER_SIZE = int(env_float("MONGO_BUFFER_SIZE", 500))
MONGO_FLUSH_INTERVAL = env_float("MONGO_FLUSH_INTERVAL", 5.0)
MONGO_CONNECT_TIMEOUT_MS = int(env_float("MONGO_CONNECT_TIMEOUT_MS", 5000))
MONGO_RETRIES = int(env_float("MONGO_RETRIES", 4))
NEWSCRAWL_STATE = os.environ.get("NEWSCRAWL_STATE", "state/newscrawl.sqlite3")
# Items the store cannot take (store down, batch failed) wait here for `scrapy replay` or the next run;
# empty: spool.jsonl in the folder of NEWSCRAWL_STATE.
NEWSCRAWL_SPOOL = os.environ.get("NEWSCRAWL_SPOOL", "")
# Items whose fields would break MongoDB: larger than this (BSON bytes) are dropped (MongoDB's limit is 16 MiB).
NEWSCRAWL_MAX_DOCUMENT_BYTES = int(env_float("NEWSCRAWL_MAX_DOCUMENT_BYTES", 15 * 1024 * 1024))

# Incremental crawling (newscrawl.incremental): sitemap entries are fetched only when new, when their lastmod
# is newer than at their last fetch, or (NEWSCRAWL_RECHECK, e.g. "2d") when published within that window and
# last fetched at least NEWSCRAWL_RECHECK_EVERY ago. Off for `scrapy crawl` unless NEWSCRAWL_INCREMENTAL=1
# or -a incremental=1; on for `scrapy cronrun` unless switched off the same ways.
SPIDER_MIDDLEWARES = {
    "newscrawl.incremental.IncrementalMiddleware": 950,  # next to the spider: sees its requests first
    "newscrawl.discovery.DiscoveryCapMiddleware": 600,  # after incremental, depth and URL-length filtering
}
# Discovery bounds (newscrawl.discovery): article requests queued per run, newest sitemap entries first, the
# rest counted (newscrawl/discovery/capped) and left for the next run (0: no cap); child sitemaps read per run.
NEWSCRAWL_MAX_ARTICLES_PER_RUN = int(env_float("NEWSCRAWL_MAX_ARTICLES_PER_RUN", 10000))
NEWSCRAWL_MAX_SITEMAPS = int(env_float("NEWSCRAWL_MAX_SITEMAPS", 1000))
NEWSCRAWL_INCREMENTAL = env_flag("NEWSCRAWL_INCREMENTAL", False)
NEWSCRAWL_RECHECK = os.environ.get("NEWSCRAWL_RECHECK", "")
NEWSCRAWL_RECHECK_EVERY = os.environ.get("NEWSCRAWL_RECHECK_EVERY", "6h")
NEWSCRAWL_INCREMENTAL_BATCH = int(env_float("NEWSCRAWL_INCREMENTAL_BATCH", 100))  # state rows per write

# `scrapy cronrun` (newscrawl.commands.cronrun, checks in newscrawl.cron): one run per spider at a time (a
# lock file in NEWSCRAWL_LOCK_DIR, default the folder of NEWSCRAWL_STATE) and an exit code that is 0 only
# when the run was healthy: ERROR log lines at most NEWSCRAWL_MAX_ERRORS, and, from
# NEWSCRAWL_COVERAGE_MIN_ITEMS extracted items on, each field's share of items at least its floor.
NEWSCRAWL_LOCK_DIR = os.environ.get("NEWSCRAWL_LOCK_DIR", "")
NEWSCRAWL_MAX_ERRORS = int(env_float("NEWSCRAWL_MAX_ERRORS", 0))
NEWSCRAWL_COVERAGE_FLOORS = os.environ.get(
    "NEWSCRAWL_COVERAGE_FLOORS", "headline=0.99,published=0.95,authors_or_source=0.5,lead_image_credit=0.5")
NEWSCRAWL_COVERAGE_MIN_ITEMS = int(env_float("NEWSCRAWL_COVERAGE_MIN_ITEMS", 10))

# Distributed crawling (newscrawl.distributed): with REDIS_URL set, N workers share scrapy-redis's request queue
# and fingerprint set in that Redis (keys <spider>:requests and <spider>:dupefilter, kept between runs);
# without it, Scrapy's own scheduler and duplicate filter, as before.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    SCHEDULER = "newscrawl.distributed.Scheduler"  # scrapy_redis.scheduler.Scheduler, see there
    DUPEFILTER_CLASS = "scrapy_redis.dupefilter.RFPDupeFilter"
    SCHEDULER_PERSIST = True
    SCHEDULER_QUEUE_CLASS = "newscrawl.distributed.ReliablePriorityQueue"
    EXTENSIONS = {"newscrawl.distributed.RedisCrawlExtension": 500}
# Seconds a worker's heartbeat lives: its in-flight requests go back to the queue this long after it died.
NEWSCRAWL_REDIS_WORKER_TTL = env_float("NEWSCRAWL_REDIS_WORKER_TTL", 30)
# Seconds Redis may stay unreachable (retried with backoff) before the worker gives up: one ERROR line,
# finish_reason redis_lost, exit code 8; its unacknowledged requests stay in Redis for the next run.
NEWSCRAWL_REDIS_LOST_TIMEOUT = env_float("NEWSCRAWL_REDIS_LOST_TIMEOUT", 30)
# Seconds one Redis command (or connect) may block the crawl before it counts as a failure.
NEWSCRAWL_REDIS_SOCKET_TIMEOUT = env_float("NEWSCRAWL_REDIS_SOCKET_TIMEOUT", 5)

# Scrapy's telnet console logs its made-up password at INFO in every run's log: off unless
# NEWSCRAWL_TELNETCONSOLE=1 (or -s TELNETCONSOLE_ENABLED=1; it listens on 127.0.0.1 only).
TELNETCONSOLE_ENABLED = env_flag("NEWSCRAWL_TELNETCONSOLE", False)

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
LOG_LEVEL = os.environ.get("NEWSCRAWL_LOG_LEVEL", "INFO")

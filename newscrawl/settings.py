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
COMMANDS_MODULE = "newscrawl.commands"  # scrapy replay, scrapy crawl (exit code), ...

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
    "newscrawl.middlewares.RetryBackoffMiddleware": 560,  # responses reach it just before RetryMiddleware (550)
}

# HTTP cache, off by default: NEWSCRAWL_HTTPCACHE=1 keeps responses under .scrapy/httpcache.
HTTPCACHE_ENABLED = env_flag("NEWSCRAWL_HTTPCACHE", False)
HTTPCACHE_EXPIRATION_SECS = int(env_float("NEWSCRAWL_HTTPCACHE_EXPIRATION_SECS", 3600))
HTTPCACHE_DIR = "httpcache"

# The sites' addresses; tests and the demo point them at offline mirrors.
HEUTE_BASE_URL = os.environ.get("HEUTE_BASE_URL", "https://www.heute.at")
ZWANZIGMINUTEN_BASE_URL = os.environ.get("ZWANZIGMINUTEN_BASE_URL", "https://www.20min.ch")

# Output: one JSONL file per run, output/<spider>/<timestamp>.jsonl (``-o``/``-O`` on the command line replace it).
NEWSCRAWL_OUTPUT_DIR = os.environ.get("NEWSCRAWL_OUTPUT_DIR", "output")
FEEDS = {
    f"{NEWSCRAWL_OUTPUT_DIR}/%(name)s/%(time)s.jsonl": {
        "format": "jsonlines",
        "encoding": "utf8",
        "store_empty": True,
    }
}
FEED_EXPORT_ENCODING = "utf-8"

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

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
LOG_LEVEL = os.environ.get("NEWSCRAWL_LOG_LEVEL", "INFO")

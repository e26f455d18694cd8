"""Scrapy settings for newscrawl: every default, written once.

A run changes them with ``-s NAME=VALUE`` (scrapyd's ``setting=`` and hosted Scrapy platforms the same way),
with the project's settings, or with environment variables: :mod:`newscrawl.environment` maps each variable
to its setting, read once at the end of this module, and ``-s`` wins over the environment. Settings derived
from others (the Redis scheduler from ``REDIS_URL``, ``LOG_LEVEL`` from ``NEWSCRAWL_LOG_LEVEL``, ...) are
derived at run time from the final values by the newscrawl add-on (:mod:`newscrawl.addon`); code elsewhere
reads these names from the crawler's settings without a fallback of its own. Nothing here opens a connection.
"""

import sys as _sys

from newscrawl import __version__
from newscrawl.environment import read as read_environment


BOT_NAME = "newscrawl"
SPIDER_MODULES = ["newscrawl.spiders"]
NEWSPIDER_MODULE = "newscrawl.spiders"
# Scrapy's loader, plus: a URL on a base URL of NEWSCRAWL_BASE_URLS belongs to that site's spider (scrapy parse <url>)
SPIDER_LOADER_CLASS = "newscrawl.spiderloader.SpiderLoader"
# scrapy check: parse_article's contracts on a site's SAMPLE_ARTICLE (newscrawl.contracts; sites without one: none)
SPIDER_CONTRACTS = {"newscrawl.contracts.SampleArticleContract": 10, "newscrawl.contracts.FilledContract": 20}
COMMANDS_MODULE = "newscrawl.commands"  # scrapy replay, scrapy cronrun, scrapy crawl (exit code)

# Settings derived at run time, from REDIS_URL and the NEWSCRAWL_ names of Scrapy settings (newscrawl.addon).
ADDONS = {"newscrawl.addon.Addon": 0}

# Scrapy settings: -s and the project settings take Scrapy's names or the NEWSCRAWL_ ones (NEWSCRAWL_DOWNLOAD_DELAY
# for DOWNLOAD_DELAY, ...: newscrawl.addon.ALIASES), the environment the NEWSCRAWL_ ones.
USER_AGENT = f"newscrawl/{__version__} (+https://github.com/newscrawl/newscrawl; news archive crawler)"

# Politeness: robots.txt, AutoThrottle and a small per-domain concurrency by default.
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
DOWNLOAD_TIMEOUT = 30.0
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
# Network errors, timeouts, 5xx and 429 are retried (Scrapy's RetryMiddleware) with exponential backoff
# (newscrawl.middlewares.RetryBackoffMiddleware: NEWSCRAWL_RETRY_BACKOFF * 2**(n-1) seconds before the
# n-th retry, at most NEWSCRAWL_RETRY_BACKOFF_MAX; a 429/503 Retry-After header is honoured up to that).
# 404 and 410 are not retried: Scrapy's HttpErrorMiddleware logs them and counts
# httperror/response_ignored_status_count/<code>.
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
NEWSCRAWL_RETRY_BACKOFF = 2.0
NEWSCRAWL_RETRY_BACKOFF_MAX = 60.0
DOWNLOADER_MIDDLEWARES = {
    # Counts each article request's end for the progress line (newscrawl.progress): next to the engine
    "newscrawl.progress.ProgressMiddleware": 10,
    # Requests only to the spider's scheme + host + port (redirects, robots.txt too): before Scrapy's offsite (50)
    "newscrawl.middlewares.OriginMiddleware": 40,
    "newscrawl.middlewares.RetryBackoffMiddleware": 560,  # responses reach it just before RetryMiddleware (550)
}

# HTTP cache, off by default: NEWSCRAWL_HTTPCACHE=1 keeps responses under .scrapy/httpcache.
HTTPCACHE_ENABLED = False
HTTPCACHE_EXPIRATION_SECS = 3600
HTTPCACHE_DIR = "httpcache"

# Items handled in parallel per response. An article page yields one item, yet Scrapy starts this many
# asyncio tasks for every response's output (100 by default): 16 costs less and loses nothing.
CONCURRENT_ITEMS = 16

# Extraction runs in this many worker processes (newscrawl.extract_workers): "auto" (the default) is one
# less than the machine's cores, at most 4; 0 extracts in the crawl process itself.
NEWSCRAWL_EXTRACT_PROCESSES = "auto"
# Seconds one page's extraction may take before it is interrupted, skipped and counted
# (newscrawl/skipped/extract_timeout); 0: no limit. Ordinary pages take milliseconds.
NEWSCRAWL_EXTRACT_TIME_BUDGET = 30.0
# On a page without a site module whose text was found on weak evidence, ask trafilatura for a second
# opinion on the main text (newscrawl/extract/second_opinion.py); 0 keeps the generic layers' text.
NEWSCRAWL_SECOND_OPINION = True

# Where a site spider crawls, by site name ({"heute": "http://127.0.0.1:8765"}; -s takes it as JSON); a site
# not named here crawls its declared BASE_URL. -a base_url= wins over it (newscrawl.spiders.site).
NEWSCRAWL_BASE_URLS: dict[str, str] = {}
# Deprecated (one release), no default: HEUTE_BASE_URL and ZWANZIGMINUTEN_BASE_URL, the sites' addresses before
# NEWSCRAWL_BASE_URLS; a value other than the site's own BASE_URL is still used, with a warning.

# Output: one JSONL file per run, output/<spider>/<UTC time to the microsecond>-<pid>-<random>.jsonl, created new
# (never appended to: newscrawl.exporters), so runs started in the same second never share a file. A run that
# exports no item (all articles unchanged) writes no file (store_empty False). The folder is read when the feed
# opens (%(output_dir)s, newscrawl.exporters.run_uri_params), so -s NEWSCRAWL_OUTPUT_DIR moves it.
# ``-o``/``-O`` on the command line (or FEEDS given with -s) replace this default feed instead of adding to it,
# and NEWSCRAWL_DEFAULT_FEED = False switches it off (newscrawl.feed_outputs, applied by the add-on); the feed
# marked "newscrawl_default" is the one they drop.
NEWSCRAWL_OUTPUT_DIR = "output"
NEWSCRAWL_DEFAULT_FEED = True
FEEDS = {
    "%(output_dir)s/%(name)s/%(run_id)s.jsonl": {
        "format": "jsonlines",
        "encoding": "utf8",
        "store_empty": False,
        "uri_params": "newscrawl.exporters.run_uri_params",
        "newscrawl_new_file": True,
        "newscrawl_default": True,
    }
}
FEED_STORAGES = {"": "newscrawl.exporters.NewFileFeedStorage", "file": "newscrawl.exporters.NewFileFeedStorage"}
# UTF-8 without a byte-order mark, for every format (CSV included).
FEED_EXPORT_ENCODING = "utf-8"
# CSV: one row per article, list and nested fields as JSON text (newscrawl.exporters.CsvExporter).
FEED_EXPORTERS = {"jsonlines": "newscrawl.exporters.JsonLinesExporter", "jsonl": "newscrawl.exporters.JsonLinesExporter",
                  "csv": "newscrawl.exporters.CsvExporter"}

# Pipelines, one concern each, in this order; each can be switched off (NEWSCRAWL_<NAME>_ENABLED = False).
ITEM_PIPELINES = {
    "newscrawl.pipelines.validate.ValidatePipeline": 100,
    "newscrawl.pipelines.normalise.NormalisePipeline": 200,
    "newscrawl.pipelines.dedup.DedupPipeline": 300,
    "newscrawl.pipelines.store.StorePipeline": 400,
}
NEWSCRAWL_VALIDATE_ENABLED = True
NEWSCRAWL_NORMALISE_ENABLED = True
# Dedup off: nothing is dropped (unchanged articles are exported too, with their stored revision); the store
# pipeline then classifies each item by dedup's rule and stores only new and changed ones as revisions.
NEWSCRAWL_DEDUP_ENABLED = True
NEWSCRAWL_STORE_ENABLED = True
EXTENSIONS = {
    "newscrawl.store.StoreExtension": 100,  # the one store client of the dedup, store and incremental parts
    "newscrawl.progress.Progress": 200,  # the progress line (NEWSCRAWL_PROGRESS_INTERVAL)
}

# Store: MongoDB when MONGO_URI is set, else the embedded SQLite file NEWSCRAWL_STATE.
MONGO_URI = ""
MONGO_DATABASE = "newscrawl"
MONGO_COLLECTION = "articles"
# Writes to either store are buffered: flushed when NEWSCRAWL_STORE_BUFFER_SIZE items wait, every
# NEWSCRAWL_STORE_FLUSH_INTERVAL seconds and at close; a failing store is asked again at that interval (at least
# 1 s). MONGO_BUFFER_SIZE / MONGO_FLUSH_INTERVAL, their names before, still work this release, with a warning.
NEWSCRAWL_STORE_BUFFER_SIZE = 500
NEWSCRAWL_STORE_FLUSH_INTERVAL = 5.0
MONGO_CONNECT_TIMEOUT_MS = 5000
MONGO_RETRIES = 4
NEWSCRAWL_STATE = "state/newscrawl.sqlite3"
# Items the store cannot take (store down, batch failed) wait here for `scrapy replay` or the next run;
# empty: spool.jsonl in the folder of NEWSCRAWL_STATE.
NEWSCRAWL_SPOOL = ""
# Versions (newscrawl.store.versions): every new or changed revision also stores its content fields and changes
# (MongoDB: collection article_versions; embedded: table article_versions), in the batch of its article.
# NEWSCRAWL_VERSIONS_KEEP: "all", "<N>" (the last N revisions of each article) or "<N>d" (those seen within N
# days; the latest always kept), applied to the articles written. NEWSCRAWL_VERSIONS_ENABLED = False writes none.
NEWSCRAWL_VERSIONS_ENABLED = True
NEWSCRAWL_VERSIONS_KEEP = "all"
# Items whose fields would break MongoDB: larger than this (BSON bytes) are dropped (MongoDB's limit is 16 MiB).
NEWSCRAWL_MAX_DOCUMENT_BYTES = 15 * 1024 * 1024

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
NEWSCRAWL_MAX_ARTICLES_PER_RUN = 10000
NEWSCRAWL_MAX_SITEMAPS = 1000
NEWSCRAWL_INCREMENTAL = False
NEWSCRAWL_RECHECK = ""
NEWSCRAWL_RECHECK_EVERY = "6h"
NEWSCRAWL_INCREMENTAL_BATCH = 100  # state rows per write

# `scrapy cronrun` (newscrawl.commands.cronrun, checks in newscrawl.cron): one run per spider at a time (a
# lock file in NEWSCRAWL_LOCK_DIR, default the folder of NEWSCRAWL_STATE) and an exit code that is 0 only
# when the run was healthy: ERROR log lines at most NEWSCRAWL_MAX_ERRORS, and, from
# NEWSCRAWL_COVERAGE_MIN_ITEMS extracted items on, each field's share of items at least its floor.
NEWSCRAWL_LOCK_DIR = ""
NEWSCRAWL_MAX_ERRORS = 0
NEWSCRAWL_COVERAGE_FLOORS = "headline=0.99,published=0.95,authors_or_source=0.5,lead_image_credit=0.5"
NEWSCRAWL_COVERAGE_MIN_ITEMS = 10
# Drift (newscrawl.drift): cronrun also fails (exit 9) when a watched field's share fell by more than
# NEWSCRAWL_DRIFT_MARGIN below its median over the spider's previous runs (read from the run summaries in
# <NEWSCRAWL_OUTPUT_DIR>/<spider>/, runs with fewer than NEWSCRAWL_COVERAGE_MIN_ITEMS items left out), once at least
# NEWSCRAWL_DRIFT_MIN_RUNS such runs are there. A margin of 1 switches the check off (no share falls by more).
NEWSCRAWL_DRIFT_MARGIN = 0.15
NEWSCRAWL_DRIFT_MIN_RUNS = 5

# Distributed crawling (newscrawl.distributed): with REDIS_URL set (-s, the project or the environment), N workers
# share scrapy-redis's request queue and fingerprint set in that Redis (keys <spider>:requests and
# <spider>:dupefilter, kept between runs): the add-on switches SCHEDULER, DUPEFILTER_CLASS, SCHEDULER_PERSIST,
# SCHEDULER_QUEUE_CLASS and the RedisCrawlExtension on (newscrawl.addon.REDIS_SETTINGS). Without it, Scrapy's
# own scheduler and duplicate filter, as before.
REDIS_URL = ""
# Seconds a worker's heartbeat lives: its in-flight requests go back to the queue this long after it died.
NEWSCRAWL_REDIS_WORKER_TTL = 30.0
# Seconds Redis may stay unreachable (retried with backoff) before the worker gives up: one ERROR line,
# finish_reason redis_lost, exit code 8; its unacknowledged requests stay in Redis for the next run.
NEWSCRAWL_REDIS_LOST_TIMEOUT = 30.0
# Seconds one Redis command (or connect) may block the crawl before it counts as a failure.
NEWSCRAWL_REDIS_SOCKET_TIMEOUT = 5.0
# Seconds between an idle worker's looks at the shared queue (and at the other workers' in-flight requests).
NEWSCRAWL_REDIS_POLL = 0.5

# Scrapy's telnet console logs its made-up password at INFO in every run's log: off unless
# NEWSCRAWL_TELNETCONSOLE=1 (or -s TELNETCONSOLE_ENABLED=1; it listens on 127.0.0.1 only).
TELNETCONSOLE_ENABLED = False
# Scrapy 2.19's remote control (an HTTP server per crawl that runs Python code sent to it, with a token written
# to a job file) is on by default: off here for the same reason, unless NEWSCRAWL_REMOTE_CONTROL=1.
REMOTE_CONTROL_ENABLED = False

# Progress (newscrawl.progress): every NEWSCRAWL_PROGRESS_INTERVAL seconds one INFO line, articles done/discovered,
# articles per minute, ETA, pages and items ("Progress: 12/40 articles (30%), 8.5/min, ETA 0:03:24; 57 pages,
# 11 items"); 0: none. It replaces Scrapy's LogStats line (pages and items every 60 s): LOGSTATS_INTERVAL = 0.
NEWSCRAWL_PROGRESS_INTERVAL = 30.0
LOGSTATS_INTERVAL = 0

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
LOG_LEVEL = "INFO"

# The environment, read once (newscrawl.environment.VARIABLES: variable -> setting). Its values replace the
# defaults above; NEWSCRAWL_FROM_ENVIRONMENT records which settings came from which variable.
# A variable that does not parse stops every command at once, in one line on stderr with exit code 2 (usage),
# as a bad -s value does (newscrawl.commands.checks), not with a traceback from inside Scrapy's settings load.
try:
    _environment, NEWSCRAWL_FROM_ENVIRONMENT = read_environment()
except ValueError as _error:
    _sys.stderr.write(f"newscrawl: {_error}\n")
    raise SystemExit(2) from None
globals().update(_environment)

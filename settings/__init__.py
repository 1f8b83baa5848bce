"""Scrapy settings for newscrawler: the one place environment variables are read.

Every setting is documented where it is defined. Override per run with `-s NAME=value`.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
# A source checkout (scrapy.cfg beside the packages) keeps its data under the project. Deployed as
# an egg (Scrapyd) or installed as a wheel, PROJECT_DIR is a zip file or site-packages: never a
# place to write. Package data is read with importlib.resources, never through a path.
SOURCE_CHECKOUT = (PROJECT_DIR / "scrapy.cfg").is_file()

BOT_NAME = "newscrawler"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"
# Origin to use per outlet instead of its real home (a replica or mirror), for commands that take
# no `-a base_url` (`scrapy check`, `scrapy parse`): -s OUTLET_BASE_URLS='{"almada": "http://127.0.0.1:8123"}'.
# `-a base_url` takes precedence. Empty: the real sites.
OUTLET_BASE_URLS: dict[str, str] = {}
# `scrapy check`: each outlet's sample article (spiders/outlets.py). Our @url resolves paths
# against the origin above; @article checks the article extracted (newscrawler/scrapy_ext/contracts.py).
SPIDER_CONTRACTS = {
    "scrapy.contracts.default.UrlContract": None,
    "newscrawler.scrapy_ext.contracts.UrlContract": 1,
    "newscrawler.scrapy_ext.contracts.ArticleContract": 20,
}

# --- Database -------------------------------------------------------------------------------
# MONGO_URI: a real MongoDB (mongodb://user:pw@host:27017/?replicaSet=rs0). Unset -> the embedded
# nx-27017 server under NEWSCRAWLER_DATA_DIR, started on demand on EMBEDDED_DB_PORT.
MONGO_URI: str | None = os.environ.get("MONGO_URI") or None
MONGO_DATABASE = os.environ.get("MONGO_DATABASE", "newscrawler")
# Embedded DB files, its log and pid, the quarantine. Default: `data/` of the checkout; elsewhere
# (a Scrapyd job) `data/` in the working directory, beside Scrapyd's own logs/, eggs/ and dbs/.
# Made absolute now, so a later chdir does not move it.
NEWSCRAWLER_DATA_DIR = os.path.abspath(os.environ.get("NEWSCRAWLER_DATA_DIR")
                                       or (PROJECT_DIR / "data" if SOURCE_CHECKOUT else Path.cwd() / "data"))
# 27217, not 27017: never clash with (or silently write into) a real local mongod.
EMBEDDED_DB_PORT = int(os.environ.get("EMBEDDED_DB_PORT", "27217"))
# How long a write waits for an unreachable server before the retry/spill path takes over.
MONGO_SERVER_SELECTION_TIMEOUT_MS = 30_000

# --- Storage pipeline -------------------------------------------------------------------------
# Dedup and store run in batches on a database thread (group commit: a batch gathers while the
# previous one is written, so no timer is needed). See pipelines/store.py.
STORE_BATCH_SIZE = 100  # the largest batch of articles deduplicated and written together
STORE_BATCH_WAIT_SECONDS = 1.0  # a smaller batch waits this long for more articles (0: write at once)
STORE_WRITE_RETRIES = 3  # retries of a refused batch before its articles are quarantined and the crawl stops
# Where a batch goes when the database refuses it after all retries: nothing is lost.
# Items that failed a stage (extraction, normalise, dedup, store), with their raw page or fields:
# `newscrawler replay` re-processes them (newscrawler/quarantine.py).
QUARANTINE_DIR = os.path.join(NEWSCRAWLER_DATA_DIR, "quarantine")

# Duplicates (exact, near, syndicated): "link" stores a copy with duplicate_of; "drop" drops it.
DEDUP_MODE = os.environ.get("NEWSCRAWLER_DEDUP_MODE", "link")
DEDUP_ENABLED = True  # False: no duplicate decision at all (benchmarks)
# `newscrawler export` reads only articles whose changed_at is at least this many seconds old: a
# write stamps changed_at just before it commits, and a poll must not pass a time whose writes are
# still on their way (slow batch on the embedded server, clocks of crawl and export hosts). See
# newscrawler/export.py.
EXPORT_SETTLE_SECONDS = float(os.environ.get("EXPORT_SETTLE_SECONDS", "30"))

# --- Extraction: worker processes off the reactor (newscrawler/scrapy_ext/extraction.py) --------
EXTRACT_WORKERS = -1  # processes; -1: one per CPU; 0: on the reactor thread (debugging, no time budget)
EXTRACT_TIMEOUT = 20.0  # seconds per page; a page over budget has its worker replaced and is quarantined
EXTRACT_MAX_PENDING = 4  # pages waiting for a worker beyond those being extracted (back-pressure)

ITEM_PIPELINES = {
    "pipelines.normalise.NormalisePipeline": 100,
    "pipelines.validate.ValidatePipeline": 200,
    "newscrawler.scrapy_ext.monitoring.ArticleValidationPipeline": 250,
    "pipelines.store.MongoStorePipeline": 900,
}

EXTENSIONS = {
    # First: passwords in URIs (MONGO_URI, NEWSCRAWLER_REDIS_URL) are redacted in every log record.
    "newscrawler.scrapy_ext.redact.RedactLogExtension": 0,
    "spidermon.contrib.scrapy.extensions.Spidermon": 500,
    # After Spidermon: the run record includes the monitors' verdict.
    "newscrawler.scrapy_ext.run_record.RunRecordExtension": 900,
    "newscrawler.scrapy_ext.distributed.SharedIdleExtension": 600,  # only with NEWSCRAWLER_REDIS_URL
    "newscrawler.scrapy_ext.archive.ArchiveExtension": 700,  # raw article pages as WARC (ARCHIVE_ENABLED)
}

# --- Raw page archive (newscrawler/scrapy_ext/archive.py, newscrawler/archive/) -----------------
# Every fetched article response (2xx) is kept as WARC, per-record gzip (Common Crawl's format),
# in WARC_DIR/<outlet>/<crawl_id>-<n>.warc.gz, indexed in the `raw_pages` collection;
# `newscrawler reextract` re-runs the extractor over it, `newscrawler import-warc` reads others'.
ARCHIVE_ENABLED = True
WARC_DIR = os.environ.get("NEWSCRAWLER_WARC_DIR") or os.path.join(NEWSCRAWLER_DATA_DIR, "warc")
WARC_MAX_FILE_BYTES = 1 << 30  # a new file after this size (Common Crawl's files are ~1 GB)
# Captures waiting for the writer thread; a capture beyond it is counted (errors/archive/QueueFull),
# never waited for: the reactor does not block on the disk.
ARCHIVE_QUEUE_MAX_BYTES = 64 << 20

# --- Monitoring (newscrawler/scrapy_ext/monitoring.py) -----------------------------------------
SPIDERMON_ENABLED = True
SPIDERMON_SPIDER_CLOSE_MONITORS = ("newscrawler.scrapy_ext.monitoring.CloseSpiderMonitors",)
# An object path (Spidermon loads the dict), not a file path: the schema is package data, read with
# importlib.resources, so it is found inside a Scrapyd egg too.
SPIDERMON_VALIDATION_SCHEMAS = ["newscrawler.scrapy_ext.monitoring.ARTICLE_SCHEMA"]
SPIDERMON_MIN_ARTICLES = 1  # per run: an outlet that yields nothing has changed or is down
SPIDERMON_MAX_ERROR_RATE = 0.5  # errors (HTTP, extraction, database) per request
SPIDERMON_EXPECTED_FINISH_REASONS = ["finished"]
SPIDERMON_MAX_ITEM_VALIDATION_ERRORS = 0

# --- Politeness (defaults a person can leave running for months) ------------------------------
ROBOTSTXT_OBEY = True
NEWSCRAWLER_CONTACT_URL = os.environ.get(
    "NEWSCRAWLER_CONTACT_URL", "https://github.com/newscrawler/newscrawler"
)
USER_AGENT = f"newscrawler/0.1 (+{NEWSCRAWLER_CONTACT_URL})"
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
# Outputs of one callback processed at once. Scrapy starts this many asyncio tasks for every
# callback (default 100: ~200 tasks a page on the reactor, measured); ours yield one article or a
# discovery page's requests, and pages are processed side by side anyway.
CONCURRENT_ITEMS = 4
DOWNLOAD_DELAY = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 8 * 1024 * 1024  # news pages are < 1 MB; anything larger is not an article
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 2
# 429/503 with Retry-After: retried after the delay asked for, at most this many seconds (a longer
# one is capped and counted in stats retry_after/capped); never blocks other requests.
RETRY_AFTER_MAX = 120.0
# Hostile servers (newscrawler/scrapy_ext/middlewares.py). Redirect loops, over-long chains, off-site
# and public->private redirects are refused and counted (errors/redirect_*), before Scrapy's
# RedirectMiddleware (600) follows or silently drops them.
DOWNLOADER_MIDDLEWARES = {
    # Scrapy's lets requests that arrive while robots.txt is being fetched pass unchecked (2.19).
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "newscrawler.scrapy_ext.middlewares.RobotsTxtMiddleware": 100,
    "newscrawler.scrapy_ext.middlewares.RetryAfterMiddleware": 560,  # before RetryMiddleware (550)
    "newscrawler.scrapy_ext.middlewares.RedirectGuardMiddleware": 610,
    # Sees responses before HttpCompressionMiddleware (590) decompresses them.
    "newscrawler.scrapy_ext.middlewares.CompressedBodyCheckMiddleware": 595,
}
HTTPCACHE_ENABLED = False
COOKIES_ENABLED = False

LISTING_MAX_PAGES = 5  # pages of one listing followed per run (newest first; feeds/sitemaps cover the rest)

# --- JavaScript rendering (only outlets that declare listing/article_needs_js; see spiders/base.py)
PLAYWRIGHT_BROWSER_TYPE = "chromium"
PLAYWRIGHT_LAUNCH_OPTIONS = {
    # Debian's chromium: `playwright install` cannot download here (and need not anywhere).
    "executable_path": os.environ.get("NEWSCRAWLER_CHROMIUM", "/usr/bin/chromium"),
    "headless": True,
    "args": ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
             "--no-first-run", "--disable-sync", "--disable-component-update", "--disable-quic",
             "--renderer-process-limit=2", "--disable-site-isolation-trials",
             "--disable-features=site-per-process"],
}
PLAYWRIGHT_MAX_PAGES_PER_CONTEXT = 4
PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT = 30_000
# Rendering needs the page and its scripts/XHRs, not images, media or fonts.
PLAYWRIGHT_ABORT_REQUEST = "newscrawler.scrapy_ext.playwright.abort_heavy_resources"

# Replica/test runs shorten the delays with -s; a crawl of the real sites keeps the above.
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
# Articles are identified by their key (one fetch per article per run, whatever URL variant);
# the in-run dupefilter does not persist to JOBDIR (a crashed run re-discovers; see dupefilter.py).
REQUEST_FINGERPRINTER_CLASS = "newscrawler.scrapy_ext.dupefilter.ArticleKeyFingerprinter"
DUPEFILTER_CLASS = "newscrawler.scrapy_ext.dupefilter.InRunDupeFilter"
# --- Distributed mode (scrapy-redis): set NEWSCRAWLER_REDIS_URL=redis://host:6379/0 on every worker.
NEWSCRAWLER_REDIS_URL: str | None = os.environ.get("NEWSCRAWLER_REDIS_URL") or None
if NEWSCRAWLER_REDIS_URL:
    REDIS_URL = NEWSCRAWLER_REDIS_URL
    SCHEDULER = "scrapy_redis.scheduler.Scheduler"
    DUPEFILTER_CLASS = "newscrawler.scrapy_ext.distributed.ArticleKeyRedisDupeFilter"
    SCHEDULER_PERSIST = True  # one worker finishing must not wipe the others' frontier
    SCHEDULER_QUEUE_KEY = "newscrawler:%(spider)s:requests"
    SCHEDULER_DUPEFILTER_KEY = "newscrawler:%(spider)s:dupefilter"
    # An idle worker waits while others are busy (they may still add requests), and a worker's
    # run finds few articles by design: the yield alarm is `newscrawler status` over all runs.
    SPIDERMON_MIN_ARTICLES = 0

# Incremental crawling: stored, unchanged articles are not requested again (see spiders/base.py).
INCREMENTAL = True
GONE_RETRY_DAYS = 7  # an article URL that answered 404/410 is not requested again for this long
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = os.environ.get("NEWSCRAWLER_LOG_LEVEL", "INFO")

# `scrapy crawl` exits non-zero when a crawl fails (database refused writes, failed monitor).
COMMANDS_MODULE = "newscrawler.scrapy_ext.commands"

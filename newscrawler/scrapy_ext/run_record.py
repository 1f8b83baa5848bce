"""Write one `crawl_runs` document per crawl: what ran, how it ended and what it stored.

The record is written twice: at `spider_opened` with finish_reason "running" (so a crawl that is
stopped or dies before it ends still leaves a trace, and `newscrawler status` shows it running),
and at `spider_closed`, replaced by the final record. The first write is bounded by
RUN_RECORD_OPEN_TIMEOUT seconds: with the database away the crawl logs it and goes on, and the
final write is attempted at close all the same.

If the process stops with the spider not closed (Scrapy stops the reactor without closing it when
a SIGTERM/SIGINT lands while the spider is still opening), the record is finished as the reactor
stops: "shutdown" after a stop signal, else "aborted" (a failure: `scrapy crawl` exits 1). A crawl
started by `newscrawler schedule` that ends with no final record at all (signalled before Scrapy
handles signals, SIGKILL) has it finished by the scheduler. A crawl that fails before its spider
exists (a bad spider argument: the spider's __init__ raises) gets its failed record from the crawl
command (`record_failed_start`).

Only `scrapy crawl` (our command, newscrawler/scrapy_ext/commands/crawl.py) turns run records on
(RUN_RECORDS_SETTING, set at command priority, never in the settings module): `scrapy fetch`, `parse`,
`shell`, `bench`, `check`, `runspider` run a spider too ("default", "follow" …), but they are not
crawls of an outlet and leave no trace in `crawl_runs`.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pymongo
from pymongo.errors import PyMongoError
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.settings import BaseSettings
from scrapy.utils.reactor import is_reactor_installed
from twisted.internet.defer import Deferred

from newscrawler.quarantine import spool_run_record
from newscrawler.scrapy_ext.connection import resolve_mongo_uri, store_for
from newscrawler.scrapy_ext.monitoring import FAILED_STAT
from newscrawler.scrapy_ext.offload import in_db_thread
from newscrawler.status import RUNNING, SHUTDOWN
from newscrawler.store import ArticleStore

log = logging.getLogger(__name__)

ABORTED = "aborted"  # the process stopped before the spider closed, without a stop signal
RUN_RECORDS_SETTING = "NEWSCRAWLER_RUN_RECORDS"


def summarise_stats(stats: dict[str, Any]) -> dict[str, Any]:
    """The run record's counters, from Scrapy's stats."""
    errors = {k.split("/", 1)[1]: v for k, v in stats.items() if k.startswith("errors/")}
    for key, value in stats.items():
        if key.startswith("downloader/exception_type_count/") and not key.endswith("IgnoreRequest"):
            errors[key.rsplit("/", 1)[1].rsplit(".", 1)[-1]] = value
    return {
        "pages_fetched": int(stats.get("downloader/response_count", 0)),
        "article_pages": int(stats.get("pages/article", 0)),
        "discovery_not_modified": sum(int(stats.get(f"incremental/{k}_not_modified", 0))
                                      for k in ("feed", "sitemap", "listing")),
        "skipped_stored": int(stats.get("incremental/skipped_stored", 0)) + int(
            stats.get("incremental/article_not_modified", 0)),
        "articles": {k: int(stats.get(f"articles/{k}", 0)) for k in ("new", "updated", "unchanged", "duplicate")},
        "rejected": {k.rsplit("/", 1)[1]: v for k, v in stats.items() if k.startswith("articles/rejected/")},
        "errors": errors,
        "robots_forbidden": int(stats.get("robotstxt/forbidden", 0)),
        "error_count": int(sum(errors.values())),
        "extraction_warnings": {k.rsplit("/", 1)[1]: v for k, v in stats.items() if k.startswith("extract/warning/")},
        # Feed/sitemap entries of the outlet that its article URL rule rejected; a mismatch is a
        # feed whose entries were mostly rejected (the outlet changed its URLs).
        "discovery_rejected": {k.rsplit("/", 1)[1]: v for k, v in stats.items()
                               if k.startswith("discovery/rejected_by_url_rule/")},
        "url_rule_mismatch": int(stats.get("discovery/url_rule_mismatch", 0)),
        # Items kept in the quarantine (newscrawler/scrapy_ext/failures.py); failed = not a verdict.
        "items_quarantined": int(stats.get("items/quarantined", 0)),
        "items_failed": int(stats.get("items/failed", 0)),
    }


def shutdown_signal_received() -> bool:
    """Scrapy replaces its SIGTERM/SIGINT handler when the first one arrives (by one that forces
    the stop on a second, then by SIG_IGN): a replaced handler means a stop signal was received."""
    handler = signal.getsignal(signal.SIGTERM)
    return handler == signal.SIG_IGN or getattr(handler, "__name__", "").startswith("_signal_kill")


def replay_quarantine(crawler: Crawler, own_run: str) -> None:
    """Before crawling: what earlier runs could not store (the database was away) is written now,
    if the database answers. Files of runs still running are left to them."""
    from newscrawler.ingest import replay

    try:
        with pymongo.timeout(crawler.settings.getfloat("RUN_RECORD_OPEN_TIMEOUT", 5.0)):
            store = store_for(crawler)
            running = {r["_id"] for r in store.runs.find({"finish_reason": RUNNING}, {"_id": 1})}
        report = replay(Path(crawler.settings.get("QUARANTINE_DIR")), store, skip={own_run, *running})
    except (PyMongoError, OSError) as exc:
        log.warning("quarantine not replayed (%s); `newscrawler replay` or the next crawl will", exc)
        return
    if report["files"]:
        log.info("replayed the quarantine of earlier runs: %s", report)
        crawler.stats.set_value("quarantine/replayed", report)


class RunRecordExtension:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.started_at = datetime.now(UTC)
        self.open_timeout = crawler.settings.getfloat("RUN_RECORD_OPEN_TIMEOUT", 5.0)
        self.closed = False  # the final record is written (or being written)
        self.start_error: str | None = None  # why the crawl failed to start, told by the crawl command

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunRecordExtension:
        ext = cls(crawler)
        if not crawler.settings.getbool(RUN_RECORDS_SETTING):
            # Not a crawl (scrapy fetch/parse/shell/bench …): the extension stays, inert, rather than
            # raising NotConfigured, so that a test can drive open_run/write_final directly.
            log.debug("run records off (%s unset: not `scrapy crawl`)", RUN_RECORDS_SETTING)
            return ext
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        if is_reactor_installed():
            from twisted.internet import reactor

            reactor.addSystemEventTrigger("before", "shutdown", ext.reactor_stopping)
        return ext

    def run_id(self, spider: Spider) -> str:
        return getattr(spider, "crawl_id", None) or f"{spider.name}-{self.started_at:%Y%m%dT%H%M%S}"

    def spider_opened(self, spider: Spider) -> Deferred[None]:
        self.started_at = datetime.now(UTC)
        return in_db_thread(self.crawler, self.open_run, self.running_record(spider))  # awaited before crawling

    def running_record(self, spider: Spider) -> dict[str, Any]:
        return {
            "_id": self.run_id(spider),
            "outlet": spider.name,
            "started_at": self.started_at,
            "finish_reason": RUNNING,
            "origin": getattr(spider, "origin", None),
            "scrapyd_job": getattr(spider, "_job", None),
            "host": socket.gethostname(),
            "pid": os.getpid(),
        }

    def open_run(self, record: dict[str, Any]) -> None:
        replay_quarantine(self.crawler, record["_id"])
        try:
            # Insert only: a record that exists under this crawl_id is left as it is until close.
            # `_id` in $setOnInsert: the embedded server ignores the filter's _id on upsert.
            with pymongo.timeout(self.open_timeout):
                store_for(self.crawler).runs.update_one({"_id": record["_id"]}, {"$setOnInsert": record},
                                                        upsert=True)
        except PyMongoError as exc:
            log.error("could not write the running record %s (the crawl goes on; the final record is "
                      "written at close): %s", record["_id"], exc)

    def reactor_stopping(self) -> None:
        """The process is stopping and the spider was not closed. After a SIGTERM/SIGINT that landed
        while the crawl was starting (Scrapy then stops the reactor without closing the spider, and
        `scrapy crawl` exits 0) the run is recorded as the shutdown it is; otherwise the start-up
        failed ("aborted", a failure), rather than leaving a "running" record or none."""
        spider = self.crawler.spider
        if self.closed or spider is None:
            return
        if shutdown_signal_received():
            reason, failure = SHUTDOWN, None
        else:
            reason = ABORTED
            failure = self.start_error or "the crawl ended before its spider closed (start-up failed)"
            self.crawler.stats.set_value(FAILED_STAT, failure)  # `scrapy crawl` exits 1
        log.warning("the process is stopping before the spider closed: run recorded as %r", reason)
        self.closed = True
        self.write_final(self.final_record(spider, reason), timeout=self.open_timeout)  # the reactor is going

    def spider_closed(self, spider: Spider, reason: str) -> Deferred[None]:
        self.closed = True
        return in_db_thread(self.crawler, self.write_final, self.final_record(spider, reason), None)

    def final_record(self, spider: Spider, reason: str) -> dict[str, Any]:
        finished = datetime.now(UTC)
        stats = self.crawler.stats.get_stats()
        record = {
            "_id": self.run_id(spider),
            "outlet": spider.name,
            "started_at": self.started_at,
            "finished_at": finished,
            "elapsed_s": round((finished - self.started_at).total_seconds(), 2),
            "finish_reason": reason,
            "failed": stats.get(FAILED_STAT),
            "failed_monitors": stats.get("newscrawler/failed_monitors", []),
            "validation_errors": int(stats.get("spidermon/validation/items/errors", 0)),
            "origin": getattr(spider, "origin", None),
            "scrapyd_job": getattr(spider, "_job", None),
            "host": socket.gethostname(),
            "pid": os.getpid(),
            **summarise_stats(stats),
        }
        return record

    def write_final(self, record: dict[str, Any], timeout: float | None) -> None:
        write_final_record(lambda: store_for(self.crawler), self.crawler.settings, record, timeout)


def write_final_record(open_store: Callable[[], ArticleStore], settings: BaseSettings, record: dict[str, Any],
                       timeout: float | None) -> None:
    """Replace the run's record by its final one; a database that refuses it gets it spooled."""
    try:
        with pymongo.timeout(timeout):
            open_store().runs.replace_one({"_id": record["_id"]}, record, upsert=True)
    except PyMongoError as exc:
        path = spool_run_record(settings.get("QUARANTINE_DIR"), record)
        log.error("could not write the run record %s (%s); kept in %s, written by `newscrawler replay` "
                  "or the next crawl", record["_id"], exc, path)


def run_recorder(crawler: Crawler) -> RunRecordExtension | None:
    """The crawler's run record extension, if it was built (it is not when start-up failed earlier)."""
    try:
        return crawler.get_extension(RunRecordExtension)
    except RuntimeError:  # the extension manager was never created
        return None


def note_start_failure(crawler: Crawler, error: BaseException) -> None:
    """Tell the extension (if any) why the crawl failed, for the record it writes as the reactor stops."""
    recorder = run_recorder(crawler)
    if recorder is not None:
        recorder.start_error = describe(error)


def describe(error: BaseException) -> str:
    return f"start-up failed: {type(error).__name__}: {error}"


def record_failed_start(crawler: Crawler, spider_args: dict[str, Any], error: BaseException | None,
                        started_at: datetime) -> str | None:
    """After a crawl that failed: write its failed record unless the extension did (the spider was
    never made, or failed before the extension existed). Returns the record's `_id` when written here.

    The `_id` is what the spider would have used: `crawl_id`, else `<outlet>-<UTC timestamp>` (the
    crawl command has already made Scrapyd's `_job` the crawl_id)."""
    if not crawler.settings.getbool(RUN_RECORDS_SETTING):
        return None
    if run_recorder(crawler) is not None:
        return None  # built after the spider: it wrote the record at close or as the reactor stopped
    name = crawler.spidercls.name
    finished = datetime.now(UTC)
    record: dict[str, Any] = {
        "_id": spider_args.get("crawl_id") or f"{name}-{started_at:%Y%m%dT%H%M%S}",
        "outlet": name,
        "started_at": started_at,
        "finished_at": finished,
        "elapsed_s": round((finished - started_at).total_seconds(), 2),
        "finish_reason": ABORTED,
        "failed": describe(error) if error else "start-up failed",
        "failed_monitors": [],
        "validation_errors": 0,
        "origin": spider_args.get("base_url"),
        "scrapyd_job": spider_args.get("_job"),
        "host": socket.gethostname(),
        "pid": os.getpid(),
        **summarise_stats({}),
    }
    settings = crawler.settings
    opened: list[ArticleStore] = []

    def open_store() -> ArticleStore:  # the crawler's store was never opened: no pipeline ran
        opened.append(ArticleStore.open(
            resolve_mongo_uri(settings), settings.get("MONGO_DATABASE"),
            serverSelectionTimeoutMS=settings.getint("MONGO_SERVER_SELECTION_TIMEOUT_MS", 30_000)))
        return opened[-1]

    log.error("run %s failed before its spider opened; recording it as %r: %s", record["_id"], ABORTED,
              record["failed"])
    try:
        write_final_record(open_store, settings, record, None)
    finally:
        for store in opened:
            store.db.client.close()
    return str(record["_id"])

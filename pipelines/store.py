"""Batched, idempotent upserts of articles into MongoDB.

Items are buffered and written with one bulk_write per STORE_BATCH_SIZE items, at least every
STORE_FLUSH_INTERVAL seconds, and on close. A batch the database refuses is retried with
STORE_WRITE_RETRIES times; if it still fails, its articles go to the quarantine with every field (nothing is lost;
`newscrawler replay` stores them) and the crawl stops with finish reason `database_error` and a
non-zero exit status.
"""

from __future__ import annotations

import logging
import time
from dataclasses import fields
from datetime import UTC, datetime
from typing import Any

from pymongo.errors import PyMongoError
from scrapy.crawler import Crawler
from scrapy.utils.defer import deferred_from_coro
from twisted.internet import task

from newscrawler.article import Article, to_document
from newscrawler.scrapy_ext.connection import store_for
from newscrawler.scrapy_ext.failures import record_failure
from newscrawler.store import ArticleStore
from pipelines.items import as_article, guarded

_ARTICLE_FIELDS = {f.name for f in fields(Article)} - {"id", "warnings"}

log = logging.getLogger(__name__)

class MongoStorePipeline:
    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.stats = crawler.stats
        self.batch_size = settings.getint("STORE_BATCH_SIZE", 100)
        self.flush_interval = settings.getfloat("STORE_FLUSH_INTERVAL", 5.0)
        self.retries = settings.getint("STORE_WRITE_RETRIES", 3)
        self.buffer: list[dict[str, Any]] = []
        self.store: ArticleStore | None = None
        self.failed = False
        self._last_flush = time.monotonic()
        self._timer: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> MongoStorePipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        self.store = store_for(self.crawler)
        self._timer = task.LoopingCall(self._flush_if_due)
        self._timer.start(min(1.0, self.flush_interval), now=False)

    def close_spider(self) -> None:
        if self._timer is not None and self._timer.running:
            self._timer.stop()
        self.flush()

    @guarded("store")
    def process_item(self, item: Any) -> Any:
        self.buffer.append(to_document(as_article(item)))
        if len(self.buffer) >= self.batch_size:
            self.flush()
        return item

    def _flush_if_due(self) -> None:
        if self.buffer and time.monotonic() - self._last_flush >= self.flush_interval:
            self.flush()

    def flush(self) -> None:
        self._last_flush = time.monotonic()
        if not self.buffer or self.store is None:
            return
        batch, self.buffer = self.buffer, []
        # Retried at once: each attempt already waits up to MONGO_SERVER_SELECTION_TIMEOUT_MS for
        # the server (pymongo's own back-off); a time.sleep here would only stall the reactor more.
        for attempt in range(self.retries + 1):
            try:
                result = self.store.write_batch(batch, now=datetime.now(UTC))
                break
            except PyMongoError as exc:
                if attempt == self.retries:
                    self._give_up(batch, exc)
                    return
                log.warning("bulk write of %d articles failed (%s); retry %d", len(batch), exc, attempt + 1)
        for outcome, ids in (("new", result.new), ("updated", result.updated), ("unchanged", result.unchanged)):
            if ids:
                self.stats.inc_value(f"articles/{outcome}", len(ids))
        self.stats.inc_value("store/batches")

    def _give_up(self, batch: list[dict[str, Any]], exc: Exception) -> None:
        """Every article of the refused batch goes to the quarantine with all its fields
        (`newscrawler replay` stores them when the database answers)."""
        for doc in batch:
            article = Article(**{k: v for k, v in doc.items() if k in _ARTICLE_FIELDS}, id=doc["_id"])
            record_failure(self.crawler, "store", exc, article.url, article.outlet, article=article,
                           fetched_at=article.fetched_at)
        self.stats.inc_value("errors/database", len(batch))
        log.error("database refused %d articles after %d retries (%s); quarantined for `newscrawler replay`; "
                  "stopping the crawl", len(batch), self.retries, exc)
        if not self.failed:
            self.failed = True
            self.crawler.stats.set_value("newscrawler/failed", "database_error")
            try:
                engine = self.crawler.engine
            except RuntimeError:  # not crawling (pipeline used on its own)
                return
            if engine.spider is not None:
                deferred_from_coro(engine.close_spider_async(reason="database_error"))

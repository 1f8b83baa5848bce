"""Article extraction in worker processes, off the reactor thread.

EXTRACT_WORKERS processes (pebble) extract pages while the reactor goes on downloading; they also
normalise the article and make its duplicate sketch, the other CPU work an article costs
(newscrawler/prepare.py, which imports no Scrapy: the workers stay small). At most
EXTRACT_MAX_PENDING pages wait for a worker; the callbacks beyond that wait on a semaphore, which
keeps their responses in Scrapy's scraper slot and so holds the downloader back (SCRAPER_SLOT_MAX_
ACTIVE_SIZE): a slow extractor slows the crawl instead of filling memory. A page that takes longer
than EXTRACT_TIMEOUT seconds has its worker killed and replaced and fails with ExtractionTimeout (its
raw page is quarantined like any other extraction failure). EXTRACT_WORKERS = 0 extracts on the
reactor thread (debugging, `scrapy parse`), with no time budget.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import datetime
from typing import Any

from pebble import ProcessExpired, ProcessPool
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import DeferredSemaphore

from newscrawler.article import Article
from newscrawler.lazy_call import LazyCall
from newscrawler.scrapy_ext.offload import deferred_from_future

log = logging.getLogger(__name__)

# Workers are recycled after this many pages: lxml and trafilatura caches only ever grow.
TASKS_PER_WORKER = 2000


class ExtractionTimeout(Exception):
    """The page took longer than its time budget to extract."""


class WorkerDied(Exception):
    """The worker process died while extracting the page (killed, out of memory, crashed)."""


# Preloaded in the workers' forkserver; never imported by the crawl process (see LazyCall).
PREPARE = "newscrawler.prepare"
extract_normalised = LazyCall(PREPARE, "extract_normalised")


def _context() -> Any:
    # forkserver: workers are forked from a clean server process that has imported the extractor
    # once, never from the crawl process (its reactor, threads and sockets must not be forked).
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([PREPARE])
    return context


class ExtractionPool:
    def __init__(self, workers: int, timeout: float, max_pending: int) -> None:
        self.workers = workers
        self.timeout = timeout
        self._slots = DeferredSemaphore(max(1, workers + max_pending))
        self._pool: ProcessPool | None = None

    @classmethod
    def for_crawler(cls, crawler: Crawler) -> ExtractionPool:
        """The crawler's pool (one per crawl; its workers stop when the engine stops)."""
        pool: ExtractionPool | None = getattr(crawler, "_newscrawler_extraction_pool", None)
        if pool is None:
            settings = crawler.settings
            workers = settings.getint("EXTRACT_WORKERS", -1)
            if workers < 0:
                workers = os.cpu_count() or 1
            pool = cls(workers, settings.getfloat("EXTRACT_TIMEOUT", 20.0),
                       settings.getint("EXTRACT_MAX_PENDING", 2 * workers))
            crawler._newscrawler_extraction_pool = pool  # type: ignore[attr-defined]
            crawler.signals.connect(pool.close, signal=signals.engine_stopped, weak=False)
        return pool

    def _processes(self) -> ProcessPool:
        if self._pool is None:
            self._pool = ProcessPool(max_workers=self.workers, max_tasks=TASKS_PER_WORKER, context=_context())
        return self._pool

    async def extract(self, body: bytes, url: str, outlet: str, *, content_type: str | None,
                      fetched_at: datetime) -> Article:
        """extract_article() in a worker; raises what it raises, ExtractionTimeout or WorkerDied."""
        if self.workers == 0:
            return extract_normalised(body, url, outlet, content_type=content_type, fetched_at=fetched_at)
        await maybe_deferred_to_future(self._slots.acquire())
        try:
            future = self._processes().schedule(
                extract_normalised, args=(body, url, outlet),
                kwargs={"content_type": content_type, "fetched_at": fetched_at}, timeout=self.timeout)
            try:
                return await maybe_deferred_to_future(deferred_from_future(future))
            except FutureTimeout as exc:
                raise ExtractionTimeout(f"extraction took longer than {self.timeout:g} s") from exc
            except ProcessExpired as exc:
                raise WorkerDied(f"the extraction worker died ({exc})") from exc
        finally:
            self._slots.release()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool.join(timeout=10)
            if self._pool.active:
                self._pool.stop()
                self._pool.join()
            self._pool = None

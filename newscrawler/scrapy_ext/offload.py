"""Work that must not run on the reactor thread: database calls go to one thread pool per crawler,
CPU work to processes (newscrawler/scrapy_ext/extraction.py); both come back as Deferreds, which
async callbacks and pipelines await. The reactor keeps downloading while the database is slow or
away (pymongo then blocks for up to serverSelectionTimeoutMS per call, in a pool thread).
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable
from typing import Any, TypeVar

from scrapy import signals
from scrapy.crawler import Crawler
from twisted.internet.defer import Deferred
from twisted.internet.threads import deferToThreadPool
from twisted.python.threadpool import ThreadPool

T = TypeVar("T")

# One thread: the crawler's database calls run in the order they were made (a batch's dedup
# decisions see the previous batch), and a database that is away holds one thread, not many.
DB_THREADS = 1


def deferred_from_future(future: concurrent.futures.Future[T]) -> Deferred[T]:
    """A Deferred fired on the reactor thread when a concurrent.futures Future (from any thread or
    process pool) is done."""
    from twisted.internet import reactor

    d: Deferred[T] = Deferred()

    def fire(done: concurrent.futures.Future[T]) -> None:
        if d.called:
            return
        exc = done.exception()
        if exc is not None:
            d.errback(exc)
        else:
            d.callback(done.result())

    future.add_done_callback(lambda done: reactor.callFromThread(fire, done))  # type: ignore[attr-defined]
    return d


def _db_pool(crawler: Crawler) -> ThreadPool:
    pool: ThreadPool | None = getattr(crawler, "_newscrawler_db_pool", None)
    if pool is None:
        from twisted.internet import reactor

        pool = ThreadPool(minthreads=0, maxthreads=DB_THREADS, name="newscrawler-db")
        pool.start()
        crawler._newscrawler_db_pool = pool  # type: ignore[attr-defined]
        # Stopped after the engine (the last run record is written at spider_closed) and in any
        # case before the reactor is gone, so no thread outlives the crawl.
        crawler.signals.connect(lambda: pool.stop() if pool.started else None, signal=signals.engine_stopped,
                                weak=False)
        reactor.addSystemEventTrigger("during", "shutdown",  # type: ignore[attr-defined]
                                      lambda: pool.stop() if pool.started else None)
    return pool


def in_db_thread(crawler: Crawler, function: Callable[..., T], *args: Any, **kwargs: Any) -> Deferred[T]:
    """Run a (blocking, pymongo) call on the crawler's database thread."""
    from twisted.internet import reactor

    return deferToThreadPool(reactor, _db_pool(crawler), function, *args, **kwargs)

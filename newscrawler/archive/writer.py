"""The archive's writer thread: takes captures from a bounded queue, compresses them into WARC
files and indexes them in MongoDB, so the crawl's reactor thread only hands a capture over.

Queue: bounded in bytes (ARCHIVE_QUEUE_MAX_BYTES). A full queue means the writer cannot keep up
(a stuck or full disk: gzip alone writes far faster than a crawl fetches); the capture is then
refused, and the caller counts and logs it. The reactor never waits for the archive, and memory
stays bounded; the article itself is stored all the same, and a later crawl can archive the page.

Index: each batch of captures costs one `$in` (the URLs' last payloads, for revisit records) and
one insert. With the database unreachable the WARC records are still written (as full responses)
and their index documents are kept and retried with the next batches; database calls are then
skipped for DB_BACKOFF seconds, so the writer does not wait on a dead server for every batch. What
is still unindexed at close is counted and logged: `newscrawler import-warc FILE` indexes a file.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pymongo

from newscrawler.archive.index import RawPageIndex, page_doc, previous_payloads
from newscrawler.archive.records import Capture, header
from newscrawler.archive.warcfile import Previous, WarcFileWriter

log = logging.getLogger(__name__)

BATCH = 50  # captures per index round trip
# How long a batch may gather after its first capture. Measured (bench crawl of 1,000 generated
# pages on the embedded server): batches taken as they came held 1-2 captures, 4 round trips a page,
# and slowed the store pipeline's database writes; a second's wait costs nothing (index documents
# are not read during the crawl).
LINGER = 1.0
DB_TIMEOUT = 10.0  # seconds one index call may take before it counts as failed
DB_BACKOFF = 30.0  # after a failed index call, seconds before the next one is tried
MAX_UNINDEXED = 20_000  # index documents kept for retry; beyond that the oldest are given up


class ByteBoundedQueue:
    """A FIFO of captures bounded by their total size; put never blocks."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._items: deque[Capture] = deque()
        self._bytes = 0
        self._closed = False
        self._cond = threading.Condition()

    def put_nowait(self, item: Capture) -> bool:
        size = item.size
        with self._cond:
            # One page larger than the whole budget still goes in when the queue is empty.
            if self._closed or (self._items and self._bytes + size > self.max_bytes):
                return False
            self._items.append(item)
            self._bytes += size
            self._cond.notify()
            return True

    def take(self, max_items: int, linger: float = 0.0) -> list[Capture] | None:
        """Up to max_items: waits for the first, then up to `linger` seconds for the batch to fill
        (not once closed); None once closed and drained."""
        with self._cond:
            while not self._items and not self._closed:
                self._cond.wait()
            if not self._items:
                return None
            deadline = time.monotonic() + linger
            while len(self._items) < max_items and not self._closed and (left := deadline - time.monotonic()) > 0:
                self._cond.wait(left)
            out = [self._items.popleft() for _ in range(min(max_items, len(self._items)))]
            self._bytes -= sum(c.size for c in out)
            return out

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()


class ArchiveWriter:
    """Owns the WARC files and the index writes of one crawl process.

    `on_error(kind, count)` and `on_written(record_type, bytes)` are called from the writer thread
    (the Scrapy extension forwards them to the reactor thread)."""

    def __init__(self, root: Path, max_file_bytes: int, max_queue_bytes: int,
                 index: RawPageIndex | None, on_error: Callable[[str, int], None],
                 on_written: Callable[[str, int], None] | None = None, db_timeout: float = DB_TIMEOUT) -> None:
        self.root = root
        self.max_file_bytes = max_file_bytes
        self.queue = ByteBoundedQueue(max_queue_bytes)
        self.index = index
        self.db_timeout = db_timeout
        self.on_error = on_error
        self.on_written = on_written or (lambda kind, size: None)
        self._files: dict[tuple[str, str], WarcFileWriter] = {}
        self._unindexed: list[dict[str, Any]] = []
        self._counted: set[str] = set()  # record ids whose index failure was already counted
        self._db_retry_at = 0.0
        self._db_error: Exception | None = None
        self._thread = threading.Thread(target=self._run, name="newscrawler-archive", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def submit(self, capture: Capture) -> bool:
        """From any thread, never blocks; False when the queue is full (the caller counts it)."""
        return self.queue.put_nowait(capture)

    def close(self, timeout: float | None = None) -> list[Path]:
        """Blocking (call it off the reactor): write what is queued, index it, close the files.
        Returns the files written."""
        self.queue.close()
        self._thread.join(timeout)
        return [path for writer in self._files.values() for path in writer.files]

    # --- the writer thread ------------------------------------------------------------------
    def _run(self) -> None:
        if self.index is not None:
            self._db_call("ensure_indexes", self.index.ensure_indexes)
        try:
            while (batch := self.queue.take(BATCH, LINGER)) is not None:
                self._write_batch(batch)
            self._db_retry_at = 0.0  # the last chance to index: try even within the back-off
            self._flush_index(final=True)
        except Exception as exc:  # noqa: BLE001 (a bug here must be counted, never kill the crawl)
            log.exception("the archive writer stopped: %s", exc)
            self.on_error(type(exc).__name__, 1)
        finally:
            for writer in self._files.values():
                try:
                    writer.close()
                except OSError as exc:
                    log.error("closing %s failed: %s", writer.directory, exc)
                    self.on_error(type(exc).__name__, 1)

    def _db_call(self, what: str, call: Callable[[], Any]) -> Any:
        """A database call bounded in time; None (logged) if it fails or the database was away
        less than DB_BACKOFF seconds ago."""
        if time.monotonic() < self._db_retry_at:
            return None
        try:
            with pymongo.timeout(self.db_timeout):
                return call()
        except Exception as exc:  # noqa: BLE001 (PyMongoError, or a document BSON refuses: counted by the caller)
            self._db_retry_at = time.monotonic() + DB_BACKOFF
            log.warning("archive index: %s failed (%s: %s); WARC records are still written", what,
                        type(exc).__name__, exc)
            self._db_error = exc
            return None

    def _write_batch(self, batch: list[Capture]) -> None:
        latest: dict[str, dict[str, Any]] | None = None
        if self.index is not None:
            index = self.index
            latest = self._db_call("revisit lookup", lambda: index.latest_of([c.url for c in batch]))
        previous = previous_payloads(latest or {})
        for capture in batch:
            writer = self._files.get((capture.outlet, capture.crawl_id))
            if writer is None:
                writer = WarcFileWriter(self.root, capture.outlet, capture.crawl_id, self.max_file_bytes)
                self._files[(capture.outlet, capture.crawl_id)] = writer
            try:
                written = writer.write(capture, previous.get(capture.url))
            except Exception as exc:  # noqa: BLE001 (one page not archived: counted, the crawl goes on)
                log.error("%s not archived: %s: %s", capture.url, type(exc).__name__, exc)
                self.on_error(type(exc).__name__, 1)
                continue
            self.on_written(written.type, written.location.length)
            earlier = previous.get(capture.url)
            payload = earlier.payload if written.type == "revisit" and earlier is not None else None
            if payload is None:  # a response: the next fetch of this URL compares with it
                location = written.location
                payload = {"record_id": written.record_id, "url": capture.url, "fetched_at": capture.fetched_at,
                           "warc": location.warc, "offset": location.offset, "length": location.length}
                previous[capture.url] = Previous(written.record_id, capture.url, capture.fetched_at,
                                                 written.digest, payload)
            self._unindexed.append(page_doc(
                record_id=written.record_id, type=written.type, url=capture.url, outlet=capture.outlet,
                crawl_id=capture.crawl_id, fetched_at=capture.fetched_at, status=capture.status,
                content_type=header(capture.headers, "Content-Type"), etag=header(capture.headers, "ETag"),
                last_modified=header(capture.headers, "Last-Modified"), location=written.location,
                digest=written.digest, source="crawl", payload=payload))
        self._flush_index(known=latest)

    def _flush_index(self, final: bool = False, known: dict[str, dict[str, Any]] | None = None) -> None:
        if not self._unindexed:
            return
        if self.index is None:
            self._give_up(self._unindexed, "NoDatabase")
            self._unindexed = []
            return
        index = self.index
        docs = self._unindexed
        if self._db_call("index write", lambda: index.add(docs, known)) is not None:
            self._unindexed = []
            return
        kind = type(self._db_error).__name__
        fresh = [d for d in docs if d["_id"] not in self._counted]
        if fresh:  # each record's index failure counted once, however often it is retried
            self.on_error(kind, len(fresh))
            self._counted.update(d["_id"] for d in fresh)
        if final:
            self._give_up(docs, None)
            self._unindexed = []
        elif len(docs) > MAX_UNINDEXED:
            self._give_up(docs[:-MAX_UNINDEXED], None)
            self._unindexed = docs[-MAX_UNINDEXED:]

    def _give_up(self, docs: list[dict[str, Any]], kind: str | None) -> None:
        fresh = [d for d in docs if d["_id"] not in self._counted]
        if kind and fresh:
            self.on_error(kind, len(fresh))
        files = sorted({d["warc"] for d in docs})
        log.error("%d archived records are not indexed (database unreachable); `newscrawler import-warc` "
                  "indexes them from %s under %s", len(docs), ", ".join(files), self.root)

"""Keep every fetched article response as WARC (newscrawler/archive/), off the reactor thread.

At `response_received` an article page (request meta page_kind "article", status 2xx) becomes a
Capture (status, headers, the body Scrapy decoded, the fetch time) handed to the archive's writer
thread through a queue bounded in bytes; the reactor neither compresses nor writes. A capture the
queue cannot take is counted (`errors/archive/QueueFull`) and logged, never waited for: the article
is stored all the same (see newscrawler/archive/writer.py for why refusing beats waiting). Every
archive failure is counted under `errors/archive/<Exception>`, so it shows in the run record.

The fetch time is also put in the request's meta (`fetched_at`, whole milliseconds) so that the
extraction can use the very instant the WARC-Date records: a re-extraction then computes relative
dates ("منذ 3 ساعات") from the same instant as the crawl (spiders/base.py parse_article reads it).

Settings: ARCHIVE_ENABLED, WARC_DIR, WARC_MAX_FILE_BYTES, ARCHIVE_QUEUE_MAX_BYTES.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

from newscrawler.archive.index import RawPageIndex
from newscrawler.archive.records import Capture, fetch_time
from newscrawler.archive.writer import ArchiveWriter
from newscrawler.scrapy_ext.connection import store_for
from newscrawler.scrapy_ext.offload import in_db_thread

log = logging.getLogger(__name__)


def warc_dir(settings: Any) -> Path:
    return Path(settings.get("WARC_DIR") or Path(settings.get("NEWSCRAWLER_DATA_DIR")) / "warc")


def _decoded(headers: Any) -> list[tuple[str, str]]:
    return [(name.decode("latin-1"), value.decode("latin-1")) for name, values in headers.items() for value in values]


class ArchiveExtension:
    def __init__(self, crawler: Crawler, root: Path, max_file_bytes: int, max_queue_bytes: int) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.root = root
        self.max_file_bytes = max_file_bytes
        self.max_queue_bytes = max_queue_bytes
        self.writer: ArchiveWriter | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchiveExtension:
        settings = crawler.settings
        if not settings.getbool("ARCHIVE_ENABLED", True):
            raise NotConfigured("ARCHIVE_ENABLED is off")
        ext = cls(crawler, warc_dir(settings), settings.getint("WARC_MAX_FILE_BYTES", 1 << 30),
                  settings.getint("ARCHIVE_QUEUE_MAX_BYTES", 64 << 20))
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.response_received, signal=signals.response_received)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    # --- from the writer thread -------------------------------------------------------------
    def _error(self, kind: str, count: int) -> None:
        from twisted.internet import reactor

        reactor.callFromThread(self.stats.inc_value, f"errors/archive/{kind}", count)  # type: ignore[attr-defined]

    def _written(self, record_type: str, size: int) -> None:
        from twisted.internet import reactor

        def count() -> None:
            self.stats.inc_value(f"archive/records/{record_type}")
            self.stats.inc_value("archive/bytes", size)

        reactor.callFromThread(count)  # type: ignore[attr-defined]

    # --- signals ----------------------------------------------------------------------------
    async def spider_opened(self, spider: Spider) -> None:
        """Starts the writer thread once the store is open (on the database thread); without a
        database the WARC files are still written (their index can be rebuilt by import-warc)."""
        index: RawPageIndex | None = None
        try:
            index = await maybe_deferred_to_future(
                in_db_thread(self.crawler, lambda: RawPageIndex(store_for(self.crawler).db)))
        except Exception as exc:  # noqa: BLE001 (the crawl reports the database itself)
            log.error("archive index unavailable (%s): WARC files are written, not indexed", exc)
        self.writer = ArchiveWriter(self.root, self.max_file_bytes, self.max_queue_bytes, index,
                                    on_error=self._error, on_written=self._written)
        self.writer.start()

    def response_received(self, response: Response, request: Request, spider: Spider) -> None:
        if request.meta.get("page_kind") != "article" or not 200 <= response.status < 300:
            return
        try:
            fetched_at = fetch_time()
            request.meta["fetched_at"] = fetched_at  # the same instant for extraction (see module doc)
            capture = Capture(
                url=response.url, status=response.status, headers=_decoded(response.headers),
                body=response.body, fetched_at=fetched_at, outlet=spider.name,
                crawl_id=getattr(spider, "crawl_id", None) or spider.name,
                request_method=request.method, request_headers=_decoded(request.headers),
                ip_address=str(response.ip_address) if response.ip_address else None,
                rendered=bool(request.meta.get("playwright")))
            if self.writer is None:
                raise RuntimeError("the archive writer is not running")
            if self.writer.submit(capture):
                self.stats.inc_value("archive/queued")
            else:
                self.stats.inc_value("errors/archive/QueueFull")
                log.warning("%s not archived: the archive queue is full (%d bytes)", response.url,
                            self.max_queue_bytes)
        except Exception as exc:  # noqa: BLE001 (the archive never costs an article)
            self.stats.inc_value(f"errors/archive/{type(exc).__name__}")
            log.error("%s not archived: %s: %s", response.url, type(exc).__name__, exc)

    async def spider_closed(self, spider: Spider, reason: str) -> None:
        """Returns when every queued capture is written and indexed and the files are closed."""
        writer = self.writer
        if writer is None:
            return
        before = self._archive_errors()
        run_id = getattr(spider, "crawl_id", None)
        files = await maybe_deferred_to_future(deferToThread(writer.close))
        if files:
            log.info("archived %d article responses in %s", int(self.stats.get_value("archive/queued", 0)),
                     ", ".join(str(p) for p in files))
        late = {k: v - before.get(k, 0) for k, v in self._archive_errors().items() if v > before.get(k, 0)}
        if late and run_id:
            # The run record took its snapshot of the stats when spider_closed was sent, before this
            # flush: what the flush failed is added to it (after its write: one database thread).
            try:
                await maybe_deferred_to_future(
                    in_db_thread(self.crawler, lambda: _add_errors(store_for(self.crawler), run_id, late)))
            except Exception as exc:  # noqa: BLE001 (the stats and the log have them anyway)
                log.warning("archive errors %s not added to the run record %s: %s", late, run_id, exc)

    def _archive_errors(self) -> dict[str, int]:
        return {k.split("/", 1)[1]: int(v) for k, v in self.stats.get_stats().items() if k.startswith("errors/archive/")}


def _add_errors(store: Any, run_id: str, errors: dict[str, int]) -> None:
    inc = {f"errors.{kind}": count for kind, count in errors.items()}
    store.runs.update_one({"_id": run_id}, {"$inc": {**inc, "error_count": sum(errors.values())}})

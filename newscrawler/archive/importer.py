"""Import WARC files (CC-NEWS, Common Crawl, our own archive, any crawler's) through the crawl's
path: extraction with the WARC-Date as fetch time, the outlet found from the host, ArticleWriter.

Files are streamed record by record (a 1 GB CC-NEWS file is never loaded). A `response` record of
HTTP 200 with an HTML body at an article URL of a known outlet is imported; every other record is
skipped and counted by reason (not_response, status_<code>, unknown_host, not_article_url,
not_html, too_large, truncated). Each imported record is indexed in raw_pages (pointing at the imported file:
relative to WARC_DIR when it lies under it, else absolute), so `newscrawler reextract` covers
imported pages too. The charset is the HTTP header's, else the page's, else detected (decode_html).
Importing a file again stores nothing new: records are indexed by their WARC-Record-ID, articles
come back unchanged.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator

from newscrawler.archive.index import RawPageIndex, page_doc
from newscrawler.archive.records import parse_warc_date
from newscrawler.archive.warcfile import Location, truncated
from newscrawler.archive.work import ArticleSink, Page, extracted
from newscrawler.outlets import outlet_for_url

log = logging.getLogger(__name__)

MAX_BODY = 8 * 1024 * 1024  # as DOWNLOAD_MAXSIZE: a larger page is not an article
INDEX_BATCH = 200
_HTML_TYPES = ("text/html", "application/xhtml+xml")


def _is_html(content_type: str | None, identified: str | None, body_head: bytes) -> bool:
    declared = (content_type or identified or "").split(";")[0].strip().lower()
    if declared:
        return declared in _HTML_TYPES
    head = body_head[:1024].lstrip().lower()  # no type at all: what the bytes look like
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head


def warc_field(path: Path, root: Path) -> str:
    """How raw_pages names a file: relative to WARC_DIR when under it, else absolute."""
    path = path.resolve()
    try:
        return str(path.relative_to(root.resolve()))
    except ValueError:
        return str(path)


class WarcImport:
    def __init__(self, store: Any, root: Path, workers: int = 2, timeout: float = 20.0) -> None:
        self.store = store
        self.root = root
        self.workers = workers
        self.timeout = timeout
        self.index = RawPageIndex(store.db)
        self.crawl_id = f"import-{datetime.now(UTC):%Y%m%dT%H%M%S}"
        self.sink = ArticleSink(store, self.crawl_id)
        self.records: Counter[str] = Counter()  # by WARC-Type
        self.skipped: Counter[str] = Counter()
        self.file_errors: list[dict[str, str]] = []
        self.indexed = 0
        self._docs: list[dict[str, Any]] = []

    def run(self, paths: list[Path], advance: Callable[[int], None] | None = None) -> dict[str, Any]:
        self.store.ensure_indexes()
        self.index.ensure_indexes()
        imported = 0
        for page, result in extracted(self._pages(paths, advance or (lambda n: None)), self.workers, self.timeout):
            imported += 1
            self.sink.add(page, result)
        self.sink.flush()
        self._index(final=True)
        return {"files": len(paths), "records": sum(self.records.values()), "record_types": dict(self.records),
                "imported": imported, "indexed": self.indexed, **self.sink.tally.as_dict(),
                "skipped": dict(self.skipped), "file_errors": self.file_errors, "crawl_id": self.crawl_id}

    def _pages(self, paths: list[Path], advance: Callable[[int], None]) -> Iterator[Page]:
        for path in paths:
            name = warc_field(path, self.root)
            try:
                with open(path, "rb") as fh:
                    position = 0
                    iterator = ArchiveIterator(fh)
                    for record in iterator:
                        page = self._page(record, iterator, name, path)
                        if fh.tell() > position:
                            advance(fh.tell() - position)
                            position = fh.tell()
                        if page is not None:
                            yield page
            except Exception as exc:  # noqa: BLE001 (a bad file is reported; the others are imported)
                log.error("%s: %s: %s", path, type(exc).__name__, exc)
                self.file_errors.append({"file": str(path), "error": type(exc).__name__, "message": str(exc)[:300]})

    def _page(self, record: Any, iterator: ArchiveIterator, name: str, path: Path) -> Page | None:
        """The record as a page to import, or None (counted by reason)."""
        self.records[record.rec_type] += 1
        if record.rec_type != "response" or record.http_headers is None:
            self.skipped["not_response"] += 1
            return None
        http = record.http_headers
        status = int(http.get_statuscode() or 0)
        if status != 200:
            self.skipped[f"status_{status}"] += 1
            return None
        url = (record.rec_headers.get_header("WARC-Target-URI") or "").strip().strip("<>")  # WARC/1.0 examples bracket it
        outlet = outlet_for_url(url)
        if outlet is None:
            self.skipped["unknown_host"] += 1
            return None
        if not outlet.is_article_url(url):
            self.skipped["not_article_url"] += 1
            return None
        length = int(record.rec_headers.get_header("Content-Length") or 0)
        if length > MAX_BODY + 64 * 1024:
            self.skipped["too_large"] += 1
            return None
        body = record.content_stream().read(MAX_BODY + 1)
        if len(body) > MAX_BODY:
            self.skipped["too_large"] += 1
            return None
        if record.rec_headers.get_header("WARC-Truncated"):  # the crawler that wrote it cut the body
            self.skipped["truncated"] += 1
            return None
        if truncated(record):  # the file ends inside this record (a copy cut short, a crash)
            self.skipped["truncated"] += 1
            self.file_errors.append({"file": str(path), "error": "TruncatedRecord",
                                     "message": f"the file ends inside the record of {url}"})
            return None
        content_type = http.get_header("Content-Type")
        if not _is_html(content_type, record.rec_headers.get_header("WARC-Identified-Payload-Type"), body):
            self.skipped["not_html"] += 1
            return None
        record_id = record.rec_headers.get_header("WARC-Record-ID") or f"<urn:offset:{name}:{iterator.offset}>"
        fetched_at = parse_warc_date(record.rec_headers.get_header("WARC-Date") or "")
        iterator.read_to_end()  # the record's offset and length are known once it is read
        location = Location(name, iterator.get_record_offset(), iterator.get_record_length())
        self._docs.append(page_doc(
            record_id=record_id, type="response", url=url, outlet=outlet.name, crawl_id=self.crawl_id,
            fetched_at=fetched_at, status=status, content_type=content_type, etag=http.get_header("ETag"),
            last_modified=http.get_header("Last-Modified"), location=location,
            digest=record.rec_headers.get_header("WARC-Payload-Digest") or "", source="import"))
        self._index()
        return Page(url=url, outlet=outlet.name, fetched_at=fetched_at, content_type=content_type,
                    etag=http.get_header("ETag"), last_modified=http.get_header("Last-Modified"), body=body,
                    warc=name, path=str(path), offset=location.offset)

    def _index(self, final: bool = False) -> None:
        if self._docs and (final or len(self._docs) >= INDEX_BATCH):
            self.indexed += self.index.add(self._docs)
            self._docs = []


def import_warcs(paths: list[Path], store: Any, root: Path, workers: int = 2, timeout: float = 20.0,
                 advance: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Import the files; returns the summary (counts by outcome and reason)."""
    return WarcImport(store, root, workers, timeout).run(paths, advance)

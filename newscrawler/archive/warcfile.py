"""WARC files: writing one crawl's records of one outlet (rotated by size), reading one record back.

Each record is its own gzip member (what Common Crawl, CC-NEWS and every replay tool expect), so a
record is read by seeking to its offset, and a file cut short by a crash keeps every whole record.
Files: `<WARC_DIR>/<outlet>/<crawl_id>-<n>.warc.gz`, n from 00000; a file is never reopened or
overwritten (exclusive create: a second writer with the same crawl id takes the next n).
"""

from __future__ import annotations

import re
import socket
import zlib
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from pathlib import Path
from typing import Any, BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newscrawler.archive.records import (
    Capture,
    archived_headers,
    parse_warc_date,
    payload_digest,
    status_line,
    warc_date,
)

WARC_VERSION = "1.1"
# warcio compresses at level 9. Measured on 223 real news pages (140 KiB of HTML each), the whole
# write per page: level 6 4.1 ms CPU for 29.4 MB per 1,000 pages, level 3 2.4 ms for 32.8 MB. The
# crawl's two cores are its bottleneck, disk is not: level 3.
GZIP_LEVEL = 3
SOFTWARE = "newscrawler/0.1 (warcio 1.8)"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Location:
    warc: str  # relative to WARC_DIR for our own files, absolute for imported ones
    offset: int
    length: int


@dataclass(frozen=True)
class Previous:
    """The URL's last archived payload: an identical payload becomes a revisit record of it."""

    record_id: str
    url: str
    fetched_at: datetime
    digest: str
    payload: dict[str, Any]  # its raw_pages `payload` (record_id, url, fetched_at, warc, offset, length)


@dataclass(frozen=True)
class Written:
    record_id: str
    type: str  # "response" | "revisit"
    location: Location
    digest: str


def safe_name(text: str) -> str:
    return _UNSAFE.sub("_", text).strip("._") or "unnamed"


def resolve(warc: str, root: Path) -> Path:
    """The file a `warc` field names (relative ones are under WARC_DIR)."""
    path = Path(warc)
    return path if path.is_absolute() else root / path


class _GzipMemberWriter(WARCWriter):
    """warcio's record writer; each record compressed as its own gzip member at GZIP_LEVEL."""

    def __init__(self, out: BinaryIO) -> None:
        super().__init__(out, gzip=False, warc_version=WARC_VERSION)

    def write_record(self, record: Any, params: Any = None) -> None:
        plain = BytesIO()
        self._write_warc_record(plain, record)
        compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, zlib.MAX_WBITS + 16)
        self.out.write(compressor.compress(plain.getvalue()) + compressor.flush())


class WarcFileWriter:
    """Writes the records of one outlet in one crawl. Not thread-safe: one writer thread owns it."""

    def __init__(self, root: Path, outlet: str, crawl_id: str, max_bytes: int,
                 info: dict[str, str] | None = None) -> None:
        self.root = root
        self.directory = root / safe_name(outlet)
        self.stem = safe_name(crawl_id)
        self.max_bytes = max_bytes
        self.info = {"software": SOFTWARE, "format": "WARC File Format 1.1",
                     "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
                     "hostname": socket.gethostname(), "isPartOf": crawl_id, **(info or {})}
        self._n = 0
        self._fh: BinaryIO | None = None
        self._path: Path | None = None
        self._warc: WARCWriter | None = None
        self.files: list[Path] = []  # every file this writer created

    def _open(self) -> tuple[BinaryIO, WARCWriter]:
        if self._fh is not None and self._warc is not None:
            return self._fh, self._warc
        self.directory.mkdir(parents=True, exist_ok=True)
        while True:
            path = self.directory / f"{self.stem}-{self._n:05d}.warc.gz"
            self._n += 1
            try:
                fh: BinaryIO = open(path, "xb")  # noqa: SIM115 (kept open across records)
            except FileExistsError:
                continue
            break
        writer = _GzipMemberWriter(fh)
        writer.write_record(writer.create_warcinfo_record(path.name, self.info))
        self._fh, self._warc, self._path = fh, writer, path
        self.files.append(path)
        return fh, writer

    def write(self, capture: Capture, previous: Previous | None = None) -> Written:
        """Append the capture (a `response`, or a `revisit` when its payload is the previous one's)
        and its `request`; returns where the response/revisit record is."""
        fh, writer = self._open()
        assert self._path is not None
        digest = payload_digest(capture.body)
        date = warc_date(capture.fetched_at)
        extra = {"WARC-Date": date}
        if capture.ip_address:
            extra["WARC-IP-Address"] = capture.ip_address
        if capture.rendered:
            extra["X-Newscrawler-Rendered"] = "chromium"  # a browser's DOM, not the bytes the server sent
        http = StatusAndHeaders(status_line(capture.status),
                                archived_headers(capture.headers, len(capture.body)), protocol="HTTP/1.1")
        if previous is not None and previous.digest == digest:
            record = writer.create_revisit_record(
                capture.url, digest, previous.url, warc_date(previous.fetched_at),
                http_headers=http, warc_headers_dict=extra)
            record.rec_headers.add_header("WARC-Refers-To", previous.record_id)
        else:
            record = writer.create_warc_record(capture.url, "response", payload=BytesIO(capture.body),
                                               length=len(capture.body), http_headers=http,
                                               warc_headers_dict={**extra, "WARC-Payload-Digest": digest})
        record_id = record.rec_headers.get_header("WARC-Record-ID")
        request = writer.create_warc_record(
            capture.url, "request", http_headers=StatusAndHeaders(
                f"{capture.request_method} {_request_target(capture.url)} HTTP/1.1", capture.request_headers,
                is_http_request=True),
            warc_headers_dict={"WARC-Date": date, "WARC-Concurrent-To": record_id})
        offset = fh.tell()
        try:
            writer.write_record(record)
            location = Location(str(self._path.relative_to(self.root)), offset, fh.tell() - offset)
            writer.write_record(request)
            fh.flush()  # whole records reach the file as they are written (a crash keeps them)
        except BaseException:
            self._abandon(offset)
            raise
        written = Written(record_id, record.rec_type, location, digest)
        if fh.tell() >= self.max_bytes:
            self.close()  # the next record opens the next file
        return written

    def _abandon(self, offset: int) -> None:
        """After a failed write (disk full …): cut the file back to its last whole record and close
        it, so it stays readable; the next capture opens a new file."""
        fh, self._fh, self._warc, self._path = self._fh, None, None, None
        if fh is None:
            return
        try:
            fh.seek(offset)
            fh.truncate()
            fh.close()
        except OSError:
            pass  # the write error itself is what the caller reports

    def close(self) -> None:
        if self._fh is not None:
            self._fh.flush()
            self._fh.close()
        self._fh = self._warc = self._path = None


def _request_target(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


@dataclass
class RawRecord:
    record_id: str
    type: str
    url: str
    fetched_at: datetime
    status: int | None
    headers: list[tuple[str, str]]
    body: bytes  # content and transfer encodings removed (warcio decodes what a file kept encoded)


def truncated(record: Any) -> bool:
    """Once its content is read: the file ended before the record's declared length (warcio
    itself returns the short body without a word)."""
    return int(getattr(record.raw_stream, "limit", 0) or 0) > 0


def read_record(path: Path, offset: int) -> RawRecord:
    """The record at `offset` of a WARC file (gzip per record, or uncompressed)."""
    with open(path, "rb") as fh:
        fh.seek(offset)
        for record in ArchiveIterator(fh):
            http = record.http_headers
            status = int(http.get_statuscode()) if http is not None and record.rec_type != "request" else None
            body = record.content_stream().read()
            if truncated(record):
                raise EOFError(f"{path} ends inside the record at offset {offset}")
            return RawRecord(
                record_id=record.rec_headers.get_header("WARC-Record-ID") or "",
                type=record.rec_type, url=record.rec_headers.get_header("WARC-Target-URI") or "",
                fetched_at=parse_warc_date(record.rec_headers.get_header("WARC-Date") or ""),
                status=status, headers=list(http.headers) if http is not None else [], body=body)
    raise EOFError(f"no WARC record at {path}:{offset}")

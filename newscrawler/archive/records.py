"""What is archived of one fetch, and the small conventions shared by writer and readers: fetch
times, WARC dates, payload digests, the HTTP headers as stored."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus

# The body we archive is the one Scrapy decoded; these headers described the bytes on the wire.
# Common Crawl's convention: keep them under X-Crawler-* and give the stored body its own length.
_WIRE_HEADERS = ("content-encoding", "transfer-encoding", "content-length")


@dataclass
class Capture:
    """One article response as the crawl hands it to the archive (nothing compressed yet)."""

    url: str  # the response URL (after redirects): WARC-Target-URI
    status: int
    headers: list[tuple[str, str]]  # HTTP response headers as received (latin-1 decoded)
    body: bytes  # decoded by Scrapy (no content or transfer encoding left)
    fetched_at: datetime  # aware UTC, whole milliseconds (see fetch_time)
    outlet: str
    crawl_id: str
    request_method: str = "GET"
    request_headers: list[tuple[str, str]] = field(default_factory=list)
    ip_address: str | None = None
    rendered: bool = False  # the body is a browser's DOM (scrapy-playwright), not the server's bytes

    @property
    def size(self) -> int:
        """Bytes it holds in memory, about (the body dominates)."""
        return len(self.body) + sum(len(k) + len(v) for k, v in self.headers) + 512


def fetch_time(now: datetime | None = None) -> datetime:
    """A fetch instant at the precision both BSON and our WARC-Date keep (milliseconds): the same
    instant comes back from the database and from the WARC file, so relative dates ("منذ 3 ساعات")
    re-extracted from the archive do not move."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def warc_date(when: datetime) -> str:
    """WARC/1.1 WARC-Date with milliseconds (WARC/1.0 readers take the seconds)."""
    when = when.astimezone(UTC)
    return f"{when:%Y-%m-%dT%H:%M:%S}.{when.microsecond // 1000:03d}Z"


def parse_warc_date(text: str) -> datetime:
    """A WARC-Date (WARC/1.0 seconds or WARC/1.1 fractions) as an aware UTC datetime."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)


def payload_digest(body: bytes) -> str:
    """WARC-Payload-Digest as warcio and Common Crawl write it (SHA-1, base32)."""
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


def url_key(url: str) -> str:
    """`_id` of a URL's entry in raw_latest (URLs can be long; a digest is a short stable key)."""
    return hashlib.sha1(url.encode("utf-8", "surrogatepass")).hexdigest()


def status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Unknown"


def archived_headers(headers: list[tuple[str, str]], body_length: int) -> list[tuple[str, str]]:
    """The response headers as stored with a decoded body: Content-Encoding, Transfer-Encoding and
    Content-Length renamed X-Crawler-*, and a Content-Length that is the stored body's."""
    out: list[tuple[str, str]] = []
    for name, value in headers:
        if name.lower() in _WIRE_HEADERS:
            out.append((f"X-Crawler-{name.title()}", value))
        else:
            out.append((name, value))
    out.append(("Content-Length", str(body_length)))
    return out


def header(headers: list[tuple[str, str]], name: str) -> str | None:
    """The first value of a header (case-insensitive), or None."""
    name = name.lower()
    return next((v for k, v in headers if k.lower() == name), None)

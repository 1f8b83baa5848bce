"""Downloader middlewares for hostile or overloaded servers.

- `RetryAfterMiddleware` (before Scrapy's RetryMiddleware): a 429/503 with `Retry-After` is retried
  after the delay the server asked for, capped at RETRY_AFTER_MAX seconds, without blocking the
  reactor (the wait is a Twisted timer awaited by this request only). Stats `retry_after/*`.
- `RobotsTxtMiddleware` (replaces Scrapy's): every request waits for its domain's robots.txt,
  also the ones that arrive while it is being fetched (see the class).
- `RedirectGuardMiddleware` (before Scrapy's RedirectMiddleware): a redirect that loops back to a
  URL of its own chain, exceeds REDIRECT_MAX_TIMES, leaves the crawled site, or goes from a public
  host to a private/loopback/link-local address is refused and counted (`errors/redirect_*`, so it
  shows in the run record's errors) instead of being dropped silently by the dupefilter or the
  redirect limit.
- `CompressedBodyCheckMiddleware` (before Scrapy's HttpCompressionMiddleware): a truncated or
  corrupt gzip/deflate body is counted and retried, then a failed item; never stored cut.
"""

from __future__ import annotations

import ipaddress
import logging
import zlib
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

from scrapy import Request
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as ScrapyRobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred
from w3lib.url import safe_url_string

from newscrawler.scrapy_ext.failures import record_failure

log = logging.getLogger(__name__)

REDIRECT_STATUSES = (301, 302, 303, 307, 308)


def retry_after_seconds(value: str | bytes | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date); None if unusable."""
    if value is None:
        return None
    text = (value.decode("latin-1") if isinstance(value, bytes) else value).strip()
    if not text:
        return None
    if text.isdigit():
        return float(int(text))
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class RetryAfterMiddleware:
    STATUSES = frozenset({429, 503})

    def __init__(self, crawler: Any) -> None:
        settings = crawler.settings
        if not settings.getbool("RETRY_ENABLED") or not settings.getbool("RETRY_AFTER_ENABLED", True):
            raise NotConfigured
        self.crawler = crawler
        self.stats = crawler.stats
        self.max_delay = settings.getfloat("RETRY_AFTER_MAX", 120.0)
        self.max_retry_times = settings.getint("RETRY_TIMES")
        self.priority_adjust = settings.getint("RETRY_PRIORITY_ADJUST")

    @classmethod
    def from_crawler(cls, crawler: Any) -> RetryAfterMiddleware:
        return cls(crawler)

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if response.status not in self.STATUSES or request.meta.get("dont_retry"):
            return response
        delay = retry_after_seconds(response.headers.get("Retry-After"))
        if delay is None:
            return response  # no (usable) Retry-After: Scrapy's RetryMiddleware decides
        status = response.status
        self.stats.inc_value("retry_after/count")
        self.stats.inc_value(f"retry_after/status/{status}")
        if delay > self.max_delay:
            log.warning("%s asked to retry after %.0f s; waiting %.0f s (RETRY_AFTER_MAX)",
                        request.url, delay, self.max_delay)
            self.stats.inc_value("retry_after/capped")
            delay = self.max_delay
        retry = get_retry_request(
            request, spider=self.crawler.spider, reason=f"{status} Retry-After",
            max_retry_times=request.meta.get("max_retry_times", self.max_retry_times),
            priority_adjust=request.meta.get("priority_adjust", self.priority_adjust),
        )
        if retry is None:
            self.stats.inc_value("retry_after/gave_up")
            request.meta["dont_retry"] = True  # retries exhausted: RetryMiddleware must not count again
            return response
        self.stats.inc_value("retry_after/delayed_s", int(round(delay)))
        if delay > 0:
            await _sleep(delay)
        return retry


async def _sleep(seconds: float) -> None:
    """Wait on the reactor (never time.sleep): other requests go on meanwhile."""
    from twisted.internet import reactor
    from twisted.internet.task import deferLater

    await maybe_deferred_to_future(deferLater(reactor, seconds, lambda: None))  # type: ignore[arg-type]


def _is_private_host(host: str) -> bool:
    """A loopback, private, link-local, unspecified or reserved address literal, or localhost."""
    host = host.strip("[]").lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False  # a name: not resolved here (see README: DNS answers are not checked)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return not address.is_global or address.is_multicast


def _host_allowed(host: str, domains: list[str]) -> bool:
    return any(host == d or host.endswith("." + d) for d in domains)


class RedirectGuardMiddleware:
    def __init__(self, crawler: Any) -> None:
        settings = crawler.settings
        if not settings.getbool("REDIRECT_ENABLED", True):
            raise NotConfigured
        self.crawler = crawler
        self.stats = crawler.stats
        self.max_redirects = settings.getint("REDIRECT_MAX_TIMES")

    @classmethod
    def from_crawler(cls, crawler: Any) -> RedirectGuardMiddleware:
        return cls(crawler)

    def _refuse(self, kind: str, request: Request, target: str) -> IgnoreRequest:
        self.stats.inc_value(f"errors/{kind}")
        log.warning("%s: refused redirect from %s to %s", kind, request.url, target)
        return IgnoreRequest(f"{kind}: {request.url} -> {target}")

    def process_response(self, request: Request, response: Response) -> Response:
        if (response.status not in REDIRECT_STATUSES or b"Location" not in response.headers
                or request.meta.get("dont_redirect") or request.meta.get("handle_httpstatus_all")
                or response.status in request.meta.get("handle_httpstatus_list", ())):
            return response
        location = safe_url_string(response.headers[b"Location"].decode("latin-1").strip())
        if location.startswith("//"):
            location = f"{urlsplit(request.url).scheme}:{location}"
        target = urljoin(request.url, location)
        chain = {urldefrag(u)[0] for u in [*request.meta.get("redirect_urls", []), request.url]}
        if urldefrag(target)[0] in chain:
            raise self._refuse("redirect_loop", request, target)
        ttl = request.meta.get("redirect_ttl", self.max_redirects)
        if not ttl or request.meta.get("redirect_times", 0) + 1 > self.max_redirects:
            raise self._refuse("redirect_max_exceeded", request, target)
        source_host = urlsplit(request.url).hostname or ""
        target_host = urlsplit(target).hostname or ""
        if urlsplit(target).scheme not in ("http", "https") or not target_host:
            raise self._refuse("redirect_bad_target", request, target)
        if _is_private_host(target_host) and not _is_private_host(source_host):
            raise self._refuse("redirect_private", request, target)
        spider = self.crawler.spider
        domains = [d for d in (getattr(spider, "allowed_domains", None) or []) if d]
        # Unlike Scrapy's OffsiteMiddleware, dont_filter does not exempt a redirect (retried
        # requests carry it, and Scrapy's redirect copies it to the target).
        if domains and not request.meta.get("allow_offsite") and not _host_allowed(target_host, domains):
            raise self._refuse("redirect_offsite", request, target)
        return response


class RobotsTxtMiddleware(ScrapyRobotsTxtMiddleware):
    """Scrapy's RobotsTxtMiddleware, with every request waiting for robots.txt.

    Scrapy 2.19 awaits the one Deferred that stands for a domain's robots.txt while it is being
    fetched from every waiting request; `Deferred.asFuture` replaces the Deferred's result with
    None for the callbacks after it, so only the first waiter gets the parser and the others pass
    unchecked (the third start request of a crawl, when robots.txt is slow). Here each waiter gets
    its own Deferred, fed by a callback that passes the parser on.
    """

    async def robot_parser(self, request: Request) -> Any:
        parser = self._parsers.get(urlparse_cached(request).netloc)
        if isinstance(parser, Deferred):
            self._stats.inc_value("robotstxt/waited")
            waiter: Deferred[Any] = Deferred()

            def feed(result: Any) -> Any:
                waiter.callback(result)
                return result  # unchanged for the next waiter

            parser.addBoth(feed)
            return await maybe_deferred_to_future(waiter)
        return await super().robot_parser(request)


def compressed_body_problem(body: bytes, encoding: str, limit: int) -> str | None:
    """Why a gzip/deflate body cannot be trusted (truncated, corrupt, over `limit` bytes
    decompressed), or None. Streams through zlib: never holds more than `limit` bytes."""
    wbits = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS,
             "raw-deflate": -zlib.MAX_WBITS}.get(encoding)
    if wbits is None:
        return None
    inflater = zlib.decompressobj(wbits)
    produced = 0
    try:
        data = body
        while data:
            produced += len(inflater.decompress(data, 1 << 20))
            if produced > limit:
                return f"more than {limit} bytes decompressed"
            data = inflater.unconsumed_tail
        if not inflater.eof:
            return "truncated"
    except zlib.error as exc:
        if encoding == "deflate":  # some servers send raw deflate without the zlib header
            return compressed_body_problem(body, "raw-deflate", limit)
        return f"corrupt ({exc})"
    return None


class CompressedBodyCheckMiddleware:
    """Before Scrapy's HttpCompressionMiddleware (which keeps what it could decompress of a
    truncated gzip body: a cut article would be stored as if whole): a truncated, corrupt or
    oversized gzip/deflate body is counted (`download/corrupt_body`) and retried; when the retries
    are spent it is a failed item (`errors/download/corrupt_body`, quarantined), never stored."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.limit = crawler.settings.getint("DOWNLOAD_MAXSIZE") or 64 * 1024 * 1024

    @classmethod
    def from_crawler(cls, crawler: Any) -> CompressedBodyCheckMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Request | Response:
        encoding = response.headers.get("Content-Encoding", b"").decode("latin-1").strip().lower()
        if request.method == "HEAD" or not response.body or not encoding:
            return response
        problem = compressed_body_problem(response.body, encoding, self.limit)
        if problem is None:
            return response
        self.crawler.stats.inc_value("download/corrupt_body")  # every attempt; errors/… once given up
        log.warning("%s: %s body %s", request.url, encoding, problem)
        retry = get_retry_request(request, spider=self.crawler.spider, reason="corrupt_body")
        if retry is not None:
            return retry
        # Retries spent: a failed item (the run is not clean), kept with what arrived; not stored,
        # so the next crawl fetches it again.
        record_failure(self.crawler, "download", "corrupt_body", request.url,
                       getattr(self.crawler.spider, "name", None), html=response.body,
                       content_type=response.headers.get("Content-Type", b"").decode("latin-1") or None)
        raise IgnoreRequest(f"{encoding} body {problem}: {request.url}")

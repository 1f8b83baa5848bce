"""OutletSpider: the one spider class; each outlet's spider is this class bound to a declaration
(spiders/outlets.py makes one subclass per registered outlet).

Spider arguments (`scrapy crawl basnews -a name=value`):
- base_url: crawl a replica (or mirror) at this origin instead of the outlet's real home,
  e.g. `-a base_url=http://127.0.0.1:8123`; nothing else changes. Without it, the setting
  OUTLET_BASE_URLS (outlet -> origin) is used: `scrapy check` and `scrapy parse` take no `-a`.
- editions: comma-separated editions to crawl (default: the outlet's default, Arabic).
- since: YYYY-MM-DD; feed/sitemap items dated before it are skipped before fetching.
- max_articles: stop after this many article pages have been scheduled.
- crawl_id: the name of this run (its crawl_runs record).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import unquote, urljoin, urlsplit
from zoneinfo import ZoneInfo

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response, TextResponse
from scrapy.linkextractors import LinkExtractor
from scrapy.settings import BaseSettings
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred, DeferredList
from twisted.python.failure import Failure

from newscrawler.dedup.canonical import article_key, canonical_url, normalise_url
from newscrawler.discovery import MAX_BYTES, Entry, NotAFeedError, is_pagination_of, parse_feed, parse_sitemap
from newscrawler.extract import ExtractionError
from newscrawler.outlets import Outlet, get_outlet
from newscrawler.scrapy_ext.connection import store_for
from newscrawler.scrapy_ext.extraction import ExtractionPool
from newscrawler.scrapy_ext.failures import record_failure
from newscrawler.scrapy_ext.offload import in_db_thread
from newscrawler.store import ArticleStore

log = logging.getLogger(__name__)
T = TypeVar("T")

# Listings that load more items on scroll: scroll to the end a few times, letting XHRs land.
SCROLL_SCRIPT = """async () => {
  for (let i = 0; i < 6; i++) {
    window.scrollTo(0, document.body.scrollHeight);
    await new Promise(resolve => setTimeout(resolve, 400));
  }
}"""
PLAYWRIGHT_HANDLERS = {
    "http": "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler",
    "https": "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler",
}


class OutletSpider(scrapy.Spider):
    def __init__(
        self,
        base_url: str | None = None,
        editions: str | None = None,
        since: str | None = None,
        max_articles: str | int | None = None,
        crawl_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.outlet: Outlet = get_outlet(self.name)
        self.origin = (base_url or self.outlet.home).rstrip("/")
        requested = tuple(e.strip() for e in (editions or "").split(",") if e.strip())
        unknown = set(requested) - set(self.outlet.editions)
        if unknown:
            raise ValueError(f"{self.name}: unknown editions {sorted(unknown)}; known: {sorted(self.outlet.editions)}")
        self.editions = requested or self.outlet.default_editions
        self.since = (datetime.strptime(since, "%Y-%m-%d").replace(tzinfo=ZoneInfo(self.outlet.timezone))
                      .astimezone(UTC) if since else None)
        self.max_articles = int(max_articles) if max_articles else None
        self.crawl_id = crawl_id or f"{self.name}-{datetime.now(UTC):%Y%m%dT%H%M%S}"
        self.origin_host = urlsplit(self.origin).hostname or ""
        self.allowed_domains = [self.origin_host, *self.outlet.domains]
        self._scheduled_articles = 0
        self._validators: dict[str, dict[str, Any]] = {}  # discovery URL -> validators stored last run
        self._new_validators: dict[str, dict[str, str]] = {}
        self._pending_writes: set[Deferred[Any]] = set()  # fire-and-forget store writes, awaited at close

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> OutletSpider:
        # `-a base_url` first; else OUTLET_BASE_URLS, which commands without `-a` (check) can set.
        if not kwargs.get("base_url"):
            kwargs["base_url"] = crawler.settings.getdict("OUTLET_BASE_URLS").get(cls.name)
        spider: OutletSpider = super().from_crawler(crawler, *args, **kwargs)
        return spider

    @property
    def store(self) -> ArticleStore:
        return store_for(self.crawler)

    async def db(self, function: Callable[..., T], *args: Any) -> T:
        """function(store, *args) on the crawler's database thread (the store is opened there too):
        the reactor never waits on the database."""
        return await maybe_deferred_to_future(in_db_thread(self.crawler, lambda: function(self.store, *args)))

    @property
    def incremental(self) -> bool:
        return self.settings.getbool("INCREMENTAL", True)

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        outlet = get_outlet(cls.name)
        if outlet.listing_needs_js or outlet.article_needs_js:
            # Only outlets that need a browser load scrapy-playwright; within them only requests
            # marked with meta["playwright"] are rendered, the rest use Scrapy's own downloader.
            settings.set("DOWNLOAD_HANDLERS", PLAYWRIGHT_HANDLERS, priority="spider")

    # --- discovery ------------------------------------------------------------------------
    def absolute(self, path: str) -> str:
        return urljoin(self.origin + "/", path.lstrip("/"))

    def owns(self, url: str) -> bool:
        host = urlsplit(url).hostname or ""
        return host == self.origin_host or self.outlet.owns_host(host)

    def in_edition(self, url: str) -> bool:
        """True unless the URL is under another edition's path prefix."""
        path = urlsplit(url).path
        chosen = [self.outlet.editions[e] for e in self.editions]
        if any(path.startswith(p) for p in chosen):
            return True
        return not any(path.startswith(p) for p in self.outlet.editions.values() if p != "/")

    def too_old(self, entry: Entry) -> bool:
        return bool(self.since and entry.date and entry.date < self.since)

    def page_request(self, url: str, kind: str, **meta: Any) -> scrapy.Request:
        callback = {"feed": self.parse_feed, "sitemap": self.parse_sitemap, "listing": self.parse_listing}[kind]
        meta = {"page_kind": kind, "handle_httpstatus_list": [304], **meta}
        headers: dict[str, str] = {}
        known = self._validators.get(url) if self.incremental else None
        if known and not (kind == "listing" and self.outlet.listing_needs_js):
            headers = _conditional_headers(known.get("etag"), known.get("last_modified"))
        if kind == "listing" and self.outlet.listing_needs_js:
            from scrapy_playwright.page import PageMethod

            meta.update(playwright=True, playwright_page_methods=[
                PageMethod("wait_for_load_state", "domcontentloaded"),
                PageMethod("evaluate", SCROLL_SCRIPT),
            ])
        return scrapy.Request(url, callback=callback, errback=self.on_error, meta=meta, headers=headers)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        starts = [(kind, self.absolute(path)) for kind, paths in (
            ("feed", self.outlet.feeds), ("sitemap", self.outlet.sitemaps), ("listing", self.outlet.listings))
            for path in self.outlet.paths_for(paths, self.editions)]
        if self.incremental:
            self._validators = await self.db(ArticleStore.page_validators, [url for _, url in starts])
        for kind, url in starts:
            yield self.page_request(url, kind)

    def not_modified(self, response: Response) -> bool:
        """Remember a discovery page's validators; True if the server says it did not change."""
        if response.status == 304:
            self.crawler.stats.inc_value(f"incremental/{response.meta.get('page_kind')}_not_modified")
            return True
        etag = response.headers.get("ETag", b"").decode("latin-1")
        modified = response.headers.get("Last-Modified", b"").decode("latin-1")
        if etag or modified:
            self._new_validators[response.url] = {"etag": etag, "last_modified": modified}
        return False

    def closed(self, reason: str) -> Deferred[Any] | None:
        # Only a completed run may say "seen": a crashed one must re-read its discovery pages.
        # Awaited by Scrapy (a spider_closed handler may return a Deferred), with the 404 marks.
        pending = list(self._pending_writes)
        if reason == "finished" and self.incremental:
            pending.append(in_db_thread(self.crawler, lambda: self.store.save_page_validators(self._new_validators)))
        return DeferredList(pending, consumeErrors=True) if pending else None

    def wanted(self, url: str) -> bool:
        return self.owns(url) and self.outlet.is_article_url(url) and self.in_edition(url)

    def _article_entries(self, entries: list[Entry], source: str) -> list[Entry]:
        """The entries that are article URLs of the editions crawled. Rejected entries of feeds and
        sitemaps are counted. A feed lists nothing but the outlet's articles, so when the URL rule
        rejects most of its entries the outlet has changed its URLs: the run record and
        `newscrawler status` flag it, and it is logged (sitemaps also list sections and pages)."""
        wanted = [e for e in entries if self.wanted(e.url)]
        if source in ("feed", "sitemap"):
            own = [e for e in entries if self.owns(e.url) and self.in_edition(e.url)]
            rejected = len(own) - len(wanted)
            self.crawler.stats.inc_value(f"discovery/{source}_entries", len(own))
            if rejected:
                self.crawler.stats.inc_value(f"discovery/rejected_by_url_rule/{source}", rejected)
            if source == "feed" and len(own) >= 3 and rejected > len(own) / 2:
                self.crawler.stats.inc_value("discovery/url_rule_mismatch")
                log.warning("%s: the article URL rule rejects %d of %d entries of %s (e.g. %s): "
                            "has the outlet changed its URLs?", self.name, rejected, len(own), source,
                            next(e.url for e in own if not self.wanted(e.url)))
        return wanted

    async def article_requests(self, entries: list[Entry], source: str) -> list[scrapy.Request]:
        """Requests for the article URLs found on one discovery page.

        Incremental: the store is asked once for all of them; a stored article is requested again
        only if the source dates a change after our last fetch (sitemap lastmod, feed updated),
        and then conditionally (If-None-Match / If-Modified-Since).
        """
        entries = self._article_entries(entries, source)
        keyed = [(e, article_key(normalise_url(e.url), self.outlet)) for e in entries]
        known: dict[str, dict[str, Any]] = {}
        gone: set[str] = set()
        if self.incremental and keyed:
            retry_after = datetime.now(UTC) - timedelta(days=self.settings.getfloat("GONE_RETRY_DAYS", 7))
            keyed, known, gone = await self.db(_stored_state, keyed, retry_after)
        requests = []
        for entry, key in keyed:
            if self.too_old(entry):
                self.crawler.stats.inc_value("discovery/skipped_before_since")
                continue
            if key in gone:
                self.crawler.stats.inc_value("incremental/skipped_gone")
                continue
            stored = known.get(key)
            fetched = stored.get("fetched_at") if stored else None  # aware: the client is tz_aware
            if stored and not (entry.date and fetched and entry.date > fetched):
                self.crawler.stats.inc_value("incremental/skipped_stored")
                continue
            if self.max_articles is not None and self._scheduled_articles >= self.max_articles:
                self.crawler.stats.inc_value("discovery/skipped_max_articles")
                continue
            self._scheduled_articles += 1
            self.crawler.stats.inc_value(f"discovery/{source}")
            headers = _conditional_headers(stored.get("http_etag"), stored.get("http_last_modified")) if stored else {}
            requests.append(scrapy.Request(
                entry.url, callback=self.parse_article, errback=self.on_error, headers=headers,
                meta={"page_kind": "article", "discovered_by": source, "article_key": key,
                      "handle_httpstatus_list": [304]}))
        return requests


    async def parse_feed(self, response: Response) -> AsyncIterator[scrapy.Request]:
        self.crawler.stats.inc_value("pages/feed")
        if self.not_modified(response):
            return
        # Its validators are kept only if the whole feed was processed: a feed that failed is
        # fetched again in full next run (a saved ETag would answer 304 and hide its articles).
        try:
            entries = parse_feed(response.body, response.url, self.outlet.timezone,
                                 self.settings.getint("DISCOVERY_MAX_BYTES", MAX_BYTES))
            self._count_bad_entries("feed", response.url, entries.bad)
            for request in await self.article_requests(entries, "feed"):
                yield request
        except Exception as exc:
            self._discovery_failed("feed", response.url, exc)

    async def parse_sitemap(self, response: Response) -> AsyncIterator[scrapy.Request]:
        self.crawler.stats.inc_value("pages/sitemap")
        if self.not_modified(response):
            return
        # As for feeds: a sitemap that failed keeps no validators, so the next run refetches it.
        try:
            kind, entries = parse_sitemap(response.body, response.url, self.outlet.timezone,
                                          self.settings.getint("DISCOVERY_MAX_BYTES", MAX_BYTES))
            self._count_bad_entries("sitemap", response.url, entries.bad)
            if kind == "index":
                for entry in entries:
                    if self.owns(entry.url) and not self.too_old(entry):
                        yield self.page_request(entry.url, "sitemap")
                return
            for request in await self.article_requests(entries, "sitemap"):
                yield request
        except Exception as exc:
            self._discovery_failed("sitemap", response.url, exc)

    def _count_bad_entries(self, kind: str, url: str, bad: int) -> None:
        if bad:
            self.crawler.stats.inc_value("errors/discovery/bad_entry", bad)
            log.warning("%s %s: %d malformed entries skipped", kind, url, bad)

    def _discovery_failed(self, kind: str, url: str, exc: Exception) -> None:
        """A feed/sitemap that could not be processed keeps no validators: fetched in full next run."""
        self._new_validators.pop(url, None)
        self.crawler.stats.inc_value(f"errors/discovery/{kind}")
        log.error("%s %s could not be processed: %s", kind, url, exc, exc_info=not isinstance(exc, NotAFeedError))

    async def parse_listing(self, response: Response) -> AsyncIterator[scrapy.Request]:
        self.crawler.stats.inc_value("pages/listing")
        if self.not_modified(response):
            return
        if not isinstance(response, TextResponse):
            self.crawler.stats.inc_value("errors/listing_not_text")
            return
        depth = response.meta.get("listing_page", 1)
        max_pages = self.settings.getint("LISTING_MAX_PAGES", 5)
        next_pages = {urljoin(response.url, href) for href in response.xpath('//a[@rel="next"]/@href').getall()}
        found: list[Entry] = []
        for link in LinkExtractor().extract_links(response):
            if is_pagination_of(link.url, response.url):
                next_pages.add(link.url)
            else:
                found.append(Entry(link.url))
        for request in await self.article_requests(found, "listing"):
            yield request
        if depth < max_pages:
            for url in sorted(next_pages):
                if self.owns(url):
                    yield self.page_request(url, "listing", listing_page=depth + 1)

    # --- any page of the outlet (Scrapy's default callback) ---------------------------------
    async def parse(self, response: Response, **kwargs: Any) -> AsyncIterator[Any]:
        """The page handled as what it is for this outlet: a declared feed, sitemap or listing by
        its path (a child sitemap or an undeclared feed by its XML root), anything else as an
        article. What `scrapy parse --spider <outlet> URL` and the contracts of `scrapy check`
        call; the crawl's own requests name their callback and never come here."""
        kind = response.meta.get("page_kind") or self.page_kind(response)
        if kind == "article" and not self.wanted(response.url):
            log.warning("%s is not an article URL of %s by its article_path rule (a crawl would not "
                        "fetch it); extracting it as an article anyway", response.url, self.name)
        callback = {"feed": self.parse_feed, "sitemap": self.parse_sitemap, "listing": self.parse_listing,
                    "article": self.parse_article}[kind]
        async for output in callback(response):
            yield output

    def page_kind(self, response: Response) -> str:
        """feed, sitemap, listing or article, for a page reached without the crawl's meta."""
        def key(path: str) -> str:  # percent-encoding and a trailing slash do not matter
            return unquote(path).rstrip("/") or "/"

        parts = urlsplit(response.url)
        path = key(parts.path + (f"?{parts.query}" if parts.query else ""))
        editions = tuple(self.outlet.editions)
        for kind, paths in (("feed", self.outlet.feeds), ("sitemap", self.outlet.sitemaps),
                            ("listing", self.outlet.listings)):
            if any(key(p) == path for p in self.outlet.paths_for(paths, editions)):
                return kind
        head = response.body[:1024].lstrip().lower()
        if head.startswith((b"<?xml", b"<rss", b"<feed", b"<rdf:rdf", b"<urlset", b"<sitemapindex")):
            if b"<urlset" in head or b"<sitemapindex" in head:
                return "sitemap"
            if b"<rss" in head or b"<feed" in head or b"<rdf:rdf" in head:
                return "feed"
        return "article"

    # --- articles -------------------------------------------------------------------------
    async def parse_article(self, response: Response) -> AsyncIterator[Any]:
        if response.status == 304:
            self.crawler.stats.inc_value("incremental/article_not_modified")
            return
        self.crawler.stats.inc_value("pages/article")
        content_type = response.headers.get("Content-Type", b"").decode("latin-1") or None
        # When the response reached us (the archive stamps it, so a re-extraction of the WARC record sees
        # the same instant): relative dates count from it.
        fetched_at = response.meta.get("fetched_at") or datetime.now(UTC)
        try:
            article = await ExtractionPool.for_crawler(self.crawler).extract(
                response.body, response.url, self.name, content_type=content_type, fetched_at=fetched_at)
        except Exception as exc:  # noqa: BLE001 (page content must never lose an article silently)
            # ExtractionError: no article text (counted as before); anything else (a bug the page
            # triggered, the time budget, a dead worker) is a failure. Both keep the raw page for
            # `newscrawler replay`.
            no_article = isinstance(exc, ExtractionError)
            if no_article:
                self.crawler.stats.inc_value("errors/extraction_failed")
            record_failure(self.crawler, "extract", exc, response.url, self.name, html=response.body,
                           content_type=content_type, fetched_at=fetched_at, verdict=no_article)
            return
        if self.since and article.published_at and article.published_at < self.since:
            # Found through a listing, which gives no date before fetching: dropped here instead.
            self.crawler.stats.inc_value("articles/skipped_before_since")
            return
        final_key = article_key(canonical_url(response.url, article.canonical_url, self.outlet), self.outlet)
        if self.incremental and response.meta.get("article_key") not in (None, final_key):
            self._write_later(ArticleStore.add_alias, response.meta["article_key"], final_key)  # next run: known before fetching
        article.crawl_id = self.crawl_id
        article.http_etag = response.headers.get("ETag", b"").decode("latin-1") or None
        article.http_last_modified = response.headers.get("Last-Modified", b"").decode("latin-1") or None
        for warning in article.warnings:
            self.crawler.stats.inc_value(f"extract/warning/{warning}")
        yield article

    def _write_later(self, function: Callable[..., Any], *args: Any) -> None:
        """A store write that nothing waits for (aliases, 404 marks): on the database thread,
        awaited at close; a failure is counted and logged (it costs a refetch, never an article)."""
        d = in_db_thread(self.crawler, lambda: function(self.store, *args))
        self._pending_writes.add(d)

        def done(result: Any) -> None:
            self._pending_writes.discard(d)
            if isinstance(result, Failure):
                self.crawler.stats.inc_value(f"errors/store/{function.__name__}")
                log.warning("%s%r not written: %s", function.__name__, args, result.value)

        d.addBoth(done)

    def on_error(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        response = getattr(failure.value, "response", None)
        kind = f"http_{response.status}" if response is not None else type(failure.value).__name__
        if kind == "IgnoreRequest":  # robots.txt and offsite filters: not a fetch error
            return
        if response is not None and response.status in (404, 410) and request.meta.get("article_key"):
            self._write_later(ArticleStore.mark_gone, request.meta["article_key"], response.status, request.url)
        self.crawler.stats.inc_value(f"errors/{kind}")
        log.warning("%s %s failed: %s", request.meta.get("page_kind", "page"), request.url, kind)


def _stored_state(store: ArticleStore, keyed: list[tuple[Entry, str]], gone_after: datetime) -> tuple[
        list[tuple[Entry, str]], dict[str, dict[str, Any]], set[str]]:
    """On the database thread: the entries keyed through known aliases, what is stored of them,
    and which answered 404/410 lately (three round trips for a whole discovery page)."""
    aliases = store.resolve_aliases([k for _, k in keyed])
    keyed = [(e, aliases.get(k, k)) for e, k in keyed]
    keys = [k for _, k in keyed]
    known = store.existing(keys, ("fetched_at", "http_etag", "http_last_modified"))
    return keyed, known, store.gone_since(keys, gone_after)


def _conditional_headers(etag: str | None, last_modified: str | None) -> dict[str, str]:
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers

"""OutletSpider: the one spider class; each outlet's spider is this class bound to a declaration.

Spider arguments (`scrapy crawl basnews -a name=value`):
- base_url: crawl a replica (or mirror) at this origin instead of the outlet's real home,
  e.g. `-a base_url=http://127.0.0.1:8123`; nothing else changes.
- editions: comma-separated editions to crawl (default: the outlet's default, Arabic).
- since: YYYY-MM-DD; feed/sitemap items dated before it are skipped before fetching.
- max_articles: stop after this many article pages have been scheduled.
- crawl_id: the name of this run (its crawl_runs record).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

import scrapy
from scrapy.http import Response, TextResponse
from scrapy.linkextractors import LinkExtractor
from scrapy.settings import BaseSettings
from twisted.python.failure import Failure

from newscrawler.discovery import Entry, NotAFeedError, is_pagination_of, parse_feed, parse_sitemap
from newscrawler.extract import ExtractionError, extract_article
from newscrawler.outlets import Outlet, get_outlet

log = logging.getLogger(__name__)

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
        meta = {"page_kind": kind, **meta}
        if kind == "listing" and self.outlet.listing_needs_js:
            from scrapy_playwright.page import PageMethod

            meta.update(playwright=True, playwright_page_methods=[
                PageMethod("wait_for_load_state", "domcontentloaded"),
                PageMethod("evaluate", SCROLL_SCRIPT),
            ])
        return scrapy.Request(url, callback=callback, errback=self.on_error, meta=meta)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for kind, paths in (("feed", self.outlet.feeds), ("sitemap", self.outlet.sitemaps),
                            ("listing", self.outlet.listings)):
            for path in self.outlet.paths_for(paths, self.editions):
                yield self.page_request(self.absolute(path), kind)

    def article_request(self, url: str, discovered_by: str) -> scrapy.Request | None:
        if not self.owns(url) or not self.outlet.is_article_url(url) or not self.in_edition(url):
            return None
        if self.max_articles is not None and self._scheduled_articles >= self.max_articles:
            self.crawler.stats.inc_value("discovery/skipped_max_articles")
            return None
        self._scheduled_articles += 1
        self.crawler.stats.inc_value(f"discovery/{discovered_by}")
        return scrapy.Request(url, callback=self.parse_article, errback=self.on_error,
                              meta={"page_kind": "article", "discovered_by": discovered_by})

    def _entries_to_requests(self, entries: list[Entry], source: str) -> Iterator[scrapy.Request]:
        for entry in entries:
            if self.too_old(entry):
                self.crawler.stats.inc_value("discovery/skipped_before_since")
                continue
            request = self.article_request(entry.url, source)
            if request:
                yield request

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request]:
        self.crawler.stats.inc_value("pages/feed")
        try:
            entries = parse_feed(response.body, response.url, self.outlet.timezone)
        except NotAFeedError as exc:
            self.crawler.stats.inc_value("errors/bad_feed")
            log.error("feed %s is not RSS/Atom: %s", response.url, exc)
            return
        yield from self._entries_to_requests(entries, "feed")

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        self.crawler.stats.inc_value("pages/sitemap")
        try:
            kind, entries = parse_sitemap(response.body, response.url, self.outlet.timezone)
        except NotAFeedError as exc:
            self.crawler.stats.inc_value("errors/bad_sitemap")
            log.error("sitemap %s is not a sitemap: %s", response.url, exc)
            return
        if kind == "index":
            for entry in entries:
                if self.owns(entry.url) and not self.too_old(entry):
                    yield self.page_request(entry.url, "sitemap")
            return
        yield from self._entries_to_requests(entries, "sitemap")

    def parse_listing(self, response: Response) -> Iterator[scrapy.Request]:
        self.crawler.stats.inc_value("pages/listing")
        if not isinstance(response, TextResponse):
            self.crawler.stats.inc_value("errors/listing_not_text")
            return
        depth = response.meta.get("listing_page", 1)
        max_pages = self.settings.getint("LISTING_MAX_PAGES", 5)
        next_pages = {urljoin(response.url, href) for href in response.xpath('//a[@rel="next"]/@href').getall()}
        for link in LinkExtractor().extract_links(response):
            if is_pagination_of(link.url, response.url):
                next_pages.add(link.url)
                continue
            request = self.article_request(link.url, "listing")
            if request:
                yield request
        if depth < max_pages:
            for url in sorted(next_pages):
                if self.owns(url):
                    yield self.page_request(url, "listing", listing_page=depth + 1)

    # --- articles -------------------------------------------------------------------------
    def parse_article(self, response: Response) -> Iterator[Any]:
        self.crawler.stats.inc_value("pages/article")
        content_type = response.headers.get("Content-Type", b"").decode("latin-1") or None
        try:
            article = extract_article(response.body, response.url, self.outlet,
                                      content_type=content_type, fetched_at=datetime.now(UTC))
        except ExtractionError as exc:
            self.crawler.stats.inc_value("errors/extraction_failed")
            log.warning("extraction failed for %s: %s", response.url, exc)
            return
        if self.since and article.published_at and article.published_at < self.since:
            # Found through a listing, which gives no date before fetching: dropped here instead.
            self.crawler.stats.inc_value("articles/skipped_before_since")
            return
        article.crawl_id = self.crawl_id
        for warning in article.warnings:
            self.crawler.stats.inc_value(f"extract/warning/{warning}")
        yield article

    def on_error(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        response = getattr(failure.value, "response", None)
        kind = f"http_{response.status}" if response is not None else type(failure.value).__name__
        if kind == "IgnoreRequest":  # robots.txt and offsite filters: not a fetch error
            return
        self.crawler.stats.inc_value(f"errors/{kind}")
        log.warning("%s %s failed: %s", request.meta.get("page_kind", "page"), request.url, kind)

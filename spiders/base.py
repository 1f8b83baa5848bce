"""OutletSpider: the one spider class; each outlet's spider is this class bound to a declaration.

Spider arguments (`scrapy crawl basnews -a name=value`):
- base_url: crawl a replica (or mirror) at this origin instead of the outlet's real home,
  e.g. `-a base_url=http://127.0.0.1:8123`; nothing else changes.
- editions: comma-separated editions to crawl (default: the outlet's default, Arabic).
- max_articles: stop after this many article pages have been scheduled.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.http import Response, TextResponse
from scrapy.linkextractors import LinkExtractor
from twisted.python.failure import Failure

from newscrawler.extract import ExtractionError, extract_article
from newscrawler.outlets import Outlet, get_outlet

log = logging.getLogger(__name__)


class OutletSpider(scrapy.Spider):

    def __init__(
        self,
        base_url: str | None = None,
        editions: str | None = None,
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
        self.max_articles = int(max_articles) if max_articles else None
        self.crawl_id = crawl_id or f"{self.name}-{datetime.now(UTC):%Y%m%dT%H%M%S}"
        self.origin_host = urlsplit(self.origin).hostname or ""
        self.allowed_domains = [self.origin_host, *self.outlet.domains]
        self._scheduled_articles = 0

    # --- discovery ------------------------------------------------------------------------
    def absolute(self, path: str) -> str:
        return urljoin(self.origin + "/", path.lstrip("/"))

    def in_edition(self, url: str) -> bool:
        path = urlsplit(url).path
        prefixes = [self.outlet.editions[e] for e in self.editions]
        return any(path.startswith(p) for p in prefixes) or not any(
            path.startswith(p) for p in self.outlet.editions.values())

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for path in self.outlet.paths_for(self.outlet.feeds, self.editions):
            yield scrapy.Request(self.absolute(path), callback=self.parse_feed, errback=self.on_error,
                                 meta={"page_kind": "feed"})
        for path in self.outlet.paths_for(self.outlet.listings, self.editions):
            yield scrapy.Request(self.absolute(path), callback=self.parse_listing, errback=self.on_error,
                                 meta={"page_kind": "listing"})

    def article_request(self, url: str, **meta: Any) -> scrapy.Request | None:
        host = urlsplit(url).hostname or ""
        if not (host == self.origin_host or self.outlet.owns_host(host)):
            return None
        if not self.outlet.is_article_url(url) or not self.in_edition(url):
            return None
        if self.max_articles is not None and self._scheduled_articles >= self.max_articles:
            return None
        self._scheduled_articles += 1
        return scrapy.Request(url, callback=self.parse_article, errback=self.on_error,
                              meta={"page_kind": "article", **meta})

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request]:
        self.crawler.stats.inc_value("pages/feed")
        if not isinstance(response, TextResponse):
            self.crawler.stats.inc_value("errors/feed_not_text")
            log.error("feed %s is not text (%s)", response.url, response.headers.get("Content-Type"))
            return
        selector = scrapy.Selector(text=response.text, type="xml")
        selector.remove_namespaces()
        links = selector.xpath("//item/link/text() | //entry/link[not(@rel) or @rel='alternate']/@href").getall()
        for link in links:
            request = self.article_request(response.urljoin(link.strip()), discovered_by="feed")
            if request:
                yield request

    def parse_listing(self, response: Response) -> Iterator[scrapy.Request]:
        self.crawler.stats.inc_value("pages/listing")
        if not isinstance(response, TextResponse):
            return
        for link in LinkExtractor().extract_links(response):
            request = self.article_request(link.url, discovered_by="listing")
            if request:
                yield request

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


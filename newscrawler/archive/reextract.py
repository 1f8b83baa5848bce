"""Re-extraction: the current extractor over the latest archived raw page of each URL.

Pages come from `raw_latest` (filtered on outlet and fetch time), newest fetch first, so an article
reached through several URLs is written from its latest fetch (the older ones are `superseded`).
Each page is extracted with its WARC-Date as the fetch time (relative dates count from the same
instant as when it was crawled) by the crawl's own worker function, in worker processes that read
the bodies from the WARC files themselves, and written through ArticleWriter with dedup: unchanged
articles stay as they are, changed ones get a new version. Idempotent.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newscrawler.archive.index import RawPageIndex
from newscrawler.archive.warcfile import resolve
from newscrawler.archive.work import ArticleSink, Page, extracted


def _page(doc: dict[str, Any], root: Path) -> Page:
    payload = doc.get("payload") or doc
    return Page(url=doc["url"], outlet=doc.get("outlet"), fetched_at=_aware(doc["fetched_at"]),
                content_type=doc.get("content_type"), etag=doc.get("etag"), last_modified=doc.get("last_modified"),
                warc=payload["warc"], path=str(resolve(payload["warc"], root)), offset=int(payload["offset"]))


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def latest_pages(store: Any, root: Path, outlet: str | None = None, since: datetime | None = None,
                 until: datetime | None = None) -> list[Page]:
    """The pages to re-extract, newest fetch first (index documents only: no body is read here)."""
    pages = [_page(doc, root) for doc in RawPageIndex(store.db).latest_pages(outlet, since, until)]
    pages.sort(key=lambda p: p.fetched_at, reverse=True)
    return pages


def reextract(store: Any, root: Path, *, outlet: str | None = None, since: datetime | None = None,
              until: datetime | None = None, workers: int = 2, timeout: float = 20.0,
              advance: Callable[[int], None] | None = None, pages: list[Page] | None = None) -> dict[str, Any]:
    """Returns the summary: pages read and what became of them (see Tally)."""
    store.ensure_indexes()
    pages = latest_pages(store, root, outlet, since, until) if pages is None else pages
    crawl_id = f"reextract-{datetime.now(UTC):%Y%m%dT%H%M%S}"
    sink = ArticleSink(store, crawl_id)
    for page, result in extracted(pages, workers, timeout):
        sink.add(page, result)
        if advance:
            advance(1)
    sink.flush()
    return {"pages": len(pages), **sink.tally.as_dict(), "crawl_id": crawl_id}

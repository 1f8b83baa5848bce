"""What `reextract` and `import-warc` share: raw pages extracted in worker processes (the crawl's
own function, newscrawler/prepare.py, with a time budget per page), and the articles written in
batches through ArticleWriter, the one write path, with every outcome counted.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from newscrawler.archive.warcfile import read_record
from newscrawler.article import Article
from newscrawler.normalise.article import is_normalised, normalise_article, rejection_reason
from newscrawler.prepare import extract_normalised

log = logging.getLogger(__name__)

TASKS_PER_WORKER = 2000  # workers are recycled: lxml and trafilatura caches only grow
BATCH = 100  # articles deduplicated and written together (as STORE_BATCH_SIZE in a crawl)
# A stored article fetched this much later than a raw page comes from a newer fetch: the raw page
# does not overwrite it. The margin covers the crawl's two stamps of one fetch (the archive's at
# arrival, the spider's when its callback starts), which can be seconds apart under load.
STAMP_SKEW = timedelta(seconds=60)


class ExtractionTimeout(Exception):
    """The page took longer than its time budget to extract."""


class WorkerDied(Exception):
    """The worker process died while extracting the page."""


@dataclass
class Page:
    """A raw page to extract: its body, or where to read it (a worker reads it: the parent
    process never holds the bodies of a re-extraction)."""

    url: str
    outlet: str | None
    fetched_at: datetime
    content_type: str | None
    etag: str | None = None
    last_modified: str | None = None
    body: bytes | None = None
    warc: str = ""  # as indexed (relative to WARC_DIR or absolute), for listing failures
    path: str | None = None  # the WARC file to read the body from
    offset: int = 0


def extract_page(page: Page) -> Article:
    """In a worker: the body (read from its WARC record if not given) through extract_normalised."""
    body = page.body if page.body is not None else read_record(Path(page.path or ""), page.offset).body
    article = extract_normalised(body, page.url, page.outlet, content_type=page.content_type,
                                 fetched_at=page.fetched_at)
    article.http_etag = page.etag
    article.http_last_modified = page.last_modified
    return article


def default_workers(setting: int) -> int:
    return setting if setting >= 0 else (os.cpu_count() or 1)


def extracted(pages: Iterable[Page], workers: int, timeout: float) -> Iterator[tuple[Page, Article | Exception]]:
    """(page, article or the exception it raised) for each page, in order. `pages` is consumed
    lazily: at most 4 pages per worker are in flight (a streamed WARC file stays streamed)."""
    if workers <= 0:  # in this process (debugging, tests), no time budget
        for page in pages:
            try:
                yield page, extract_page(page)
            except Exception as exc:  # noqa: BLE001 (reported with the page by the caller)
                yield page, exc
        return
    from pebble import ProcessExpired, ProcessPool

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["newscrawler.archive.work"])
    window: deque[tuple[Page, Any]] = deque()

    def result(page: Page, future: Any) -> tuple[Page, Article | Exception]:
        try:
            return page, future.result()
        except FutureTimeout:
            return page, ExtractionTimeout(f"extraction took longer than {timeout:g} s")
        except ProcessExpired as exc:
            return page, WorkerDied(f"the extraction worker died ({exc})")
        except Exception as exc:  # noqa: BLE001 (reported with the page by the caller)
            return page, exc

    with ProcessPool(max_workers=workers, max_tasks=TASKS_PER_WORKER, context=context) as pool:
        try:
            for page in pages:
                window.append((page, pool.schedule(extract_page, args=(page,), timeout=timeout)))
                if len(window) >= 4 * workers:
                    yield result(*window.popleft())
            while window:
                yield result(*window.popleft())
        finally:
            if window:  # the caller stopped early (an error, Ctrl-C): do not wait for the rest
                pool.stop()


@dataclass
class Tally:
    """Every outcome of a re-extraction or import."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicate: int = 0
    superseded: int = 0  # a later fetch of the same article was written in this run
    older_than_stored: int = 0  # the stored article comes from a later fetch
    rejected: Counter[str] = field(default_factory=Counter)  # not an article (normalise/validate rules)
    extraction_failures: list[dict[str, Any]] = field(default_factory=list)
    failed: Counter[str] = field(default_factory=Counter)  # dedup/store failures, by stage and error

    def as_dict(self) -> dict[str, Any]:
        by_kind = Counter(f["error"] for f in self.extraction_failures)
        return {"new": self.new, "updated": self.updated, "unchanged": self.unchanged,
                "duplicate": self.duplicate, "superseded": self.superseded,
                "older_than_stored": self.older_than_stored, "rejected": dict(self.rejected),
                "extraction_failures": {"count": len(self.extraction_failures), "by_error": dict(by_kind),
                                        "pages": self.extraction_failures},
                "failed": dict(self.failed)}


class ArticleSink:
    """Articles from raw pages -> normalise/validate -> ArticleWriter (dedup on), in batches.

    Within a run an article is written from its latest fetch: a page fetched no later than one
    already written for the same article is `superseded`; and a raw page older than the stored
    article's fetch (beyond STAMP_SKEW) is `older_than_stored` (an old WARC file never overwrites a
    newer crawl). A database that refuses a batch after the writer's retries raises: nothing is
    lost (the raw pages stay in their files), and the run can be repeated (every write is
    idempotent).
    """

    def __init__(self, store: Any, crawl_id: str, batch_size: int = BATCH) -> None:
        from newscrawler.store.writer import ArticleWriter

        self.store = store
        self.writer = ArticleWriter(store)
        self.crawl_id = crawl_id
        self.batch_size = batch_size
        self.tally = Tally()
        self._batch: dict[str, Article] = {}
        self._written: dict[str, datetime] = {}  # article id -> fetch time written in this run

    def add(self, page: Page, result: Article | Exception) -> None:
        if isinstance(result, Exception):
            self._extraction_failed(page, result)
            return
        article = result
        try:
            if not is_normalised(article):  # the worker's normalise failed: again here, reported
                normalise_article(article)
        except Exception as exc:  # noqa: BLE001 (counted with the page)
            self._extraction_failed(page, exc, stage="normalise")
            return
        reason = rejection_reason(article)
        if reason:
            self.tally.rejected[reason] += 1
            return
        article.crawl_id = self.crawl_id
        fetched = article.fetched_at or page.fetched_at
        earlier = self._written.get(article.id)
        if earlier is not None and earlier >= fetched:
            self.tally.superseded += 1
            return
        if article.id in self._batch:  # a later fetch of an article in this batch: the earlier first
            self.flush()
        self._batch[article.id] = article
        self._written[article.id] = fetched
        if len(self._batch) >= self.batch_size:
            self.flush()

    def _extraction_failed(self, page: Page, exc: BaseException, stage: str = "extract") -> None:
        self.tally.extraction_failures.append({
            "url": page.url, "warc": page.warc, "offset": page.offset, "stage": stage,
            "error": type(exc).__name__, "message": str(exc)[:300]})
        log.log(logging.INFO if stage == "extract" and type(exc).__name__ == "ExtractionError" else logging.WARNING,
                "%s (%s:%d): %s failed: %s: %s", page.url, page.warc, page.offset, stage, type(exc).__name__, exc)

    def flush(self) -> None:
        if not self._batch:
            return
        articles = list(self._batch.values())
        self._batch = {}
        stored = self.store.existing([a.id for a in articles], ("fetched_at",))
        keep = []
        for article in articles:
            at = stored.get(article.id, {}).get("fetched_at")
            if isinstance(at, datetime) and article.fetched_at and \
                    _aware(at) > _aware(article.fetched_at) + STAMP_SKEW:
                self.tally.older_than_stored += 1
            else:
                keep.append(article)
        if not keep:
            return
        report = self.writer.write(keep, now=datetime.now(UTC))
        if report.database_error is not None:
            raise report.database_error
        self.tally.new += len(report.stored.new)
        self.tally.updated += len(report.stored.updated)
        self.tally.unchanged += len(report.stored.unchanged)
        self.tally.duplicate += sum(1 for d in report.decisions.values() if d.duplicate_of and d.reason != "known")
        for failure in report.failed:
            self.tally.failed[f"{failure.stage}/{type(failure.error).__name__}"] += 1
            log.error("%s failed at %s: %s", failure.article.url, failure.stage, failure.error)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)

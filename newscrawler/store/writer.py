"""Dedup and store a batch of articles: the one write path of crawls (on the database thread, see
pipelines/store.py), `newscrawler ingest` and `replay`.

A database that cannot be reached is retried (each attempt already waits up to
serverSelectionTimeoutMS for the server); after the last retry every article of the batch is
reported failed at that stage, with the error, and nothing else is tried. Any other error (an
article the code or BSON cannot handle, a write the server refuses) is isolated: the batch is tried
again one article at a time, so only that article fails. Nothing is dropped without being reported.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar

from pymongo.errors import ConnectionFailure, ExecutionTimeout, WTimeoutError

from newscrawler.article import Article, to_document
from newscrawler.dedup.detector import Decision, Deduplicator
from newscrawler.store.mongo import ArticleStore, BatchResult

log = logging.getLogger(__name__)
T = TypeVar("T")
# The database is away or too slow (AutoReconnect, NetworkTimeout, ServerSelectionTimeoutError are
# ConnectionFailures): worth waiting for. Everything else is about the articles.
UNREACHABLE = (ConnectionFailure, ExecutionTimeout, WTimeoutError)


@dataclass
class ItemFailure:
    stage: str  # "dedup" | "store"
    error: Exception
    article: Article


@dataclass
class WriteReport:
    decisions: dict[str, Decision] = field(default_factory=dict)  # article id -> its duplicate decision
    stored: BatchResult = field(default_factory=BatchResult)
    dropped: list[str] = field(default_factory=list)  # duplicates not stored (drop mode)
    failed: list[ItemFailure] = field(default_factory=list)
    database_error: Exception | None = None  # the database refused the batch after every retry


class ArticleWriter:
    def __init__(self, store: ArticleStore, dedup: bool = True, drop_duplicates: bool = False,
                 retries: int = 3) -> None:
        self.store = store
        self.detector = Deduplicator(store) if dedup else None
        self.drop_duplicates = drop_duplicates
        self.retries = retries

    def write(self, articles: list[Article], now: datetime | None = None) -> WriteReport:
        report = WriteReport()
        survivors = list(articles)
        if self.detector is not None and survivors:
            detector = self.detector
            survivors = []
            for part, decisions in self._attempt("dedup", detector.check_batch, list(articles), report):
                for article, decision in zip(part, decisions, strict=True):
                    report.decisions[article.id] = decision
                    if decision.duplicate_of:
                        article.duplicate_of = decision.duplicate_of
                        if self.drop_duplicates:
                            report.dropped.append(article.id)
                            continue
                    survivors.append(article)
        if survivors:
            # The time is taken at each attempt, not once before the retries: `changed_at` must be close
            # to the moment the write becomes visible, or an exporter polling by changed_at could pass
            # it before it commits (the export's settle window covers one attempt, not all of them).
            for _, result in self._attempt(
                    "store", lambda part: self.store.write_batch([to_document(a) for a in part],
                                                                 now=now or datetime.now(UTC)),
                    survivors, report):
                report.stored.new += result.new
                report.stored.updated += result.updated
                report.stored.unchanged += result.unchanged
        return report

    def _attempt(self, stage: str, step: Callable[[list[Article]], T], articles: list[Article],
                 report: WriteReport) -> list[tuple[list[Article], T]]:
        """`step` over the articles; returns (articles, result) for the parts that succeeded."""
        if report.database_error is not None:  # the database already refused: do not wait again
            report.failed += [ItemFailure(stage, report.database_error, a) for a in articles]
            return []
        for attempt in range(self.retries + 1):
            try:
                return [(articles, step(articles))]
            except UNREACHABLE as exc:
                if attempt == self.retries:
                    report.database_error = exc
                    report.failed += [ItemFailure(stage, exc, a) for a in articles]
                    return []
                log.warning("%s of %d articles failed (%s); retry %d", stage, len(articles), exc, attempt + 1)
            except Exception as exc:  # noqa: BLE001 (caused by an article: find which one)
                if len(articles) == 1:
                    log.error("%s failed for %s: %s: %s", stage, articles[0].url, type(exc).__name__, exc)
                    report.failed.append(ItemFailure(stage, exc, articles[0]))
                    return []
                return [done for article in articles for done in self._attempt(stage, step, [article], report)]
        raise AssertionError("unreachable")

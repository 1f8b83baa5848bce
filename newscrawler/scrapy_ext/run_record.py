"""Write one `crawl_runs` document per crawl: what ran, how it ended and what it stored."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from pymongo.errors import PyMongoError
from scrapy import Spider, signals
from scrapy.crawler import Crawler

from newscrawler.scrapy_ext.connection import store_for

log = logging.getLogger(__name__)


def summarise_stats(stats: dict[str, Any]) -> dict[str, Any]:
    """The run record's counters, from Scrapy's stats."""
    errors = {k.split("/", 1)[1]: v for k, v in stats.items() if k.startswith("errors/")}
    for key, value in stats.items():
        if key.startswith("downloader/exception_type_count/") and not key.endswith("IgnoreRequest"):
            errors[key.rsplit("/", 1)[1].rsplit(".", 1)[-1]] = value
    return {
        "pages_fetched": int(stats.get("downloader/response_count", 0)),
        "article_pages": int(stats.get("pages/article", 0)),
        "discovery_not_modified": sum(int(stats.get(f"incremental/{k}_not_modified", 0))
                                      for k in ("feed", "sitemap", "listing")),
        "skipped_stored": int(stats.get("incremental/skipped_stored", 0)) + int(
            stats.get("incremental/article_not_modified", 0)),
        "articles": {k: int(stats.get(f"articles/{k}", 0)) for k in ("new", "updated", "unchanged", "duplicate")},
        "rejected": {k.rsplit("/", 1)[1]: v for k, v in stats.items() if k.startswith("articles/rejected/")},
        "errors": errors,
        "robots_forbidden": int(stats.get("robotstxt/forbidden", 0)),
        "error_count": int(sum(errors.values())),
        "extraction_warnings": {k.rsplit("/", 1)[1]: v for k, v in stats.items() if k.startswith("extract/warning/")},
    }


class RunRecordExtension:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.started_at = datetime.now(UTC)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunRecordExtension:
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Spider) -> None:
        self.started_at = datetime.now(UTC)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        finished = datetime.now(UTC)
        stats = self.crawler.stats.get_stats()
        record = {
            "_id": getattr(spider, "crawl_id", None) or f"{spider.name}-{self.started_at:%Y%m%dT%H%M%S}",
            "outlet": spider.name,
            "started_at": self.started_at,
            "finished_at": finished,
            "elapsed_s": round((finished - self.started_at).total_seconds(), 2),
            "finish_reason": reason,
            "failed": stats.get("newscrawler/failed"),
            "failed_monitors": stats.get("newscrawler/failed_monitors", []),
            "validation_errors": int(stats.get("spidermon/validation/items/errors", 0)),
            "origin": getattr(spider, "origin", None),
            **summarise_stats(stats),
        }
        try:
            store_for(self.crawler).runs.replace_one({"_id": record["_id"]}, record, upsert=True)
        except PyMongoError as exc:
            log.error("could not write the run record %s: %s", record["_id"], exc)

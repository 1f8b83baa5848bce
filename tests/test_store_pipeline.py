"""MongoStorePipeline: batching and stats (a database that goes away: tests/test_item_failures.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from scrapy.utils.test import get_crawler

from newscrawler.article import Article
from pipelines.normalise import NormalisePipeline
from pipelines.store import MongoStorePipeline


def article(n: int) -> Article:
    item = Article(url=f"https://www.basnews.com/ar/babat/{900000 + n}", outlet="basnews",
                   title=f"خبر رقم {n}", text=f"نص الخبر رقم {n} " * 20, fetched_at=datetime.now(UTC))
    return NormalisePipeline().process_item(item)


def crawler_for(uri: str, db: str, tmp_path: Path, **extra: object):
    settings = {"MONGO_URI": uri, "MONGO_DATABASE": db, "STORE_BATCH_SIZE": 3, "STORE_WRITE_RETRIES": 1,
                "QUARANTINE_DIR": str(tmp_path / "q"), "MONGO_SERVER_SELECTION_TIMEOUT_MS": 300, **extra}
    return get_crawler(settings_dict=settings)


def test_batches_and_counts(mongo_uri: str, db_name: str, tmp_path: Path, store) -> None:
    crawler = crawler_for(mongo_uri, db_name, tmp_path)
    pipeline = MongoStorePipeline.from_crawler(crawler)
    pipeline.open_spider()
    for n in range(7):
        pipeline.process_item(article(n))
    assert store.articles.count_documents({}) == 6, "two full batches of 3 written, one item buffered"
    pipeline.close_spider()
    assert store.articles.count_documents({}) == 7, "the rest is flushed on close"
    assert crawler.stats.get_value("articles/new") == 7
    assert crawler.stats.get_value("store/batches") == 3

"""MongoStorePipeline: batching, stats, and a database that goes away mid-crawl."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from scrapy.utils.test import get_crawler

from newscrawler.article import Article
from newscrawler.store.embedded import EmbeddedServer
from pipelines.normalise import NormalisePipeline
from pipelines.store import MongoStorePipeline
from tests.conftest import free_port


def article(n: int) -> Article:
    item = Article(url=f"https://www.basnews.com/ar/babat/{900000 + n}", outlet="basnews",
                   title=f"خبر رقم {n}", text=f"نص الخبر رقم {n} " * 20, fetched_at=datetime.now(UTC))
    return NormalisePipeline().process_item(item)


def crawler_for(uri: str, db: str, tmp_path: Path, **extra: object):
    settings = {"MONGO_URI": uri, "MONGO_DATABASE": db, "STORE_BATCH_SIZE": 3, "STORE_WRITE_RETRIES": 1,
                "STORE_SPILL_DIR": str(tmp_path / "spill"), "MONGO_SERVER_SELECTION_TIMEOUT_MS": 300, **extra}
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


def test_database_gone_mid_crawl_spills_and_fails_loudly(tmp_path: Path) -> None:
    server = EmbeddedServer(tmp_path / "db", free_port())
    uri = server.start()
    crawler = crawler_for(uri, "gone", tmp_path)
    pipeline = MongoStorePipeline.from_crawler(crawler)
    pipeline.open_spider()
    pipeline.process_item(article(1))
    server.stop()  # the database goes away with an item in the buffer
    pipeline.process_item(article(2))
    pipeline.close_spider()

    spilled = [json.loads(line) for f in (tmp_path / "spill").glob("*.jsonl") for line in f.read_text().splitlines()]
    assert sorted(d["title"] for d in spilled) == ["خبر رقم 1", "خبر رقم 2"], "nothing lost"
    assert crawler.stats.get_value("errors/database") == 2
    assert crawler.stats.get_value("newscrawler/failed") == "database_error"

"""Spidermon monitors and item validation: a failed monitor shows in the run record and the exit status."""

from __future__ import annotations

from datetime import UTC, datetime

from scrapy.utils.test import get_crawler

from newscrawler.article import Article
from newscrawler.normalise.article import normalise_article
from newscrawler.scrapy_ext.monitoring import ArticleValidationPipeline
from newscrawler.store import ArticleStore
from settings import SPIDERMON_VALIDATION_SCHEMAS


def test_failed_monitor_fails_the_run(replica, run_crawl, store: ArticleStore) -> None:
    server = replica("almada")
    run = run_crawl("almada", server.origin, "-a", "crawl_id=strict", "-s", "SPIDERMON_MIN_ARTICLES=1000")
    assert run.returncode == 1, run.output[-2000:]
    record = store.runs.find_one({"_id": "strict"})
    assert record["failed"].startswith("monitors:")
    assert any("Articles found" in name for name in record["failed_monitors"])
    assert record["articles"]["new"] > 0, "the articles are still stored"


def test_passing_run_records_no_failed_monitor(replica, run_crawl, store: ArticleStore) -> None:
    run = run_crawl("zagros", replica("zagros").origin, "-a", "crawl_id=ok")
    assert run.returncode == 0
    record = store.runs.find_one({"_id": "ok"})
    assert record["failed"] is None and record["failed_monitors"] == [] and record["validation_errors"] == 0


def test_schema_rejects_insane_dates_and_empty_fields() -> None:
    crawler = get_crawler(settings_dict={"SPIDERMON_ENABLED": True,
                                         "SPIDERMON_VALIDATION_SCHEMAS": SPIDERMON_VALIDATION_SCHEMAS})
    pipeline = ArticleValidationPipeline.from_crawler(crawler)
    good = normalise_article(Article(url="https://zagrosnews.net/ar/news/1", outlet="zagros", title="عنوان الخبر",
                                     text="نص " * 60, published_at=datetime(2024, 5, 1, tzinfo=UTC),
                                     fetched_at=datetime.now(UTC)))
    bad = normalise_article(Article(url="https://zagrosnews.net/ar/news/2", outlet="zagros", title="",
                                    text="نص " * 60, published_at=datetime(1850, 1, 1, tzinfo=UTC),
                                    fetched_at=datetime.now(UTC)))
    assert pipeline.process_item(good) is good
    pipeline.process_item(bad)
    stats = crawler.stats.get_stats()
    assert stats.get("spidermon/validation/items/errors") == 1
    assert stats.get("spidermon/validation/fields/errors/invalid_string/title") or any(
        "title" in k for k in stats if k.startswith("spidermon/validation/fields/errors"))
    assert any("published_at" in k for k in stats if k.startswith("spidermon/validation/fields/errors"))

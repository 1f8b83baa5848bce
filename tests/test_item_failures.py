"""A failure on one item is counted, recorded and recoverable: never a silent loss.

Extraction bugs a page triggers, a database that goes away during dedup or store, and bad ingest
lines: each item is counted under errors/<stage>/<kind>, kept in the quarantine with its raw page
or every field, and `replay` brings it into the database once the cause is gone.
"""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from newscrawler.article import Article
from newscrawler.ingest import ingest, replay
from newscrawler.scrapy_ext.failures import record_failure
from newscrawler.status import flags
from newscrawler.store import ArticleStore, connect
from newscrawler.store.embedded import EmbeddedServer
from newscrawler.store.writer import ArticleWriter
from pipelines.normalise import NormalisePipeline
from tests.conftest import PROJECT_DIR, free_port

PAGE = next((PROJECT_DIR / "tests" / "fixtures" / "extraction").glob("a01_*")) / "page.html"
URL = "https://www.basnews.com/ar/babat/713492"


def article(n: int) -> Article:
    item = Article(url=f"https://www.basnews.com/ar/babat/{900000 + n}", outlet="basnews", title=f"خبر رقم {n}",
                   text=f"نص الخبر رقم {n} " * 20, authors=[f"كاتب {n}"], tags=["بغداد"],
                   published_at=datetime(2024, 5, n, 9, 30, tzinfo=UTC), fetched_at=datetime.now(UTC))
    return NormalisePipeline().process_item(item)


def quarantined(folder: Path) -> list[dict]:
    return [json.loads(line) for f in sorted(folder.glob("*.jsonl")) for line in f.read_text("utf-8").splitlines()]


def test_a_page_that_breaks_extraction_is_kept_with_its_raw_bytes(tmp_path: Path, monkeypatch) -> None:
    import newscrawler.prepare
    from spiders.outlets import BasnewsSpider

    # In-process extraction (EXTRACT_WORKERS=0) so the test can break it; the worker path is the
    # same call (tests/test_hostile_servers.py runs the pool with its time budget).
    crawler = get_crawler(BasnewsSpider, {"QUARANTINE_DIR": str(tmp_path / "q"), "EXTRACT_WORKERS": 0})
    spider = BasnewsSpider.from_crawler(crawler, crawl_id="basnews-test")
    crawler.spider = spider

    def broken(*args: object, **kwargs: object) -> Article:
        raise TypeError("'dict' object has no attribute 'strip'")  # what a JSON-LD object did to us

    monkeypatch.setattr(newscrawler.prepare, "extract_article", broken)
    body = PAGE.read_bytes()
    response = HtmlResponse(URL, body=body, headers={"Content-Type": "text/html; charset=utf-8"},
                            request=Request(URL, meta={"page_kind": "article"}))

    async def items() -> list:
        return [item async for item in spider.parse_article(response)]

    assert asyncio.run(items()) == []
    assert crawler.stats.get_value("errors/extract/TypeError") == 1
    assert crawler.stats.get_value("items/failed") == 1
    [line] = quarantined(tmp_path / "q")
    assert line["url"] == URL and line["failure"]["stage"] == "extract"
    assert base64.b64decode(line["html_base64"]) == body, "the exact bytes are kept"
    assert flags({"finish_reason": "finished", "items_failed": 1, "articles": {"new": 5}}, []) == ["ITEM-FAILURES"]


def test_replay_re_extracts_a_quarantined_page(tmp_path: Path, store: ArticleStore) -> None:
    folder = tmp_path / "q"
    folder.mkdir()
    line = {"url": URL, "outlet": "basnews", "fetched_at": "2026-11-21T12:00:00+00:00", "content_type": "text/html",
            "html_base64": base64.b64encode(PAGE.read_bytes()).decode(), "failure": {"stage": "extract"}}
    (folder / "basnews-test.jsonl").write_text(json.dumps(line) + "\n", "utf-8")
    report = replay(folder, store)
    assert report["new"] == 1 and report["files"] == 1
    doc = store.articles.find_one()
    assert doc["outlet"] == "basnews" and doc["title"] and len(doc["text"]) > 200
    assert not list(folder.glob("*.jsonl")) and (folder / "replayed" / "basnews-test.jsonl").exists()
    assert replay(folder, store)["files"] == 0, "a replayed file is not replayed twice"


def test_database_gone_in_dedup_and_store_loses_nothing(tmp_path: Path) -> None:
    """The write path reports every article of a refused batch at the stage that failed; the crawl's
    glue (record_failure, as pipelines/store.py calls it) keeps each with every field; replay
    stores them all once the database answers."""
    server = EmbeddedServer(tmp_path / "db", free_port())
    uri = server.start()
    client = connect(uri, serverSelectionTimeoutMS=300)
    crawler = get_crawler(settings_dict={"QUARANTINE_DIR": str(tmp_path / "q")})
    with_dedup = ArticleWriter(ArticleStore(client["gone"]), retries=1)
    store_only = ArticleWriter(ArticleStore(client["gone"]), dedup=False, retries=0)
    assert with_dedup.write([article(1)]).stored.new == [article(1).id]
    server.stop()  # the database goes away
    refused = [with_dedup.write([article(2), article(3)]), store_only.write([article(4)])]
    assert [(f.stage, f.article.title) for r in refused for f in r.failed] == [
        ("dedup", "خبر رقم 2"), ("dedup", "خبر رقم 3"), ("store", "خبر رقم 4")], "every article is reported"
    assert all(r.database_error is not None and not r.stored.new for r in refused)
    for failure in (f for r in refused for f in r.failed):
        record_failure(crawler, failure.stage, failure.error, failure.article.url, failure.article.outlet,
                       article=failure.article, fetched_at=failure.article.fetched_at)
    assert crawler.stats.get_value("items/failed") == 3

    server.start()  # it answers again: replay stores them with every field
    store = ArticleStore(connect(uri)["gone"])
    assert replay(tmp_path / "q", store)["new"] == 3
    docs = {d["title"]: d for d in store.articles.find()}
    assert set(docs) == {f"خبر رقم {n}" for n in (1, 2, 3, 4)}
    assert docs["خبر رقم 2"]["authors"] == ["كاتب 2"] and docs["خبر رقم 2"]["tags"] == ["بغداد"]
    assert docs["خبر رقم 2"]["published_at"].astimezone(UTC) == datetime(2024, 5, 2, 9, 30, tzinfo=UTC)
    assert replay(tmp_path / "q", store)["files"] == 0
    client.close()
    server.stop()


def test_bad_ingest_lines_are_rejected_one_by_one(tmp_path: Path, store: ArticleStore) -> None:
    good = [{"url": f"https://news.example/a/{n}", "title": f"عنوان {n}", "text": f"نص الخبر {n} " * 20,
             "outlet": "example"} for n in range(3)]
    lines = [json.dumps(good[0]).encode(),
             json.dumps({**good[1], "title": 42, "url": "https://news.example/a/x"}).encode(),
             json.dumps({"url": "https://news.example/a/y", "html": {"not": "html"}}).encode(),
             b'{"url": "https://news.example/a/z", "title": "\\ud800", "text": "' + b"x" * 200 + b'"}',
             b'{"url": "https://news.example/a/w", "title": "\xff\xfe", "text": "t"}',
             b"[" * 100_000 + b"]" * 100_000,
             json.dumps(good[1]).encode(), json.dumps(good[2]).encode()]
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    report = ingest(path, store)
    assert report["new"] == 3, report
    assert sum(report["rejected"].values()) == 5, report
    assert {d["title"] for d in store.articles.find()} == {"عنوان 0", "عنوان 1", "عنوان 2"}


def test_a_page_of_endless_paragraphs_is_refused_quickly_not_extracted_for_minutes() -> None:
    from newscrawler.extract import ExtractionError, extract_article

    paragraphs = "".join(f"<p>فقرة قصيرة رقم {i} في النص</p>" for i in range(60_000))
    html = f"<html><body><h1>عنوان</h1><div class='content'>{paragraphs}</div></body></html>".encode()
    with pytest.raises(ExtractionError, match="too large"):
        extract_article(html, "https://news.example/a/1")

"""Duplicates across URLs, outlets and runs (see newscrawler/dedup/detector.py for the decision).

DEDUP_MODE "link" (default) stores a copy with `duplicate_of` set to the earliest copy; "drop"
counts and drops it. Duplicates are counted per outlet.
"""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from newscrawler.dedup.detector import Deduplicator
from newscrawler.scrapy_ext.connection import store_for
from pipelines.items import as_article, guarded


class DuplicatePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.mode = crawler.settings.get("DEDUP_MODE", "link")
        if self.mode not in ("link", "drop"):
            raise ValueError(f"DEDUP_MODE must be 'link' or 'drop', not {self.mode!r}")
        self.detector: Deduplicator | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DuplicatePipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        self.detector = Deduplicator(store_for(self.crawler))

    @guarded("dedup")
    def process_item(self, item: Any) -> Any:
        assert self.detector is not None
        article = as_article(item)
        decision = self.detector.check(article)
        if decision.duplicate_of:
            article.duplicate_of = decision.duplicate_of
            if decision.reason != "known":
                self.stats.inc_value("articles/duplicate")
                self.stats.inc_value(f"articles/duplicate/{article.outlet}")
                self.stats.inc_value(f"dedup/{decision.reason}")
            if self.mode == "drop":
                raise DropItem(f"duplicate of {decision.duplicate_of}: {article.url}")
        return article

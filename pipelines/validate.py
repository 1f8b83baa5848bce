"""Reject items that are not articles (no title, no body); every rejection is counted and logged."""

from __future__ import annotations

import logging
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from newscrawler.normalise.article import rejection_reason
from pipelines.items import as_article, guarded

log = logging.getLogger(__name__)


class ValidatePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidatePipeline:
        return cls(crawler)

    @guarded("validate")
    def process_item(self, item: Any) -> Any:
        article = as_article(item)
        reason = rejection_reason(article)
        if reason:
            self.stats.inc_value(f"articles/rejected/{reason}")
            raise DropItem(f"rejected {article.url}: {reason}")
        return article

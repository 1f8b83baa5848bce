"""Reject items that are not articles (no title, no body); every rejection is counted and logged."""

from __future__ import annotations

import logging
from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

log = logging.getLogger(__name__)

MIN_TEXT_CHARS = 80  # shorter bodies are captions, teasers or error pages


class ValidatePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidatePipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        reason = None
        if not adapter.get("title"):
            reason = "no_title"
        elif len(adapter.get("text") or "") < MIN_TEXT_CHARS:
            reason = "text_too_short"
        elif not adapter.get("canonical_url") or not adapter.get("id"):
            reason = "no_key"
        if reason:
            self.stats.inc_value(f"articles/rejected/{reason}")
            raise DropItem(f"rejected {adapter.get('url')}: {reason}")
        return item

"""Derive the keys every later stage relies on: canonical URL, `_id`, content hash, language."""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler

from newscrawler.normalise.article import is_normalised, normalise_article
from pipelines.items import as_article, guarded


class NormalisePipeline:
    def __init__(self, crawler: Crawler | None = None) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> NormalisePipeline:
        return cls(crawler)

    @guarded("normalise")
    def process_item(self, item: Any) -> Any:
        article = as_article(item)
        return article if is_normalised(article) else normalise_article(article)

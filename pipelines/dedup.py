"""Duplicates: a syndicated copy is linked to its credited original when that is stored, and an
article whose normalised text is already stored under another `_id` to the earliest copy
(`duplicate_of`). Copies are still stored (aggregators syndicate; readers want the link)."""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler

from newscrawler.scrapy_ext.connection import store_for
from newscrawler.store import ArticleStore


class ExactDuplicatePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self._store: ArticleStore | None = None
        self._seen: dict[str, str] = {}  # content_hash -> first _id this run (not yet flushed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExactDuplicatePipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        self._store = store_for(self.crawler)

    def process_item(self, item: Any) -> Any:
        assert self._store is not None
        adapter = ItemAdapter(item)
        digest, own_id = adapter["content_hash"], adapter["id"]
        credited = adapter.get("source_article_id")
        if credited and credited != own_id and self._store.exists(credited):
            original: str | None = credited
        else:
            original = self._store.earliest_with_hash(digest, own_id)
        if not credited:
            linked = self._store.link_waiting_copies(own_id)
            if linked:
                self.stats.inc_value("articles/copies_linked", linked)
        if original is None:
            first = self._seen.setdefault(digest, own_id)
            original = first if first != own_id else None
        if original:
            adapter["duplicate_of"] = original
            self.stats.inc_value("articles/duplicate")
            self.stats.inc_value(f"articles/duplicate/{adapter.get('outlet')}")
        return item

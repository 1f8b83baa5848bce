"""Pipelines accept any item type (dict, dataclass, Item) and work on an Article."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import fields
from typing import Any

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem

from newscrawler.article import Article
from newscrawler.scrapy_ext.failures import record_failure

_FIELDS = {f.name for f in fields(Article)}


def as_article(item: Any) -> Article:
    if isinstance(item, Article):
        return item
    data = ItemAdapter(item).asdict()
    return Article(**{k: v for k, v in data.items() if k in _FIELDS})


def guarded(stage: str) -> Callable[[Callable[[Any, Any], Any]], Callable[[Any, Any], Any]]:
    """For a pipeline's process_item: a failure on one item is counted, logged with the URL and
    kept in the quarantine (newscrawler/scrapy_ext/failures.py), then the item is dropped; the
    crawl goes on. DropItem (a decision, not a failure) passes through."""

    def wrap(method: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
        @functools.wraps(method)
        def process_item(self: Any, item: Any) -> Any:
            try:
                return method(self, item)
            except DropItem:
                raise
            except Exception as exc:  # noqa: BLE001 (one item's failure must not be lost or stop the crawl)
                article = item if isinstance(item, Article) else None
                url = article.url if article else str(ItemAdapter(item).get("url", "?"))
                record_failure(self.crawler, stage, exc, url, article.outlet if article else None, article=article)
                raise DropItem(f"{stage} failed for {url}: {type(exc).__name__}: {exc}") from exc

        return process_item

    return wrap

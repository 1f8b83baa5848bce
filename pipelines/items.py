"""Pipelines accept any item type (dict, dataclass, Item) and work on an Article."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from itemadapter import ItemAdapter

from newscrawler.article import Article

_FIELDS = {f.name for f in fields(Article)}


def as_article(item: Any) -> Article:
    if isinstance(item, Article):
        return item
    data = ItemAdapter(item).asdict()
    return Article(**{k: v for k, v in data.items() if k in _FIELDS})

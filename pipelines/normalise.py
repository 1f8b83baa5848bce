"""Derive the keys every later stage relies on: canonical URL, `_id`, content hash, language."""

from __future__ import annotations

from typing import Any

from newscrawler.normalise.article import normalise_article
from pipelines.items import as_article


class NormalisePipeline:
    def process_item(self, item: Any) -> Any:
        return normalise_article(as_article(item))

"""Derive the keys every later stage relies on: canonical URL, `_id`, content hash, language."""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter

from newscrawler.dedup.canonical import article_key, canonical_url
from newscrawler.dedup.fingerprint import content_hash
from newscrawler.normalise.language import detect_language
from newscrawler.normalise.text import clean_whitespace
from newscrawler.outlets import all_outlets, outlet_for_url


class NormalisePipeline:
    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        outlet = all_outlets().get(adapter.get("outlet") or "")
        adapter["title"] = clean_whitespace(adapter.get("title") or "").replace("\n", " ")
        adapter["text"] = clean_whitespace(adapter.get("text") or "")
        adapter["canonical_url"] = canonical_url(adapter["url"], adapter.get("canonical_url"))
        adapter["id"] = article_key(adapter["canonical_url"], outlet)
        adapter["content_hash"] = content_hash(adapter["text"])
        source_url = adapter.get("source_url")
        if source_url:  # a syndicated copy: the key its original has (or will have) in our store
            source_canonical = canonical_url(source_url, None)
            adapter["source_article_id"] = article_key(source_canonical, outlet_for_url(source_canonical))
        if not adapter.get("language"):
            adapter["language"] = detect_language(adapter["text"])
        return item

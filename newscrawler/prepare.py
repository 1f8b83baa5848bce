"""What an extraction worker process runs for one page: extract, then the other CPU work an article
costs (normalise, the duplicate sketch). Imports neither Scrapy nor Twisted: the workers stay small."""

from __future__ import annotations

from datetime import datetime

import datasketch  # noqa: F401  (sketch.py imports it lazily; the workers' forkserver preloads it here, once)

from newscrawler.article import Article
from newscrawler.dedup.sketch import attach, sketch
from newscrawler.extract import extract_article
from newscrawler.normalise.article import mark_normalised, normalise_article


def extract_normalised(body: bytes, url: str, outlet: str, *, content_type: str | None,
                       fetched_at: datetime) -> Article:
    """extract_article(); a failure after extraction is left to the pipelines, which own it."""
    article = extract_article(body, url, outlet, content_type=content_type, fetched_at=fetched_at)
    try:
        normalise_article(article)
        attach(article, sketch(article.text), article.content_hash)
        mark_normalised(article)
    except Exception:  # noqa: BLE001 (the normalise pipeline runs it again and records the failure)
        pass
    return article

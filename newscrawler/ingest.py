"""`newscrawler ingest FILE.jsonl`: articles from elsewhere through the crawl's own path
(extract if HTML is given -> normalise -> validate -> dedup -> store).

One JSON object per line: url, title, text, published_at (ISO 8601), outlet (any name), and
optionally html (extracted with the same function as the crawl; given fields win).
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newscrawler.article import Article, to_document
from newscrawler.dedup.detector import Deduplicator
from newscrawler.extract import ExtractionError, extract_article
from newscrawler.normalise.article import normalise_article, rejection_reason
from newscrawler.normalise.dates import parse_machine_date
from newscrawler.outlets import all_outlets
from newscrawler.store import ArticleStore

BATCH = 100


class Rejected(ValueError):
    """A line that cannot become an article; the message is the reason."""


def article_from_line(line: str, now: datetime) -> Article:
    try:
        data: dict[str, Any] = json.loads(line)
    except json.JSONDecodeError:
        raise Rejected("invalid_json") from None
    if not isinstance(data, dict):
        raise Rejected("invalid_json")
    url = data.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise Rejected("no_url")
    outlet = data.get("outlet") if isinstance(data.get("outlet"), str) else None
    article = Article(url=url, outlet=outlet, fetched_at=now)
    if data.get("html"):
        try:
            extracted = extract_article(data["html"], url, outlet if outlet in all_outlets() else None,
                                        fetched_at=now)
        except ExtractionError:
            raise Rejected("html_not_extractable") from None
        article = extracted
        article.outlet = outlet or extracted.outlet
    article.title = data.get("title") or article.title
    article.text = data.get("text") or article.text
    if data.get("published_at"):
        published = parse_machine_date(str(data["published_at"]), "UTC")
        if published is None:
            raise Rejected("bad_published_at")
        article.published_at = published
    return article


def ingest(path: Path, store: ArticleStore, drop_duplicates: bool = False) -> dict[str, Any]:
    """Ingest a JSON-lines file; returns counts (new, updated, unchanged, duplicate, rejected by reason)."""
    store.ensure_indexes()
    detector = Deduplicator(store)
    counts: Counter[str] = Counter()
    rejected: Counter[str] = Counter()
    batch: list[dict[str, Any]] = []
    now = datetime.now(UTC)
    crawl_id = f"ingest-{now:%Y%m%dT%H%M%S}"

    def flush() -> None:
        if batch:
            result = store.write_batch(batch, now=datetime.now(UTC))
            counts.update(new=len(result.new), updated=len(result.updated), unchanged=len(result.unchanged))
            batch.clear()

    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if not line.strip():
                continue
            try:
                article = normalise_article(article_from_line(line, now))
            except Rejected as exc:
                rejected[str(exc)] += 1
                continue
            reason = rejection_reason(article)
            if reason:
                rejected[reason] += 1
                continue
            decision = detector.check(article)
            if decision.duplicate_of:
                article.duplicate_of = decision.duplicate_of
                if decision.reason != "known":
                    counts["duplicate"] += 1
                if drop_duplicates:
                    continue
            article.crawl_id = crawl_id
            if any(d["_id"] == article.id for d in batch):
                flush()  # the same article again: store the earlier text first, so it becomes a version
            batch.append(to_document(article))
            if len(batch) >= BATCH:
                flush()
    flush()
    return {**{k: counts.get(k, 0) for k in ("new", "updated", "unchanged", "duplicate")},
            "rejected": dict(rejected), "crawl_id": crawl_id}

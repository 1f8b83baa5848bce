"""The article record: the contract with downstream readers of the database (see README)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any


@dataclass
class Article:
    """One article as it flows through the pipelines and lands in the `articles` collection.

    Extraction fills the page-derived fields; the normalise pipeline derives `canonical_url`,
    `_id` (`id` here), `content_hash` and `language`; the store pipeline owns `version`,
    `first_seen_at`, `last_seen_at`, `modified_at` on updates.
    """

    url: str  # final URL after redirects
    outlet: str | None
    title: str = ""
    text: str = ""  # body paragraphs joined by "\n"
    canonical_url: str = ""
    id: str = ""  # stored as _id: stable key derived from canonical_url
    published_at: datetime | None = None  # UTC (naive datetimes are never produced)
    modified_at: datetime | None = None
    authors: list[str] = field(default_factory=list)
    language: str | None = None
    section: str | None = None
    tags: list[str] = field(default_factory=list)
    image_url: str | None = None
    source_name: str | None = None  # credited original outlet of a syndicated copy
    source_url: str | None = None  # the original's URL when the copy links to it
    source_article_id: str | None = None  # the `_id` that original has (or will have) here
    content_hash: str = ""
    duplicate_of: str | None = None
    fetched_at: datetime | None = None
    http_etag: str | None = None  # validators of the last fetch: conditional requests next time
    http_last_modified: str | None = None
    crawl_id: str | None = None
    warnings: list[str] = field(default_factory=list)  # extraction warnings, not stored per article


_NOT_STORED = ("id", "warnings")  # extraction-time fields; `id` is stored as `_id`
_STORED = tuple(f.name for f in fields(Article) if f.name not in _NOT_STORED)


def to_document(article: Article) -> dict[str, Any]:
    """The article as stored in the `articles` collection: a shallow view, encoded to BSON as it is
    written (asdict's deep copy was most of a batch's client-side cost)."""
    doc = {name: getattr(article, name) for name in _STORED}
    doc["_id"] = article.id
    return doc

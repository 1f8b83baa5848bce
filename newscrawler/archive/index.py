"""The archive's index in MongoDB.

`raw_pages`: one document per archived record (`_id` = its WARC-Record-ID, so indexing a record
twice, e.g. importing a file again, is a no-op): url, outlet, crawl_id, fetched_at, status,
content_type, etag, last_modified, warc (relative to WARC_DIR, absolute for imported files),
offset, length, digest (payload), type (response | revisit), source (crawl | import), and
`payload`: where the body is (the record itself, or for a revisit the earlier response).

`raw_latest`: one document per URL (`_id` = SHA-1 of the URL), a copy of its newest raw_pages
document plus `record_id`. Two lookups need "the URL's latest record" and on the embedded server
only `_id` lookups are cheap (other filters scan the collection): the crawl's revisit check (one
`$in` per batch of captures) and `newscrawler reextract` (one document per URL to re-extract).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel, ReplaceOne
from pymongo.database import Database
from pymongo.errors import BulkWriteError

from newscrawler.archive.records import url_key
from newscrawler.archive.warcfile import Location, Previous

RAW_PAGES = "raw_pages"
RAW_LATEST = "raw_latest"
DUPLICATE_KEY = 11000


def page_doc(*, record_id: str, type: str, url: str, outlet: str | None, crawl_id: str, fetched_at: datetime,
             status: int, content_type: str | None, etag: str | None, last_modified: str | None,
             location: Location, digest: str, source: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
    """A raw_pages document. `payload`: for a revisit, the earlier response's record_id, url,
    fetched_at, warc, offset, length; a response is its own payload."""
    where = {"warc": location.warc, "offset": location.offset, "length": location.length}
    return {"_id": record_id, "type": type, "url": url, "outlet": outlet, "crawl_id": crawl_id,
            "fetched_at": fetched_at, "status": status, "content_type": content_type, "etag": etag,
            "last_modified": last_modified, **where, "digest": digest, "source": source,
            "payload": payload or {"record_id": record_id, "url": url, "fetched_at": fetched_at, **where}}


class RawPageIndex:
    def __init__(self, db: Database[dict[str, Any]]) -> None:
        self.pages = db[RAW_PAGES]
        self.latest = db[RAW_LATEST]

    def ensure_indexes(self) -> None:
        """Idempotent (create_indexes with the same specs is a no-op)."""
        self.pages.create_indexes([
            IndexModel([("url", ASCENDING)], name="url"),
            IndexModel([("outlet", ASCENDING), ("fetched_at", DESCENDING)], name="outlet_fetched"),
            IndexModel([("crawl_id", ASCENDING)], name="crawl_id"),
        ])
        self.latest.create_indexes([
            IndexModel([("outlet", ASCENDING), ("fetched_at", DESCENDING)], name="outlet_fetched"),
        ])

    def latest_of(self, urls: list[str]) -> dict[str, dict[str, Any]]:
        """Each URL's raw_latest document (url, fetched_at, digest, payload), one `$in` on `_id`."""
        keys = sorted({url_key(u) for u in urls})
        if not keys:  # never an empty $in (the embedded server scans the collection for it)
            return {}
        return {doc["url"]: doc for doc in self._latest_docs(keys)}

    def _latest_docs(self, keys: list[str]) -> list[dict[str, Any]]:
        return list(self.latest.find({"_id": {"$in": keys}}, {"url": 1, "fetched_at": 1, "digest": 1, "payload": 1}))

    def add(self, docs: list[dict[str, Any]], known: dict[str, dict[str, Any]] | None = None) -> int:
        """Index records (raw_pages docs); returns how many were new. raw_latest moves to a record
        only if it was fetched later than the URL's current latest (an older file imported after a
        crawl leaves the crawl's record the latest). `known`: raw_latest documents already read
        for some of these URLs (by `latest_of`), not read again."""
        if not docs:
            return 0
        inserted = _insert_new(self.pages, docs)
        newest: dict[str, dict[str, Any]] = {}
        for doc in docs:
            key = url_key(doc["url"])
            if key not in newest or doc["fetched_at"] > newest[key]["fetched_at"]:
                newest[key] = doc
        current = {url_key(url): d["fetched_at"] for url, d in (known or {}).items()}
        missing = sorted(set(newest) - set(current))
        if missing:
            current.update({d["_id"]: d["fetched_at"] for d in self._latest_docs(missing)})
        ops = [ReplaceOne({"_id": key}, {**doc, "_id": key, "record_id": doc["_id"]}, upsert=True)
               for key, doc in newest.items() if key not in current or doc["fetched_at"] > current[key]]
        if ops:  # replace, not $set: the embedded server keeps datetimes of a replacement
            self.latest.bulk_write(ops, ordered=False)
        return inserted

    def latest_pages(self, outlet: str | None = None, since: datetime | None = None,
                     until: datetime | None = None) -> Iterator[dict[str, Any]]:
        """The latest record of each URL, filtered on outlet and fetch time (since <= t < until)."""
        query: dict[str, Any] = {}
        if outlet:
            query["outlet"] = outlet
        span: dict[str, Any] = {}
        if since:
            span["$gte"] = since
        if until:
            span["$lt"] = until
        if span:
            query["fetched_at"] = span
        return iter(self.latest.find(query))


def previous_payloads(latest: dict[str, dict[str, Any]]) -> dict[str, Previous]:
    """From raw_latest documents (RawPageIndex.latest_of): each URL's last archived payload, which an
    identical payload refers to in a revisit record."""
    found: dict[str, Previous] = {}
    for url, doc in latest.items():
        payload = doc.get("payload") or {}
        if payload.get("record_id") and doc.get("digest"):
            found[url] = Previous(payload["record_id"], payload["url"], payload["fetched_at"], doc["digest"], payload)
    return found


def _insert_new(collection: Any, docs: list[dict[str, Any]]) -> int:
    """insert_many, unordered; documents already there (same `_id`) are not an error."""
    try:
        return len(collection.insert_many(docs, ordered=False).inserted_ids)
    except BulkWriteError as exc:
        errors = exc.details.get("writeErrors", [])
        if any(e.get("code") != DUPLICATE_KEY for e in errors):
            raise
        return int(exc.details.get("nInserted", 0))

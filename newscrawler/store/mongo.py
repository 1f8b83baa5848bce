"""Article storage in MongoDB with plain pymongo, inside real MongoDB semantics.

Every write is keyed on `_id` (derived from the canonical URL): idempotent, and fast on both
MongoDB and the embedded server (which scans the collection for non-`_id` update filters).
"""

from __future__ import annotations

import calendar
import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel, InsertOne, MongoClient, UpdateOne
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import BulkWriteError

log = logging.getLogger(__name__)

ARTICLES = "articles"
VERSIONS = "article_versions"
RUNS = "crawl_runs"
VALIDATORS = "http_validators"  # _id: a feed/sitemap/listing URL; etag, last_modified of its last 200
ALIASES = "url_aliases"  # _id: the key of a URL form that leads to another article key; target
GONE = "gone_articles"  # _id: an article key that answered 404/410; status, at
AWAITING = "awaiting_original"  # _id: an original's key not stored yet; copies: the copies crediting it

# Fields owned by the store: never overwritten from a fresh extraction.
_STORE_OWNED = ("_id", "version", "first_seen_at", "last_seen_at", "changed_at", "record_hash")
# What changes on every visit of an unchanged article; never a reason for a new version.
_VISIT_FIELDS = ("url", "fetched_at", "crawl_id", "http_etag", "http_last_modified")
# The article as a reader sees it: a change in any of these is a new version (`version` + 1, the
# previous record in `article_versions`, `changed_at` moved), whether the text changed or only the
# metadata (an improved extractor fixing a date or a title). Not in it: where and when we fetched it
# (_VISIT_FIELDS, last_seen_at); `url`/`canonical_url` (an address, not content: the same article
# reached through two URL forms would flap); `outlet` (fixed by the `_id`); `modified_at` (the store
# sets it to the time it saw the text change when the page says nothing, and pages bump it without
# changing anything); `content_hash` (the text itself is hashed, so a corrected punctuation or
# paragraph break is a version too); `duplicate_of` (the dedup decision, not the page's: linking a
# copy moves `changed_at` without a version, see link_waiting_copies).
RECORD_FIELDS = ("title", "text", "published_at", "authors", "language", "section", "tags", "image_url",
                 "source_name", "source_url", "source_article_id")
_ARCHIVED = (*RECORD_FIELDS, "content_hash", "modified_at", "fetched_at", "url", "changed_at")


def _bson_date(value: Any) -> dict[str, int]:
    """A datetime as BSON stores it: UTC milliseconds, microseconds floored, naive taken as UTC, so a
    hash of the extracted value equals the hash of the value read back. Anything else that JSON has
    no form for (a set, bytes) cannot be stored in a record: TypeError."""
    if isinstance(value, datetime):
        utc = value - value.utcoffset() if value.utcoffset() is not None else value  # type: ignore[operator]
        return {"$date": calendar.timegm(utc.timetuple()) * 1000 + utc.microsecond // 1000}
    raise TypeError(f"cannot store {type(value).__name__} in an article record")


def record_hash(doc: dict[str, Any]) -> str:
    """Hash of RECORD_FIELDS (a missing field counts as null): equal hashes, equal article."""
    payload = json.dumps([doc.get(f) for f in RECORD_FIELDS], ensure_ascii=False, separators=(",", ":"),
                         default=_bson_date)
    return hashlib.blake2b(payload.encode(), digest_size=16).hexdigest()


def connect(uri: str, **options: Any) -> MongoClient[dict[str, Any]]:
    """A client that returns aware UTC datetimes; generous timeouts because the embedded server
    blocks while a large command runs."""
    defaults: dict[str, Any] = {
        "tz_aware": True,
        "serverSelectionTimeoutMS": 30_000,
        "connectTimeoutMS": 10_000,
        "socketTimeoutMS": 120_000,
        "appname": "newscrawler",
    }
    defaults.update(options)
    return MongoClient(uri, **defaults)


@dataclass
class BatchResult:
    new: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


class ArticleStore:
    def __init__(self, db: Database[dict[str, Any]]) -> None:
        self.db = db
        self.articles: Collection[dict[str, Any]] = db[ARTICLES]
        self.versions: Collection[dict[str, Any]] = db[VERSIONS]
        self.runs: Collection[dict[str, Any]] = db[RUNS]
        self.awaiting: Collection[dict[str, Any]] = db[AWAITING]
        self.validators: Collection[dict[str, Any]] = db[VALIDATORS]
        self.gone: Collection[dict[str, Any]] = db[GONE]
        self.aliases: Collection[dict[str, Any]] = db[ALIASES]

    @classmethod
    def open(cls, uri: str, database: str, **client_options: Any) -> ArticleStore:
        return cls(connect(uri, **client_options)[database])

    def ensure_indexes(self, now: datetime | None = None) -> None:
        """Idempotent: create_indexes with the same specs is a no-op on an existing index. Also stamps
        `changed_at` on articles stored before it existed (see stamp_changed_at)."""
        self.articles.create_indexes([
            IndexModel([("canonical_url", ASCENDING)], name="canonical_url_unique", unique=True),
            IndexModel([("content_hash", ASCENDING)], name="content_hash"),
            IndexModel([("outlet", ASCENDING), ("published_at", DESCENDING)], name="outlet_published"),
            IndexModel([("duplicate_of", ASCENDING)], name="duplicate_of"),
            IndexModel([("last_seen_at", DESCENDING)], name="last_seen"),
            # The export's order and cursor: (changed_at, _id), ties broken by _id.
            IndexModel([("changed_at", ASCENDING), ("_id", ASCENDING)], name="changed_at_id"),
        ])
        self.stamp_changed_at(now)
        self.versions.create_indexes([
            IndexModel([("article_id", ASCENDING), ("version", ASCENDING)], name="article_version"),
        ])
        self.runs.create_indexes([
            IndexModel([("outlet", ASCENDING), ("started_at", DESCENDING)], name="outlet_started"),
        ])

    def stamp_changed_at(self, now: datetime | None = None, batch: int = 1000) -> int:
        """Articles stored before `changed_at` existed get `now` (this migration's time), not a guess
        at their past: a consumer polling by cursor then sees them in its next poll, whatever position
        it had reached. One indexed query when there is nothing to stamp. Returns how many."""
        now = now or datetime.now(UTC)
        stamped = 0
        while ids := [d["_id"] for d in self.articles.find({"changed_at": None}, {"_id": 1}).limit(batch)]:
            # The filter keeps a `changed_at` that a writer set meanwhile.
            outcome = self.articles.bulk_write([UpdateOne({"_id": i, "changed_at": None}, {"$set": {"changed_at": now}})
                                                for i in ids], ordered=False)
            stamped += outcome.modified_count
            if not outcome.matched_count:  # all stamped meanwhile by writers; never loop on a server that ignores us
                break
        if stamped:
            log.info("stamped changed_at=%s on %d articles stored before it existed", now.isoformat(), stamped)
        return stamped

    def existing(self, ids: list[str], fields: tuple[str, ...] = (
            *_ARCHIVED, "version", "duplicate_of", "record_hash")) -> dict[str, dict[str, Any]]:
        """The stored documents with these `_id`s (only `fields`), by `_id`."""
        if not ids:
            return {}
        return {d["_id"]: d for d in self.articles.find({"_id": {"$in": ids}}, dict.fromkeys(fields, 1))}

    def resolve_aliases(self, ids: list[str]) -> dict[str, str]:
        """Keys of URL forms known to lead to another article (legacy links that redirect,
        canonicals that differ from the link): key -> the article's key."""
        return {d["_id"]: d["target"] for d in self.aliases.find({"_id": {"$in": ids}})} if ids else {}

    def add_alias(self, alias: str, target: str) -> None:
        self.aliases.update_one({"_id": alias}, {"$set": {"target": target}}, upsert=True)

    def gone_since(self, ids: list[str], since: datetime) -> set[str]:
        """Article keys that answered 404/410 after `since` (not worth requesting again yet)."""
        if not ids:
            return set()
        return {d["_id"] for d in self.gone.find({"_id": {"$in": ids}}) if d["at"] >= since}

    def mark_gone(self, article_id: str, status: int, url: str) -> None:
        self.gone.update_one({"_id": article_id},
                             {"$set": {"status": status, "url": url, "at": datetime.now(UTC)}}, upsert=True)

    def page_validators(self, urls: list[str]) -> dict[str, dict[str, Any]]:
        return {d["_id"]: d for d in self.validators.find({"_id": {"$in": urls}})} if urls else {}

    def save_page_validators(self, validators: dict[str, dict[str, str]]) -> None:
        if validators:
            self.validators.bulk_write([UpdateOne({"_id": url}, {"$set": v}, upsert=True)
                                        for url, v in validators.items()], ordered=False)

    def await_originals(self, pairs: list[tuple[str, str]]) -> None:
        """Remember copies whose credited original is not stored yet: (original id, copy id)."""
        if pairs:
            self.awaiting.bulk_write([UpdateOne({"_id": original}, {"$addToSet": {"copies": copy}}, upsert=True)
                                      for original, copy in pairs], ordered=False)

    def link_waiting_copies(self, original_id: str, now: datetime | None = None) -> int:
        """Copies stored before their original now point to it (all keyed on _id: fast anywhere).
        A copy not stored yet (still in some writer's buffer) stays waiting: its own write links it.
        Linking moves the copy's `changed_at` (its exported row changed) but is no new version: the
        page did not change, our decision about it did."""
        waiting = self.awaiting.find_one({"_id": original_id})
        if not waiting:
            return 0
        now = now or datetime.now(UTC)
        copies = [c for c in waiting.get("copies", []) if c != original_id]
        linked = [c for c in copies
                  if self.articles.update_one({"_id": c}, {"$set": {"duplicate_of": original_id,
                                                                    "changed_at": now}}).matched_count]
        rest = [c for c in copies if c not in linked]
        if rest:
            self.awaiting.update_one({"_id": original_id}, {"$set": {"copies": rest}})
        else:
            self.awaiting.delete_one({"_id": original_id})
        return len(linked)

    def _link_copies(self, docs: dict[str, dict[str, Any]], now: datetime) -> None:
        """After a batch is written: whichever of a syndicated copy and its original is written
        second links them (the dedup decision ran before either was stored, in this process or
        another), so a copy and its original in one batch, one ingest file or two concurrent
        crawls are always linked. One round trip each, only when the batch holds such articles."""
        copies = {i: d["source_article_id"] for i, d in docs.items()
                  if d.get("source_article_id") and d["source_article_id"] != i and not d.get("duplicate_of")}
        if copies:
            present = {d["_id"] for d in self.articles.find({"_id": {"$in": sorted(set(copies.values()))}}, {"_id": 1})}
            ops = [UpdateOne({"_id": c}, {"$set": {"duplicate_of": o, "changed_at": now}})
                   for c, o in copies.items() if o in present]
            if ops:
                self.articles.bulk_write(ops, ordered=False)
        for waiting in list(self.awaiting.find({"_id": {"$in": list(docs)}}, {"_id": 1})):
            self.link_waiting_copies(waiting["_id"], now)

    def write_batch(self, docs: list[dict[str, Any]], now: datetime | None = None) -> BatchResult:
        """Upsert a batch of extracted articles; returns which ids were new, updated, unchanged.

        New: inserted with version 1. Same record (RECORD_FIELDS, compared by `record_hash`): only
        visit fields and last_seen_at move. Changed text or metadata: the previous record goes to
        `article_versions`, `version` increments, `changed_at` becomes now, `first_seen_at` is kept;
        `modified_at` becomes the page's modified date, or now when the text changed and the page
        gives none. `changed_at` moves on insert and on every such change, never on a mere visit.

        One bulk upsert decides new and unchanged articles without reading them: filtered on `_id`
        and the record's hash, it matches an unchanged article (the visit fields move) and inserts a
        new one; for a changed article (or one stored before `record_hash` existed) the insert hits
        the `_id` (duplicate key, as on any MongoDB) and only those take the reading path, which
        archives the previous version. A batch of new articles or of unchanged revisits is one
        round trip (plus the waiting-copies check after inserts).
        """
        now = now or datetime.now(UTC)
        latest: dict[str, dict[str, Any]] = {}
        for doc in docs:  # the same article twice in one batch: the last fetch wins
            latest[doc["_id"]] = doc
        hashes = {i: record_hash(d) for i, d in latest.items()}
        result, differ = self._upsert_unread(latest, hashes, now)
        if differ:
            read = self._write_read({i: latest[i] for i in differ}, hashes, now)
            result.new += read.new
            result.updated += read.updated
            result.unchanged += read.unchanged
        if result.new or result.updated:  # an unchanged revisit was linked when it was first stored
            self._link_copies({i: latest[i] for i in (*result.new, *result.updated)}, now)
        return result

    def _upsert_unread(self, docs: dict[str, dict[str, Any]], hashes: dict[str, str],
                       now: datetime) -> tuple[BatchResult, list[str]]:
        """One unordered bulk of upserts keyed on (_id, record_hash); returns what it decided and the
        ids whose stored record differs (duplicate key on insert), in batch order."""
        keys = list(docs)
        ops = []
        for _id in keys:
            fields = {k: v for k, v in docs[_id].items() if k not in _STORE_OWNED}
            # The new document the reading path would insert, split: what a visit moves, the rest.
            on_insert = _new_document(_id, fields, hashes[_id], now)
            visit = {k: on_insert.pop(k) for k in (*_VISIT_FIELDS, "last_seen_at") if k in on_insert}
            key = {"_id": on_insert.pop("_id"), "record_hash": on_insert.pop("record_hash")}
            ops.append(UpdateOne(key, {"$set": visit, "$setOnInsert": on_insert}, upsert=True))
        try:
            outcome = self.articles.bulk_write(ops, ordered=False).bulk_api_result
        except BulkWriteError as exc:
            outcome = exc.details
            errors = outcome.get("writeErrors", [])
            if not errors or any(e.get("code") != DUPLICATE_KEY for e in errors):
                raise
        inserted = {u["index"] for u in outcome.get("upserted", [])}
        differ = {e["index"] for e in outcome.get("writeErrors", [])}
        result = BatchResult(new=[keys[i] for i in sorted(inserted)],
                             unchanged=[k for i, k in enumerate(keys) if i not in inserted and i not in differ])
        return result, [keys[i] for i in sorted(differ)]

    def _write_read(self, latest: dict[str, dict[str, Any]], hashes: dict[str, str], now: datetime) -> BatchResult:
        stored = self.existing(list(latest))
        result = BatchResult()
        article_ops: list[InsertOne[dict[str, Any]] | UpdateOne] = []
        op_keys: list[str] = []  # the article `_id` of each op
        version_ops: list[UpdateOne] = []
        for _id, doc in latest.items():
            op_keys.append(_id)  # one article op per article, in this order
            old = stored.get(_id)
            fields = {k: v for k, v in doc.items() if k not in _STORE_OWNED}
            if old is None:
                # An insert, not an upsert: cheaper on every server; if another worker inserted the
                # same article since our read, the duplicate-key error leaves its document alone.
                article_ops.append(InsertOne(_new_document(_id, fields, hashes[_id], now)))
                result.new.append(_id)
                continue
            # The stored record, hashed as stored: a document from before record_hash (or before a
            # change of RECORD_FIELDS) is compared on what it holds, so it gets no spurious version.
            old_hash = record_hash(old)
            if old_hash == hashes[_id]:
                visit = {k: fields[k] for k in _VISIT_FIELDS if k in fields}
                repair: dict[str, Any] = {}
                if old.get("record_hash") != old_hash:
                    repair["record_hash"] = old_hash  # the next unchanged revisit takes the cheap path
                if old.get("changed_at") is None:
                    repair["changed_at"] = now  # missed by stamp_changed_at (written by older code since)
                article_ops.append(UpdateOne({"_id": _id}, {"$set": {**visit, **repair, "last_seen_at": now}}))
                result.unchanged.append(_id)
                continue
            version = int(old.get("version") or 1)
            archived = {k: old.get(k) for k in _ARCHIVED}
            version_ops.append(UpdateOne(
                {"_id": f"{_id}:{version}"},
                {"$setOnInsert": {**archived, "record_hash": old_hash, "article_id": _id, "version": version,
                                  "archived_at": now}},
                upsert=True,
            ))
            fields.update({f: fields.get(f) for f in RECORD_FIELDS})  # stored exactly as hashed
            text_changed = old.get("content_hash") != doc.get("content_hash")
            # Our own "modified" time only when the text changed: a corrected date or title is a
            # better reading of the same page, not an edit of the article.
            fields["modified_at"] = fields.get("modified_at") or (now if text_changed else old.get("modified_at"))
            if old.get("duplicate_of") and not fields.get("duplicate_of"):
                fields.pop("duplicate_of", None)  # keep an earlier link unless re-decided
            article_ops.append(UpdateOne(
                {"_id": _id}, {"$set": {**fields, "record_hash": hashes[_id], "changed_at": now, "last_seen_at": now},
                               "$inc": {"version": 1}}
            ))
            result.updated.append(_id)
        if version_ops:  # history first: a crash between the two never loses the old record
            self.versions.bulk_write(version_ops, ordered=False)
        if article_ops:
            raced = _insert_or_update(self.articles, article_ops, op_keys)
            if raced:  # another worker inserted the same article between our read and write
                result.new = [i for i in result.new if i not in raced]
                result.unchanged.extend(sorted(raced))
        return result

    def history(self, article_id: str) -> list[dict[str, Any]]:
        """Earlier versions of an article, oldest first."""
        return list(self.versions.find({"article_id": article_id}).sort("version", ASCENDING))


DUPLICATE_KEY = 11000


def _new_document(_id: str, fields: dict[str, Any], hashed: str, now: datetime) -> dict[str, Any]:
    return {**fields, "_id": _id, "version": 1, "record_hash": hashed, "first_seen_at": now, "last_seen_at": now,
            "changed_at": now}


def _insert_or_update(collection: Collection[dict[str, Any]], ops: list[Any], keys: list[str]) -> set[str]:
    """bulk_write(ops) unordered; returns the `_id`s of inserts that found the article already
    stored (duplicate key on `_id`). Any other write error is raised."""
    try:
        collection.bulk_write(ops, ordered=False)
    except BulkWriteError as exc:
        errors = exc.details.get("writeErrors", [])
        if not errors or any(e.get("code") != DUPLICATE_KEY or not isinstance(ops[e["index"]], InsertOne)
                             for e in errors):
            raise
        existed = {keys[e["index"]] for e in errors}
        # Only a clash on `_id` means "already stored"; a clash on another unique key (canonical_url
        # under another _id) would lose the article: raised.
        present = {d["_id"] for d in collection.find({"_id": {"$in": sorted(existed)}}, {"_id": 1})}
        if present != existed:
            raise
        return existed
    return set()

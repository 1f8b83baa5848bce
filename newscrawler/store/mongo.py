"""Article storage in MongoDB with plain pymongo, inside real MongoDB semantics.

Every write is keyed on `_id` (derived from the canonical URL): idempotent, and fast on both
MongoDB and the embedded server (which scans the collection for non-`_id` update filters).
"""

from __future__ import annotations

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
_STORE_OWNED = ("_id", "version", "first_seen_at", "last_seen_at")
# What changes on every visit of an unchanged article.
_VISIT_FIELDS = ("url", "fetched_at", "crawl_id")


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

    def ensure_indexes(self) -> None:
        """Idempotent: create_indexes with the same specs is a no-op on an existing index."""
        self.articles.create_indexes([
            IndexModel([("canonical_url", ASCENDING)], name="canonical_url_unique", unique=True),
            IndexModel([("content_hash", ASCENDING)], name="content_hash"),
            IndexModel([("outlet", ASCENDING), ("published_at", DESCENDING)], name="outlet_published"),
            IndexModel([("duplicate_of", ASCENDING)], name="duplicate_of"),
            IndexModel([("last_seen_at", DESCENDING)], name="last_seen"),
        ])
        self.versions.create_indexes([
            IndexModel([("article_id", ASCENDING), ("version", ASCENDING)], name="article_version"),
        ])
        self.runs.create_indexes([
            IndexModel([("outlet", ASCENDING), ("started_at", DESCENDING)], name="outlet_started"),
        ])

    def existing(self, ids: list[str], fields: tuple[str, ...] = (
            "content_hash", "version", "title", "text", "published_at", "modified_at", "fetched_at", "url",
            "duplicate_of")) -> dict[str, dict[str, Any]]:
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

    def link_waiting_copies(self, original_id: str) -> int:
        """Copies stored before their original now point to it (all keyed on _id: fast anywhere).
        A copy not stored yet (still in some writer's buffer) stays waiting: its own write links it."""
        waiting = self.awaiting.find_one({"_id": original_id})
        if not waiting:
            return 0
        copies = [c for c in waiting.get("copies", []) if c != original_id]
        linked = [c for c in copies
                  if self.articles.update_one({"_id": c}, {"$set": {"duplicate_of": original_id}}).matched_count]
        rest = [c for c in copies if c not in linked]
        if rest:
            self.awaiting.update_one({"_id": original_id}, {"$set": {"copies": rest}})
        else:
            self.awaiting.delete_one({"_id": original_id})
        return len(linked)

    def _link_copies(self, docs: dict[str, dict[str, Any]]) -> None:
        """After a batch is written: whichever of a syndicated copy and its original is written
        second links them (the dedup decision ran before either was stored, in this process or
        another), so a copy and its original in one batch, one ingest file or two concurrent
        crawls are always linked. One round trip each, only when the batch holds such articles."""
        copies = {i: d["source_article_id"] for i, d in docs.items()
                  if d.get("source_article_id") and d["source_article_id"] != i and not d.get("duplicate_of")}
        if copies:
            present = {d["_id"] for d in self.articles.find({"_id": {"$in": sorted(set(copies.values()))}}, {"_id": 1})}
            ops = [UpdateOne({"_id": c}, {"$set": {"duplicate_of": o}}) for c, o in copies.items() if o in present]
            if ops:
                self.articles.bulk_write(ops, ordered=False)
        for waiting in list(self.awaiting.find({"_id": {"$in": list(docs)}}, {"_id": 1})):
            self.link_waiting_copies(waiting["_id"])

    def write_batch(self, docs: list[dict[str, Any]], now: datetime | None = None,
                    expect: dict[str, str] | None = None) -> BatchResult:
        """Upsert a batch of extracted articles; returns which ids were new, updated, unchanged.

        New: inserted with version 1. Same content hash: only visit fields and last_seen_at move.
        Changed text: the previous text goes to `article_versions`, `version` increments,
        `modified_at` becomes the page's modified date or now, `first_seen_at` is kept.

        `expect` (from the duplicate index, which has already read what it knows of these articles):
        id -> "new" or "unchanged". Those are written without reading them first, so a batch of new
        articles costs an insert and the waiting-copies check, a batch of unchanged revisits one
        update; where the guess was wrong (another worker, a write that never happened) the
        article takes the reading path.
        """
        now = now or datetime.now(UTC)
        latest: dict[str, dict[str, Any]] = {}
        for doc in docs:  # the same article twice in one batch: the last fetch wins
            latest[doc["_id"]] = doc
        expect = expect or {}
        guessed = {i: expect[i] for i in latest if expect.get(i) in ("new", "unchanged")}
        result = BatchResult()
        if guessed:
            result, unsure = self._write_guessed({i: latest[i] for i in guessed}, guessed, now)
            rest = {i: d for i, d in latest.items() if i not in guessed or i in unsure}
        else:
            rest = latest
        if rest:
            read = self._write_read(rest, now)
            result.new += read.new
            result.updated += read.updated
            result.unchanged += read.unchanged
        if result.new or result.updated:  # an unchanged revisit was linked when it was first stored
            self._link_copies({i: latest[i] for i in (*result.new, *result.updated)})
        return result

    def _write_guessed(self, docs: dict[str, dict[str, Any]], guessed: dict[str, str],
                       now: datetime) -> tuple[BatchResult, set[str]]:
        """One bulk_write without a read; returns the result and the ids whose guess was wrong."""
        result = BatchResult()
        ops: list[InsertOne[dict[str, Any]] | UpdateOne] = []
        keys: list[str] = []
        for _id, doc in docs.items():
            fields = {k: v for k, v in doc.items() if k not in _STORE_OWNED}
            keys.append(_id)
            if guessed[_id] == "new":
                ops.append(InsertOne({**fields, "_id": _id, "version": 1, "first_seen_at": now, "last_seen_at": now}))
                result.new.append(_id)
            else:
                visit = {k: fields[k] for k in _VISIT_FIELDS if k in fields}
                ops.append(UpdateOne({"_id": _id}, {"$set": {**visit, "last_seen_at": now}}))
                result.unchanged.append(_id)
        existed, matched = _insert_or_update(self.articles, ops, keys)
        unsure = set(existed)  # stored after all: read and decide
        if matched < len(result.unchanged):  # some "unchanged" are not stored: read and decide
            present = set(self.existing(result.unchanged, ("_id",)))
            unsure |= set(result.unchanged) - present
        result.new = [i for i in result.new if i not in unsure]
        result.unchanged = [i for i in result.unchanged if i not in unsure]
        return result, unsure

    def _write_read(self, latest: dict[str, dict[str, Any]], now: datetime) -> BatchResult:
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
                article_ops.append(InsertOne({**fields, "_id": _id, "version": 1, "first_seen_at": now,
                                              "last_seen_at": now}))
                result.new.append(_id)
            elif old.get("content_hash") == doc.get("content_hash"):
                visit = {k: fields[k] for k in _VISIT_FIELDS if k in fields}
                article_ops.append(UpdateOne({"_id": _id}, {"$set": {**visit, "last_seen_at": now}}))
                result.unchanged.append(_id)
            else:
                version = int(old.get("version") or 1)
                archived = {k: old.get(k) for k in ("title", "text", "content_hash", "published_at",
                                                     "modified_at", "fetched_at", "url")}
                version_ops.append(UpdateOne(
                    {"_id": f"{_id}:{version}"},
                    {"$setOnInsert": {**archived, "article_id": _id, "version": version, "archived_at": now}},
                    upsert=True,
                ))
                fields["modified_at"] = fields.get("modified_at") or now
                if old.get("duplicate_of") and not fields.get("duplicate_of"):
                    fields.pop("duplicate_of", None)  # keep an earlier link unless re-decided
                article_ops.append(UpdateOne(
                    {"_id": _id}, {"$set": {**fields, "last_seen_at": now}, "$inc": {"version": 1}}
                ))
                result.updated.append(_id)
        if version_ops:  # history first: a crash between the two never loses the old text
            self.versions.bulk_write(version_ops, ordered=False)
        if article_ops:
            raced, _ = _insert_or_update(self.articles, article_ops, op_keys)
            if raced:  # another worker inserted the same article between our read and write
                result.new = [i for i in result.new if i not in raced]
                result.unchanged.extend(sorted(raced))
        return result

    def history(self, article_id: str) -> list[dict[str, Any]]:
        """Earlier versions of an article, oldest first."""
        return list(self.versions.find({"article_id": article_id}).sort("version", ASCENDING))


DUPLICATE_KEY = 11000


def _insert_or_update(collection: Collection[dict[str, Any]], ops: list[Any], keys: list[str]) -> tuple[set[str], int]:
    """bulk_write(ops) unordered; returns the `_id`s of inserts that found the article already
    stored (duplicate key on `_id`) and how many updates matched. Any other write error is raised."""
    try:
        outcome = collection.bulk_write(ops, ordered=False)
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
        return existed, int(exc.details.get("nMatched", 0))
    return set(), outcome.matched_count

"""Persistent near-duplicate index in MongoDB, shared by every run and every worker process.

`lsh_buckets`: one document per index key (`_id` = "w<band>:<hash>" for a MinHash band over content
words, "l:<hash>" for a lead sentence; newscrawler/dedup/sketch.py) listing the article ids in it.
`signatures`: one document per article (`_id` = article `_id`) with its sketch (base64 strings:
plain values on every server), its keys, and the root of its duplicate cluster. Every read and
write is keyed on `_id` (a `$in` for a whole batch, one bulk_write per collection), so the cost per
article is the same at 10k, 100k or 1M articles, on MongoDB (the `_id` index) and on the embedded
server (which scans for any other filter). Buckets that grow past MAX_BUCKET (a sentence every
article of a site repeats) are not evidence: not read as candidates, not grown further.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pymongo import UpdateOne
from pymongo.database import Database

from newscrawler.dedup.sketch import Sketch

MAX_BUCKET = 200
BUCKETS = "lsh_buckets"
SIGNATURES = "signatures"


class LshIndex:
    def __init__(self, db: Database[dict[str, Any]]) -> None:
        self.buckets = db[BUCKETS]
        self.signatures = db[SIGNATURES]

    def buckets_of(self, keys: Iterable[str]) -> dict[str, list[str]]:
        """The article ids in each of these band keys (one round trip for a whole batch)."""
        wanted = sorted(set(keys))
        if not wanted:
            return {}
        return {b["_id"]: list(b.get("ids", [])) for b in self.buckets.find({"_id": {"$in": wanted}})}

    def load(self, ids: Iterable[str]) -> dict[str, tuple[Sketch | None, dict[str, Any]]]:
        """Sketches (and their stored attributes) of the given articles."""
        out: dict[str, tuple[Sketch | None, dict[str, Any]]] = {}
        wanted = sorted(set(ids))
        if not wanted:  # never an empty $in (the embedded server mishandles it)
            return out
        for doc in self.signatures.find({"_id": {"$in": wanted}}):
            out[doc["_id"]] = (Sketch.from_document(doc), doc)
        return out

    def add_many(self, entries: list[tuple[str, Sketch, list[str], dict[str, Any]]],
                 full: Iterable[str] = ()) -> None:
        """Register articles: (id, sketch, index keys, attributes such as root/seen_at/outlet).
        `full`: keys whose buckets are known to be full (not grown)."""
        if not entries:
            return
        skip = set(full)
        signature_ops = []
        bucket_ops = []
        for article_id, sk, keys, attrs in entries:
            signature_ops.append(UpdateOne({"_id": article_id}, {"$set": {
                **sk.to_document(), "bands": keys, **attrs}}, upsert=True))
            bucket_ops.extend(UpdateOne({"_id": key}, {"$addToSet": {"ids": article_id}}, upsert=True)
                              for key in keys if key not in skip)
        self.signatures.bulk_write(signature_ops, ordered=False)
        if bucket_ops:
            self.buckets.bulk_write(bucket_ops, ordered=False)

    def leave_buckets(self, old_bands: dict[str, list[str]]) -> None:
        """Articles whose text changed leave the buckets of their old signature (id -> old keys)."""
        ops = [UpdateOne({"_id": key}, {"$pull": {"ids": article_id}})
               for article_id, keys in old_bands.items() for key in keys]
        if ops:
            self.buckets.bulk_write(ops, ordered=False)

    def root_of(self, article_id: str, attrs: dict[str, Any]) -> str:
        return str(attrs.get("root") or article_id)

    @staticmethod
    def seen_at(attrs: dict[str, Any]) -> datetime | None:
        value = attrs.get("seen_at")
        return value if isinstance(value, datetime) else None

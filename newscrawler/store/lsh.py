"""Persistent MinHash-LSH index in MongoDB, shared by every run and every worker process.

`lsh_buckets`: one document per band key (`_id` = "<band>:<hash>") listing the article ids in it.
`signatures`: one document per article (`_id` = article `_id`) with its MinHash signature (hex: plain
JSON-compatible values on every server), shingle
count, numbers, and the root of its duplicate cluster. Every read and write is keyed on `_id`,
so lookups cost the same at 10k and 100k articles on MongoDB and on the embedded server.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pymongo import UpdateOne
from pymongo.database import Database

from newscrawler.dedup.minhash import Signature

BUCKETS = "lsh_buckets"
SIGNATURES = "signatures"


class LshIndex:
    def __init__(self, db: Database[dict[str, Any]]) -> None:
        self.buckets = db[BUCKETS]
        self.signatures = db[SIGNATURES]

    def candidates(self, keys: list[str], exclude: Iterable[str] = ()) -> set[str]:
        skip = set(exclude)
        found: set[str] = set()
        for bucket in self.buckets.find({"_id": {"$in": keys}}):
            found.update(i for i in bucket.get("ids", []) if i not in skip)
        return found

    def load(self, ids: Iterable[str]) -> dict[str, tuple[Signature, dict[str, Any]]]:
        """Signatures (and their stored attributes) of the given articles."""
        out: dict[str, tuple[Signature, dict[str, Any]]] = {}
        for doc in self.signatures.find({"_id": {"$in": list(ids)}}):
            sig = Signature.from_bytes(bytes.fromhex(doc["hv"]), doc["n"], doc.get("numbers", []))
            out[doc["_id"]] = (sig, doc)
        return out

    def add_many(self, entries: list[tuple[str, Signature, list[str], dict[str, Any]]]) -> None:
        """Register articles: (id, signature, band keys, attributes such as root/seen_at/outlet)."""
        if not entries:
            return
        signature_ops = []
        bucket_ops = []
        for article_id, sig, keys, attrs in entries:
            signature_ops.append(UpdateOne({"_id": article_id}, {"$set": {
                "hv": sig.to_bytes().hex(), "n": sig.size, "numbers": list(sig.numbers), "bands": keys, **attrs,
            }}, upsert=True))
            bucket_ops.extend(UpdateOne({"_id": key}, {"$addToSet": {"ids": article_id}}, upsert=True)
                              for key in keys)
        self.signatures.bulk_write(signature_ops, ordered=False)
        self.buckets.bulk_write(bucket_ops, ordered=False)

    def remove(self, article_id: str) -> None:
        """Forget an article's old signature (its text changed): it leaves its old buckets."""
        old = self.signatures.find_one({"_id": article_id}, {"bands": 1})
        if old:
            self.buckets.bulk_write([UpdateOne({"_id": key}, {"$pull": {"ids": article_id}})
                                     for key in old.get("bands", [])], ordered=False)

    def root_of(self, article_id: str, attrs: dict[str, Any]) -> str:
        return str(attrs.get("root") or article_id)

    @staticmethod
    def seen_at(attrs: dict[str, Any]) -> datetime | None:
        value = attrs.get("seen_at")
        return value if isinstance(value, datetime) else None

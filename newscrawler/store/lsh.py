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

    def buckets_of(self, keys: Iterable[str]) -> dict[str, list[str]]:
        """The article ids in each of these band keys (one round trip for a whole batch)."""
        wanted = sorted(set(keys))
        if not wanted:
            return {}
        return {b["_id"]: list(b.get("ids", [])) for b in self.buckets.find({"_id": {"$in": wanted}})}

    def load(self, ids: Iterable[str]) -> dict[str, tuple[Signature, dict[str, Any]]]:
        """Signatures (and their stored attributes) of the given articles."""
        out: dict[str, tuple[Signature, dict[str, Any]]] = {}
        wanted = sorted(set(ids))
        if not wanted:  # never an empty $in (the embedded server mishandles it)
            return out
        for doc in self.signatures.find({"_id": {"$in": wanted}}):
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

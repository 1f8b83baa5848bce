"""The duplicate decision for a batch of articles, against everything stored so far (any run, any
worker) and against the batch's own earlier articles.

Per article, in order: a re-visit of unchanged text keeps its earlier decision; a syndicated copy
that credits an original (stored, or earlier in the batch) links to it; identical normalised text
links to the earliest copy; otherwise MinHash-LSH candidates are compared and a near-duplicate links
to the root of the candidate's cluster (the earliest copy of the story; newscrawler/dedup/sketch.py
says what near means). The same URL with changed
text is never a duplicate of itself: that is an update (versions are kept by the store).

Cost: a constant number of round trips per batch, whatever its size and the store's size: every
read is one `$in` on `_id` (own signatures, credited originals, all band keys of the batch,
candidate signatures) and every write one bulk_write. Signatures read or written recently are kept
in memory (they never change for a given content hash), so candidates seen again cost nothing.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from newscrawler.article import Article
from newscrawler.dedup.sketch import Sketch, compare, is_near_duplicate, may_be_near_duplicate, period_of, sketch_of
from newscrawler.store import ArticleStore
from newscrawler.store.lsh import MAX_BUCKET, LshIndex

CACHED_SIGNATURES = 20_000  # ~3 KB each


@dataclass(frozen=True)
class Decision:
    duplicate_of: str | None
    reason: str | None = None  # "known" | "credited" | "exact" | "near"
    score: float | None = None


@dataclass
class _Pending:
    article: Article
    sig: Sketch
    keys: list[str]  # filed under
    query: list[str]  # looked up
    attrs: dict[str, Any]


class Deduplicator:
    def __init__(self, store: ArticleStore, cache_size: int = CACHED_SIGNATURES) -> None:
        self.store = store
        self.lsh = LshIndex(store.db)
        self.cache_size = cache_size
        self._cache: OrderedDict[str, tuple[Sketch | None, dict[str, Any]]] = OrderedDict()

    def check(self, article: Article) -> Decision:
        return self.check_batch([article])[0]

    def check_batch(self, articles: list[Article]) -> list[Decision]:
        """Decide for each article and remember them all (so the next batch, in this or another
        process, sees them)."""
        known = self._signatures([a.id for a in articles], refresh=True)
        fresh: dict[str, _Pending] = {}  # this batch's new signatures, in order
        decisions: list[Decision | None] = []
        for article in articles:
            earlier = fresh.get(article.id)
            previous = (earlier.sig, earlier.attrs) if earlier else known.get(article.id)
            if previous and previous[1].get("content_hash") == article.content_hash:
                root = previous[1].get("root")  # unchanged text: the earlier decision stands
                decisions.append(Decision(root if root and root != article.id else None, "known"))
                continue
            sig = sketch_of(article, article.text, article.content_hash)
            period = period_of(article.published_at or article.fetched_at)
            fresh[article.id] = _Pending(article, sig, sig.index_keys(period, article.content_hash),
                                         sig.query_keys(period, article.content_hash), {})
            decisions.append(None)
        pending = list(fresh.values())
        stored_originals = self._stored_originals(pending)
        buckets = self.lsh.buckets_of(k for p in pending for k in p.query)
        full = {key for key, ids in buckets.items() if len(ids) >= MAX_BUCKET}
        buckets = {key: ids for key, ids in buckets.items() if key not in full}
        candidates = self._signatures({i for ids in buckets.values() for i in ids} - set(fresh))
        decided: dict[str, Decision] = {}
        batch_buckets: dict[str, list[str]] = {}
        for p in pending:
            decision = self._decide(p, stored_originals, fresh, decided, buckets, batch_buckets, candidates)
            decided[p.article.id] = decision
            p.attrs = {"root": decision.duplicate_of or p.article.id, "outlet": p.article.outlet,
                       "seen_at": p.article.fetched_at or datetime.now(UTC),
                       "content_hash": p.article.content_hash, "source_article_id": p.article.source_article_id}
            for key in p.keys:
                batch_buckets.setdefault(key, []).append(p.article.id)
        self._remember(pending, known, decided, full)
        return [d if d is not None else decided[a.id] for d, a in zip(decisions, articles, strict=True)]

    def _decide(self, p: _Pending, stored_originals: set[str], fresh: dict[str, _Pending],
                decided: dict[str, Decision], buckets: dict[str, list[str]],
                batch_buckets: dict[str, list[str]],
                candidates: dict[str, tuple[Sketch | None, dict[str, Any]]]) -> Decision:
        own, article = p.article.id, p.article
        credited = article.source_article_id
        if credited and credited != own and (credited in stored_originals or credited in decided):
            return Decision(credited, "credited", 1.0)
        # Identical texts share every band, so exact copies are among the LSH candidates too.
        matches: list[tuple[bool, datetime, str, float]] = []
        for candidate_id in {i for key in p.query for i in (*buckets.get(key, ()), *batch_buckets.get(key, ()))}:
            if candidate_id == own:
                continue
            if candidate_id in decided:  # earlier in this batch
                earlier = fresh[candidate_id]
                candidate_sig, attrs = earlier.sig, earlier.attrs
            elif candidate_id in candidates and candidates[candidate_id][0] is not None:
                candidate_sig, attrs = candidates[candidate_id]  # type: ignore[assignment]
            else:
                continue  # a bucket entry whose sketch is gone or from an older version
            if attrs.get("source_article_id") == own:
                continue  # a copy crediting this article: it is the copy's original, not a duplicate
            exact = attrs.get("content_hash") == article.content_hash
            if not exact and not may_be_near_duplicate(p.sig, candidate_sig):
                continue
            sim = compare(p.sig, candidate_sig)
            if exact or is_near_duplicate(sim):
                seen = LshIndex.seen_at(attrs) or datetime.max.replace(tzinfo=UTC)
                matches.append((not exact, seen, self.lsh.root_of(candidate_id, attrs), sim.trigrams))
        if not matches:
            return Decision(None)
        near, _, root, score = min(matches)
        return Decision(root, "near" if near else "exact", round(score, 3))

    def _stored_originals(self, pending: list[_Pending]) -> set[str]:
        credited = sorted({p.article.source_article_id for p in pending
                           if p.article.source_article_id and p.article.source_article_id != p.article.id})
        if not credited:
            return set()
        return set(self.store.existing(credited, ("_id",)))

    def _remember(self, pending: list[_Pending], known: dict[str, tuple[Sketch | None, dict[str, Any]]],
                  decided: dict[str, Decision], full: set[str]) -> None:
        if not pending:
            return
        changed = {p.article.id: list(known[p.article.id][1].get("bands", [])) for p in pending if p.article.id in known}
        self.lsh.leave_buckets(changed)  # their text changed: out of the old buckets
        # Copies whose credited original is not stored: the store links them when it is.
        self.store.await_originals([(p.article.source_article_id, p.article.id) for p in pending
                                    if p.article.source_article_id and p.article.source_article_id != p.article.id
                                    and decided[p.article.id].reason != "credited"])
        self.lsh.add_many([(p.article.id, p.sig, p.keys, p.attrs) for p in pending], full=full)
        for p in pending:
            self._keep(p.article.id, (p.sig, {**p.attrs, "bands": p.keys}))

    def _signatures(self, ids: set[str] | list[str], refresh: bool = False) -> dict[str, tuple[Sketch | None, dict[str, Any]]]:
        """Stored signatures by id, from memory where possible. `refresh`: always ask the database
        (an article's own entry may have been rewritten by another worker)."""
        wanted = set(ids)
        found = {} if refresh else {i: self._cache[i] for i in wanted if i in self._cache}
        missing = wanted - set(found)
        if missing:
            loaded = self.lsh.load(missing)
            for article_id, entry in loaded.items():
                self._keep(article_id, entry)
            found.update(loaded)
        return found

    def _keep(self, article_id: str, entry: tuple[Sketch | None, dict[str, Any]]) -> None:
        self._cache[article_id] = entry
        self._cache.move_to_end(article_id)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)

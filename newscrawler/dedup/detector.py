"""The duplicate decision for one article, against everything stored so far (any run, any worker).

In order: a syndicated copy that credits a stored original links to it; identical normalised text
links to the earliest copy; otherwise MinHash-LSH candidates are compared and a near-duplicate
links to the root of the candidate's cluster (the earliest copy of the story). The same URL with
changed text is never a duplicate of itself: that is an update (versions are kept by the store).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from newscrawler.article import Article
from newscrawler.dedup.minhash import Signature, band_keys, compare, is_near_duplicate, signature
from newscrawler.store import ArticleStore
from newscrawler.store.lsh import LshIndex


@dataclass(frozen=True)
class Decision:
    duplicate_of: str | None
    reason: str | None = None  # "credited" | "exact" | "near"
    score: float | None = None


class Deduplicator:
    def __init__(self, store: ArticleStore) -> None:
        self.store = store
        self.lsh = LshIndex(store.db)

    def check(self, article: Article) -> Decision:
        """Decide and remember (so the next article, in this or another process, sees this one)."""
        own = article.id
        known = self.lsh.load([own]).get(own)
        if known and known[1].get("content_hash") == article.content_hash:
            root = known[1].get("root")  # a re-visit of unchanged text: the earlier decision stands
            return Decision(root if root and root != own else None, "known")
        sig = signature(article.text)
        keys = band_keys(sig)
        decision = self._decide(article, sig, keys)
        if not article.source_article_id:
            self.store.link_waiting_copies(own)  # copies that were stored before this original
        if known:
            self.lsh.remove(own)  # its text changed: leave the old buckets
        self.lsh.add_many([(own, sig, keys, {
            "root": decision.duplicate_of or own, "outlet": article.outlet,
            "seen_at": article.fetched_at or datetime.now(UTC), "content_hash": article.content_hash,
            "source_article_id": article.source_article_id,
        })])
        return decision

    def _decide(self, article: Article, sig: Signature, keys: list[str]) -> Decision:
        own = article.id
        credited = article.source_article_id
        if credited and credited != own:
            if self.store.exists(credited):
                return Decision(credited, "credited", 1.0)
            self.store.await_original(credited, own)
        # Identical texts share every band, so exact copies are among the LSH candidates too: both
        # checks are _id lookups, never a collection scan.
        matches: list[tuple[bool, datetime, str, float]] = []
        for candidate_id, (candidate_sig, attrs) in self.lsh.load(self.lsh.candidates(keys, exclude=[own])).items():
            if attrs.get("source_article_id") == own:
                continue  # a copy crediting this article: it is the copy's original, not a duplicate
            exact = attrs.get("content_hash") == article.content_hash
            sim = compare(sig, candidate_sig)
            if exact or is_near_duplicate(sim):
                seen = LshIndex.seen_at(attrs) or datetime.max.replace(tzinfo=UTC)
                matches.append((not exact, seen, self.lsh.root_of(candidate_id, attrs), sim.containment))
        if not matches:
            return Decision(None)
        near, _, root, score = min(matches)
        return Decision(root, "near" if near else "exact", round(score, 3))

"""The hand-written near-duplicate corpus (tests/fixtures/dedup/<split>/*.json), written by helpers
who never saw the detector: originals, and per story an aggregator teaser (first 1-3 paragraphs +
its own header), light rewrites (~10% and 15-20% of words changed, new headline), a reordered copy
with an added paragraph; same-beat hard negatives and templated daily reports (different events).
`tune` may be looked at while developing; `heldout` is only scored.

Scoring ingests the documents in publication order through the crawl's write path and asks, for
every copy, whether it landed in its original's cluster, and for every pair of different events,
whether they were merged.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from itertools import combinations
from pathlib import Path

from newscrawler.article import Article
from newscrawler.normalise.article import normalise_article

FIXTURES = Path(__file__).parent / "fixtures" / "dedup"
COPY_KINDS = ("teaser", "rewrite10", "rewrite20", "reorder")


@dataclass(frozen=True)
class Doc:
    id: str
    event: str
    kind: str
    outlet: str
    url: str
    title: str
    text: str
    published_at: datetime

    def article(self) -> Article:
        return normalise_article(Article(url=self.url, outlet=self.outlet, title=self.title, text=self.text,
                                         published_at=self.published_at, fetched_at=self.published_at))


def load(split: str) -> list[Doc]:
    docs = []
    for path in sorted((FIXTURES / split).glob("*.json")):
        for raw in json.loads(path.read_text("utf-8"))["docs"]:
            docs.append(Doc(raw["id"], raw["event"], raw["kind"], raw["outlet"], raw["url"], raw["title"],
                            raw["text"].replace("\n\n", "\n"), datetime.fromisoformat(raw["published_at"])))
    return sorted(docs, key=lambda d: (d.published_at, d.id))


@dataclass
class Score:
    found: Counter[str]  # copies linked to their original's cluster, by kind
    total: Counter[str]
    false_merges: list[tuple[str, str]]  # pairs of different events in one cluster
    pairs: int  # pairs of different events

    @property
    def precision(self) -> float:
        merged_true = sum(self.found.values())
        return merged_true / (merged_true + len(self.false_merges)) if merged_true + len(self.false_merges) else 1.0

    def recall(self, kind: str | None = None) -> float:
        kinds = [kind] if kind else list(self.total)
        total = sum(self.total[k] for k in kinds)
        return sum(self.found[k] for k in kinds) / total if total else 1.0


def score(docs: list[Doc], decide: Callable[[list[Article]], list[str | None]], batch: int = 5) -> Score:
    """`decide(articles) -> duplicate_of per article` for a batch (called in publication order)."""
    parent: dict[str, str] = {}
    articles = [d.article() for d in docs]
    for start in range(0, len(docs), batch):
        part = articles[start:start + batch]
        for article, duplicate_of in zip(part, decide(part), strict=True):
            parent[article.id] = duplicate_of or article.id

    def root(key: str) -> str:
        seen: set[str] = set()
        while parent.get(key, key) != key and key not in seen:
            seen.add(key)
            key = parent[key]
        return key

    cluster = {d.id: root(a.id) for d, a in zip(docs, articles, strict=True)}
    original = {d.event: d.id for d in docs if d.kind == "original"}
    found: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for d in docs:
        if d.kind in COPY_KINDS:
            total[d.kind] += 1
            found[d.kind] += cluster[d.id] == cluster[original[d.event]]
    false_merges = [(a.id, b.id) for a, b in combinations(docs, 2)
                    if a.event != b.event and cluster[a.id] == cluster[b.id]]
    pairs = sum(1 for a, b in combinations(docs, 2) if a.event != b.event)
    return Score(found, total, false_merges, pairs)

"""`make bench-dedup`: near-duplicate quality on the generated corpus (tests/dedup_corpus.py) and on
the hand-written one, per kind, tune and held-out splits (tests/dedup_fixtures.py); then the cost
per article of the batch decision (and its round trips per batch) with 10k and 100k articles
already in the index (`--sizes`).

Runs against MONGO_URI if set, else a throwaway embedded server (data in a temp folder).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from itertools import combinations
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from newscrawler.article import Article  # noqa: E402
from newscrawler.dedup.detector import Deduplicator  # noqa: E402
from newscrawler.dedup.sketch import period_of, sketch  # noqa: E402
from newscrawler.normalise.article import normalise_article  # noqa: E402
from newscrawler.store import ArticleStore, connect  # noqa: E402
from newscrawler.store.embedded import EmbeddedServer  # noqa: E402
from newscrawler.store.lsh import LshIndex  # noqa: E402
from newscrawler.store.writer import ArticleWriter  # noqa: E402
from tests.dedup_corpus import corpus  # noqa: E402
from tests.dedup_fixtures import COPY_KINDS, load, score  # noqa: E402
from tests.roundtrips import RoundTrips  # noqa: E402


def server_uri(tmp: Path) -> tuple[str, EmbeddedServer | None]:
    if os.environ.get("MONGO_URI"):
        return os.environ["MONGO_URI"], None
    from tests.conftest import free_port

    server = EmbeddedServer(tmp / "db", free_port())
    return server.start(), server


def to_article(doc) -> Article:  # type: ignore[no-untyped-def]
    return normalise_article(Article(url=doc.url, outlet=None, title=doc.title, text=doc.text,
                                     published_at=doc.published_at, fetched_at=doc.published_at))


def generated_quality(store: ArticleStore) -> tuple[float, float, int, int, int]:
    """Pairwise P/R on the generated corpus (tests/dedup_corpus.py), in a shuffled order."""
    docs = corpus()
    random.Random(3).shuffle(docs)
    writer = ArticleWriter(store)
    parent: dict[str, str] = {}
    for doc in docs:
        article = to_article(doc)
        decision = writer.write([article]).decisions[article.id]
        parent[doc.id] = decision.duplicate_of or article.id
    id_of = {doc.id: to_article(doc).id for doc in docs}
    by_key = {id_of[d.id]: d.id for d in docs}

    def root(doc_id: str) -> str:
        seen = set()
        key = parent[doc_id]
        while key in by_key and parent[by_key[key]] != key and key not in seen:
            seen.add(key)
            key = parent[by_key[key]]
        return key

    roots = {d.id: root(d.id) for d in docs}
    tp = fp = fn = 0
    for a, b in combinations(docs, 2):
        same_story, same_cluster = a.story == b.story, roots[a.id] == roots[b.id]
        tp += same_story and same_cluster
        fp += same_cluster and not same_story
        fn += same_story and not same_cluster
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return precision, recall, tp, fp, fn


def written_quality(store: ArticleStore, split: str) -> str:
    """Per kind recall and precision on a hand-written split (tests/dedup_fixtures.py)."""
    writer = ArticleWriter(store)

    def decide(articles: list[Article]) -> list[str | None]:
        report = writer.write(articles)
        return [report.decisions[a.id].duplicate_of for a in articles]

    result = score(load(split), decide)
    kinds = "  ".join(f"{k} {result.found[k]}/{result.total[k]}" for k in COPY_KINDS)
    return (f"{split:8} precision {result.precision:.3f} ({len(result.false_merges)} false merges of "
            f"{result.pairs} pairs)  recall {result.recall():.3f}: {kinds}")


def sentence_pool() -> list[str]:
    pool: list[str] = []
    for doc in corpus():
        pool.extend(s.strip() for s in re.split(r"[.!؟\n]", doc.text) if len(s.split()) >= 6)
    return sorted(set(pool))


def synthetic(pool: list[str], rng: random.Random, n: int) -> str:
    sentences = rng.sample(pool, 7)
    return ". ".join(f"{s} ({rng.randrange(10**6)} {n})" for s in sentences)


PER_DAY = 300  # articles a day across the outlets: the archive spans N / PER_DAY days
START = datetime(2020, 1, 1, tzinfo=UTC)


def published(n: int) -> datetime:
    return START + timedelta(seconds=n * 86_400 / PER_DAY)


def populate(store: ArticleStore, target: int, have: int, pool: list[str], rng: random.Random) -> None:
    """Fill the index with distinct synthetic stories, as the detector files them."""
    lsh = LshIndex(store.db)
    batch = []
    for n in range(have, target):
        sk = sketch(synthetic(pool, rng, n))
        keys = sk.index_keys(period_of(published(n)), str(n))
        batch.append((f"synthetic-{n}", sk, keys, {"root": f"synthetic-{n}", "content_hash": str(n)}))
        if len(batch) == 500:
            lsh.add_many(batch)
            batch = []
            if n % 10_000 < 500:
                print(f"  … {n + 1} stored", flush=True)
    lsh.add_many(batch)


def lookup_cost(store: ArticleStore, listener: RoundTrips, pool: list[str], rng: random.Random,
                have: int, probes: int = 500, batch: int = 100) -> tuple[float, float]:
    """(ms per article, round trips per batch) of the duplicate decision for new articles, in
    batches as the crawl makes them: lookups, comparisons and filing the articles in the index."""
    detector = Deduplicator(store)
    articles = [normalise_article(Article(url=f"https://probe.example/{rng.randrange(10**9)}", outlet=None,
                                          title="probe", text=synthetic(pool, rng, -1), published_at=published(have)))
                for _ in range(probes)]  # new articles of the latest day
    listener.reset()
    start = time.perf_counter()
    for i in range(0, probes, batch):
        detector.check_batch(articles[i:i + batch])
    elapsed = time.perf_counter() - start
    return 1000 * elapsed / probes, listener.count / (probes / batch)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        uri, server = server_uri(Path(tmp))
        client = connect(uri)
        listener = RoundTrips()
        monitored = connect(uri, event_listeners=[listener])
        try:
            db = f"bench_dedup_{os.getpid()}"
            store = ArticleStore(client[db])
            store.ensure_indexes()
            p, r, tp, fp, fn = generated_quality(store)
            print(f"generated corpus: {len(corpus())} documents, {len({d.story for d in corpus()})} stories")
            print(f"  pairwise precision {p:.3f}  recall {r:.3f}  (tp {tp}, fp {fp}, fn {fn})")
            client.drop_database(db)
            print("hand-written corpus (by helpers who never saw the detector; held-out never tuned on):")
            for split in ("tune", "heldout"):
                print("  " + written_quality(ArticleStore(client[f"{db}_{split}"]), split))
                client.drop_database(f"{db}_{split}")

            pool, rng = sentence_pool(), random.Random(11)
            store = ArticleStore(monitored[db])
            have, costs = 0, {}
            for size in (int(s) for s in args.sizes.split(",")):
                print(f"populating {size} stored articles ({PER_DAY} a day) …", flush=True)
                populate(store, size, have, pool, rng)
                have = size
                per_article, trips = lookup_cost(store, listener, pool, rng, have)
                costs[size] = per_article
                print(f"at {size} stored: {per_article:.2f} ms/article (decide + file, batches of 100), "
                      f"{trips:.0f} round trips per batch", flush=True)
            sizes = sorted(costs)
            if len(sizes) > 1:
                print(f"cost growth {sizes[0]} -> {sizes[-1]}: {costs[sizes[-1]] / costs[sizes[0]]:.2f}x")
            client.drop_database(db)
        finally:
            client.close()
            monitored.close()
            if server:
                server.stop()


if __name__ == "__main__":
    main()

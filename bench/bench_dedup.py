"""`make bench-dedup`: near-duplicate quality on the labelled corpus (tests/dedup_corpus.py) and
the per-article lookup cost with 10k and 100k articles already stored.

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
from itertools import combinations
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from newscrawler.article import Article, to_document  # noqa: E402
from newscrawler.dedup.detector import Deduplicator  # noqa: E402
from newscrawler.dedup.minhash import band_keys, signature  # noqa: E402
from newscrawler.normalise.article import normalise_article  # noqa: E402
from newscrawler.store import ArticleStore, connect  # noqa: E402
from newscrawler.store.embedded import EmbeddedServer  # noqa: E402
from newscrawler.store.lsh import LshIndex  # noqa: E402
from tests.dedup_corpus import corpus  # noqa: E402


def server_uri(tmp: Path) -> tuple[str, EmbeddedServer | None]:
    if os.environ.get("MONGO_URI"):
        return os.environ["MONGO_URI"], None
    from tests.conftest import free_port

    server = EmbeddedServer(tmp / "db", free_port())
    return server.start(), server


def to_article(doc) -> Article:  # type: ignore[no-untyped-def]
    return normalise_article(Article(url=doc.url, outlet=None, title=doc.title, text=doc.text,
                                     published_at=doc.published_at, fetched_at=doc.published_at))


def quality(store: ArticleStore) -> tuple[float, float, int, int, int]:
    docs = corpus()
    random.Random(3).shuffle(docs)
    detector = Deduplicator(store)
    parent: dict[str, str] = {}
    for doc in docs:
        article = to_article(doc)
        decision = detector.check(article)
        article.duplicate_of = decision.duplicate_of
        store.write_batch([to_document(article)])
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


def sentence_pool() -> list[str]:
    pool: list[str] = []
    for doc in corpus():
        pool.extend(s.strip() for s in re.split(r"[.!؟\n]", doc.text) if len(s.split()) >= 6)
    return sorted(set(pool))


def synthetic(pool: list[str], rng: random.Random, n: int) -> str:
    sentences = rng.sample(pool, 7)
    return ". ".join(f"{s} ({rng.randrange(10**6)} {n})" for s in sentences)


def populate(store: ArticleStore, target: int, have: int, pool: list[str], rng: random.Random) -> None:
    lsh = LshIndex(store.db)
    batch = []
    for n in range(have, target):
        sig = signature(synthetic(pool, rng, n))
        batch.append((f"synthetic-{n}", sig, band_keys(sig), {"root": f"synthetic-{n}", "content_hash": str(n)}))
        if len(batch) == 500:
            lsh.add_many(batch)
            batch = []
            if n % 10_000 < 500:
                print(f"  … {n + 1} stored", flush=True)
    lsh.add_many(batch)


def lookup_cost(store: ArticleStore, pool: list[str], rng: random.Random, probes: int = 200) -> tuple[float, float]:
    """(lookup ms, lookup + register ms) per article: the decision alone (band lookups, candidate
    signatures, comparisons), and the whole check() that also records the article in the index."""
    detector = Deduplicator(store)
    articles = [normalise_article(Article(url=f"https://probe.example/{rng.randrange(10**9)}", outlet=None,
                                          title="probe", text=synthetic(pool, rng, -1))) for _ in range(probes)]
    start = time.perf_counter()
    for article in articles:
        sig = signature(article.text)
        detector._decide(article, sig, band_keys(sig))
    lookup = time.perf_counter() - start
    start = time.perf_counter()
    for article in articles:
        detector.check(article)
    full = time.perf_counter() - start
    return 1000 * lookup / probes, 1000 * full / probes


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        uri, server = server_uri(Path(tmp))
        client = connect(uri)
        try:
            db = f"bench_dedup_{os.getpid()}"
            store = ArticleStore(client[db])
            store.ensure_indexes()
            p, r, tp, fp, fn = quality(store)
            print(f"labelled corpus: {len(corpus())} documents, {len({d.story for d in corpus()})} stories")
            print(f"pairwise precision {p:.3f}  recall {r:.3f}  (tp {tp}, fp {fp}, fn {fn})")
            client.drop_database(db)

            pool, rng = sentence_pool(), random.Random(11)
            store = ArticleStore(client[db])
            have, costs = 0, {}
            for size in (int(s) for s in args.sizes.split(",")):
                print(f"populating {size} stored articles …", flush=True)
                populate(store, size, have, pool, rng)
                have = size
                lookup, full = lookup_cost(store, pool, rng)
                costs[size] = lookup
                print(f"at {size} stored: lookup {lookup:.2f} ms/article, lookup + register {full:.2f} ms/article",
                      flush=True)
            sizes = sorted(costs)
            if len(sizes) > 1:
                print(f"lookup growth {sizes[0]} -> {sizes[-1]}: {costs[sizes[-1]] / costs[sizes[0]]:.2f}x")
            client.drop_database(db)
        finally:
            client.close()
            if server:
                server.stop()


if __name__ == "__main__":
    main()

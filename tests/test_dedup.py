"""Near-duplicate detection and `newscrawler ingest`, against a real database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from newscrawler.article import Article
from newscrawler.dedup.detector import Deduplicator
from newscrawler.dedup.fingerprint import content_hash
from newscrawler.normalise.article import normalise_article
from newscrawler.store import ArticleStore
from newscrawler.store.writer import ArticleWriter
from tests.conftest import PROJECT_DIR
from tests.dedup_corpus import BACKGROUND, base_stories, market_reports, variants
from tests.dedup_fixtures import COPY_KINDS, load, score
from tests.textnorm import same_text

SEED_OUTLETS = {"basnews": "/ar/babat/919701", "kurdistan24": "/ar/story/25431", "zagros": "/ar/news/19243"}


def article(doc) -> Article:  # type: ignore[no-untyped-def]
    return normalise_article(Article(url=doc.url, outlet=doc.outlet, title=doc.title, text=doc.text,
                                     published_at=doc.published_at, fetched_at=doc.published_at))


def seeds() -> list:
    """The replica articles that carry the seed stories (all about joint Peshmerga-army operations)."""
    bases = base_stories()
    texts = {d.id: d for d in bases}
    picked = [d for d in bases if any(d.outlet == o and p in d.url for o, p in SEED_OUTLETS.items())]
    picked += [d for d in bases if d.outlet in ("almada", "aliraqnews") and (
        "البنتاغون" in d.text or "الخفاجي" in d.text)][:2]
    assert len(picked) == 5, [d.id for d in picked] or texts
    return picked


def test_content_hash_folds_arabic_variants() -> None:
    plain = "أعلنت وزارة الدفاع إلى 25 جندياً في كركوك"
    variant = "اَعلنت وزارة الدفـاع الى ٢٥ جندياً في كرکوک\u200c،"
    assert content_hash(plain) == content_hash(variant)
    assert content_hash(plain) != content_hash("أعلنت وزارة الدفاع إلى 26 جندياً في كركوك")


def test_seeds_are_five_stories_and_their_copies_link_to_them(store: ArticleStore) -> None:
    import random

    detector = Deduplicator(store)
    originals = seeds()
    ids = {}
    for doc in originals:
        a = article(doc)
        assert detector.check(a).duplicate_of is None, f"{doc.id} is a different story"
        ids[doc.id] = a.id
    rng = random.Random(5)
    for doc in originals:
        for copy in variants(doc, rng):
            decision = detector.check(article(copy))
            assert decision.duplicate_of == ids[doc.id], copy.id


def test_shared_background_and_templated_reports_stay_apart(store: ArticleStore) -> None:
    detector = Deduplicator(store)
    for doc in seeds()[:3]:
        paragraphs = doc.text.split("\n")
        doc.text = "\n".join([paragraphs[0], BACKGROUND, *paragraphs[1:]])
        assert detector.check(article(doc)).duplicate_of is None
    for report in market_reports(days=4):
        assert detector.check(article(report)).duplicate_of is None, report.id


def test_detection_persists_across_runs_and_processes(mongo_uri: str, db_name: str, store: ArticleStore,
                                                      tmp_path: Path) -> None:
    import random

    originals = seeds()
    rng = random.Random(9)
    copies = [c for d in originals for c in variants(d, rng)]

    def write(name: str, docs: list) -> Path:
        path = tmp_path / name
        path.write_text("\n".join(json.dumps({"url": d.url, "title": d.title, "text": d.text, "outlet": d.outlet,
                                              "published_at": d.published_at.isoformat()}, ensure_ascii=False)
                                  for d in docs) + "\n", encoding="utf-8")
        return path

    env = {**os.environ, "MONGO_URI": mongo_uri, "MONGO_DATABASE": db_name}

    def ingest(path: Path) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "newscrawler.cli", "ingest", str(path)], cwd=PROJECT_DIR,
                                env=env, stdout=subprocess.PIPE, text=True)

    first = ingest(write("originals.jsonl", originals))
    assert json.loads(first.communicate(timeout=120)[0])["new"] == 5
    half = len(copies) // 2  # two worker processes at once, sharing the persisted index
    workers = [ingest(write("a.jsonl", copies[:half])), ingest(write("b.jsonl", copies[half:]))]
    reports = [json.loads(w.communicate(timeout=120)[0]) for w in workers]
    assert sum(r["duplicate"] for r in reports) == len(copies)
    original_ids = {d["_id"] for d in store.articles.find({"duplicate_of": None})}
    assert len(original_ids) == 5
    assert store.articles.count_documents({"duplicate_of": {"$in": list(original_ids)}}) == len(copies)


def test_ingest_reports_updates_rejections_and_keeps_versions(mongo_uri: str, db_name: str, store: ArticleStore,
                                                               tmp_path: Path) -> None:
    doc = seeds()[0]
    lines = [
        {"url": doc.url, "title": doc.title, "text": doc.text, "outlet": "some-new-outlet"},
        {"url": doc.url + "?utm_source=x", "title": doc.title, "outlet": "some-new-outlet",
         "text": doc.text + "\nفقرة تصحيح أضيفت لاحقاً إلى الخبر."},
        {"url": "https://x.example/short", "title": "قصير", "text": "نص قصير"},
        {"title": "بلا رابط", "text": doc.text},
        {"url": "https://x.example/bad-date", "title": "t", "text": doc.text, "published_at": "yesterday-ish"},
    ]
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n{not json\n", encoding="utf-8")
    env = {**os.environ, "MONGO_URI": mongo_uri, "MONGO_DATABASE": db_name}
    proc = subprocess.run([sys.executable, "-m", "newscrawler.cli", "ingest", str(path)], cwd=PROJECT_DIR, env=env,
                          capture_output=True, text=True, timeout=120)
    report = json.loads(proc.stdout)
    assert report["new"] == 1 and report["updated"] == 1 and report["duplicate"] == 0
    assert report["rejected"] == {"text_too_short": 1, "no_url": 1, "bad_published_at": 1, "invalid_json": 1}
    stored = store.articles.find_one()
    assert stored["version"] == 2 and stored["outlet"] == "some-new-outlet" and stored["duplicate_of"] is None
    assert [v["text"] for v in store.history(stored["_id"])] == [same_text(doc.text)]


def test_a_copy_and_its_original_in_one_ingest_file_are_linked_in_either_order(tmp_path: Path,
                                                                               store: ArticleStore) -> None:
    from newscrawler.ingest import ingest

    original = {"url": "https://almadapaper.net/403655/", "outlet": "almada", "title": "قصة أصلية",
                "text": "نص الخبر الأصلي عن مشروع المياه في البصرة وتفاصيله الكاملة. " * 8}
    copy = {"url": "https://hathalyoum.net/articles/4156730", "outlet": "hathalyoum",
            "article": {"title": "نسخة منقولة", "text": "مقدمة المجمع: " + original["text"][:200],
                        "source_name": "جريدة المدى", "source_url": original["url"]}}
    for name, order in (("copy-first", [copy, original]), ("original-first", [original, copy])):
        path = tmp_path / f"{name}.jsonl"
        path.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in order), "utf-8")
        store.articles.delete_many({})
        store.awaiting.delete_many({})
        report = ingest(path, store)
        docs = {d["outlet"]: d for d in store.articles.find()}
        assert set(docs) == {"almada", "hathalyoum"}, report
        assert docs["hathalyoum"]["duplicate_of"] == docs["almada"]["_id"], name
        assert docs["almada"]["duplicate_of"] is None


@pytest.mark.parametrize("split", ["tune", "heldout"])
def test_hand_written_copies_are_found_and_different_events_kept_apart(split: str, store: ArticleStore) -> None:
    """Teasers (first paragraphs + a header), ~10% and 15-20% rewrites, reordered copies; same-beat
    hard negatives and templated reports (tests/dedup_fixtures.py). The held-out split is scored,
    never tuned on. Targets of the issue: P >= 0.99, R >= 0.95 on every kind."""
    writer = ArticleWriter(store)

    def decide(articles: list[Article]) -> list[str | None]:
        report = writer.write(articles)
        return [report.decisions[a.id].duplicate_of for a in articles]

    result = score(load(split), decide)
    assert result.precision >= 0.99, result.false_merges
    for kind in COPY_KINDS:
        assert result.recall(kind) >= 0.95, (kind, result.found, result.total)


def test_the_trigram_prefilter_never_hides_a_near_duplicate() -> None:
    """`may_be_near_duplicate` skips full comparisons; every pair `compare` calls near duplicates
    (teasers, rewrites, reordered copies of both labelled splits and the generated corpus) must pass it."""
    from newscrawler.dedup.sketch import LEAST_TRIGRAMS, compare, is_near_duplicate, may_be_near_duplicate, sketch
    from tests.dedup_corpus import corpus

    texts = [d.text for d in (*load("tune"), *load("heldout"), *corpus())]
    sketches = [sketch(t) for t in texts]
    near: list[float] = []
    skipped = 0
    for i, a in enumerate(sketches):
        for b in sketches[i + 1:]:
            sim = compare(a, b)
            if is_near_duplicate(sim):
                near.append(sim.trigrams)
                assert may_be_near_duplicate(a, b)
            elif not may_be_near_duplicate(a, b):
                skipped += 1
    assert len(near) >= 20 and skipped > len(near), (len(near), skipped)
    assert min(near) < LEAST_TRIGRAMS + 0.15, "the corpus must hold near duplicates close to the threshold"

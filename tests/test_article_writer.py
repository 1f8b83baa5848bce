"""The write path of crawls, ingest and replay (newscrawler/store/writer.py): dedup and store a
batch, in a constant number of round trips, isolating an article that breaks it.
(A database that goes away: tests/test_item_failures.py and tests/test_database_outage.py.)"""

from __future__ import annotations

from datetime import UTC, datetime

from newscrawler.article import Article
from newscrawler.store import ArticleStore, connect
from newscrawler.store.writer import ArticleWriter
from pipelines.normalise import NormalisePipeline
from tests.roundtrips import RoundTrips

STORY = ("أعلنت وزارة الكهرباء في بغداد اليوم عن خطة لصيانة محطات التوليد في البصرة والناصرية قبل الصيف، "
         "وقال المتحدث باسم الوزارة إن الخطة تشمل 14 وحدة توليد بكلفة 320 مليار دينار وتنتهي في أيار المقبل. ")


def article(n: int, text: str | None = None, **fields: object) -> Article:
    item = Article(url=f"https://www.basnews.com/ar/babat/{900000 + n}", outlet="basnews", title=f"خبر رقم {n}",
                   text=text or f"نص الخبر رقم {n} عن موضوع مختلف تماماً رقم {n * 7} " * 12,
                   fetched_at=datetime.now(UTC), **fields)  # type: ignore[arg-type]
    return NormalisePipeline().process_item(item)


def test_new_updated_unchanged_and_versions(store: ArticleStore) -> None:
    writer = ArticleWriter(store)
    first = writer.write([article(n) for n in range(5)])
    assert len(first.stored.new) == 5 and not first.failed
    changed = article(0, text="نص جديد تماماً بعد التصحيح عن موضوع آخر في أربيل " * 10)
    second = writer.write([changed, *[article(n) for n in range(1, 5)]])
    assert second.stored.updated == [changed.id] and len(second.stored.unchanged) == 4
    assert store.articles.find_one({"_id": changed.id})["version"] == 2
    assert [d.reason for d in second.decisions.values()].count("known") == 4, "unchanged: the decision stands"


def test_an_article_that_breaks_the_batch_fails_alone(store: ArticleStore) -> None:
    bad = article(2)
    bad.tags = {"not", "a", "list"}  # type: ignore[assignment]  # BSON cannot encode a set
    report = ArticleWriter(store).write([article(1), bad, article(3)])
    assert [(f.stage, f.article.id) for f in report.failed] == [("store", bad.id)]
    assert report.database_error is None
    assert sorted(report.stored.new) == sorted([article(1).id, article(3).id])


def test_copies_in_one_batch_are_linked_to_the_earliest(store: ArticleStore) -> None:
    original = article(1, text=STORY * 4)
    copy = article(2, text="نقلاً عن وكالة الأنباء: " + STORY * 4)
    credited = article(3, text="ملخص المجمع: " + STORY, source_article_id=original.id)
    other = article(4)
    report = ArticleWriter(store).write([original, copy, credited, other])
    reasons = {i: (d.duplicate_of, d.reason) for i, d in report.decisions.items()}
    assert reasons[original.id] == (None, None) and reasons[other.id] == (None, None)
    assert reasons[copy.id] == (original.id, "near")
    assert reasons[credited.id] == (original.id, "credited")
    assert store.articles.find_one({"_id": copy.id})["duplicate_of"] == original.id
    again = ArticleWriter(store).write([article(5, text="تقرير: " + STORY * 4)])  # a new writer: from the database
    assert again.decisions[article(5).id].duplicate_of == original.id


def test_round_trips_per_batch_do_not_grow_with_the_batch(mongo_uri: str, db_name: str, store: ArticleStore) -> None:
    listener = RoundTrips()
    client = connect(mongo_uri, event_listeners=[listener])
    writer = ArticleWriter(ArticleStore(client[db_name]))
    writer.write([article(n) for n in range(3)])  # warm: collections exist

    def round_trips(articles: list[Article]) -> int:
        listener.reset()
        writer.write(articles)
        return listener.count

    small = round_trips([article(n) for n in range(10, 20)])
    large = round_trips([article(n) for n in range(100, 200)])
    assert small == large, f"10 articles: {small} round trips, 100 articles: {large}"
    assert large <= 12, listener.counts
    client.close()


def test_an_identical_copy_years_later_is_still_found(store: ArticleStore) -> None:
    """Near-duplicate keys are filed per week (flat cost); the exact text is a key in no period."""
    writer = ArticleWriter(store)
    original = article(1, text=STORY * 4, published_at=datetime(2021, 3, 1, tzinfo=UTC))
    writer.write([original])
    copy = article(2, text=STORY * 4, published_at=datetime(2024, 9, 9, tzinfo=UTC))
    decision = ArticleWriter(store).write([copy]).decisions[copy.id]
    assert (decision.duplicate_of, decision.reason) == (original.id, "exact")


def test_a_sketch_made_in_the_worker_is_used_only_for_the_text_it_was_made_for() -> None:
    from newscrawler.dedup.sketch import attach, sketch, sketch_of

    a = article(1, text=STORY * 2)
    other = sketch("نص آخر تماماً عن موضوع مختلف في مدينة أخرى " * 5)
    attach(a, other, a.content_hash)
    assert sketch_of(a, a.text, a.content_hash) is other, "made for this text: used as is"
    a.text = STORY * 3
    a.content_hash = "changed"
    assert sketch_of(a, a.text, a.content_hash) is not other, "the text changed since: made again"


def test_a_corrected_date_under_the_same_text_is_an_update(store: ArticleStore) -> None:
    """What `newscrawler reextract` relies on: the duplicate index calls it known (same text), the
    store sees other metadata and makes a version; the unchanged ones keep their changed_at."""
    writer = ArticleWriter(store)
    first = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    writer.write([article(n, published_at=datetime(2026, 1, 1, tzinfo=UTC)) for n in range(4)], now=first)
    fixed = article(0, published_at=datetime(2025, 12, 31, 18, 30, tzinfo=UTC))
    later = first.replace(hour=11)
    report = writer.write([fixed, *[article(n, published_at=datetime(2026, 1, 1, tzinfo=UTC)) for n in range(1, 4)]],
                          now=later)
    assert report.decisions[fixed.id].reason == "known"
    assert report.stored.updated == [fixed.id] and len(report.stored.unchanged) == 3
    stored = {d["_id"]: d for d in store.articles.find({})}
    assert stored[fixed.id]["version"] == 2 and stored[fixed.id]["changed_at"] == later
    assert stored[fixed.id]["published_at"] == datetime(2025, 12, 31, 18, 30, tzinfo=UTC)
    assert [v["published_at"] for v in store.history(fixed.id)] == [datetime(2026, 1, 1, tzinfo=UTC)]
    assert all(d["changed_at"] == first and d["version"] == 1 for i, d in stored.items() if i != fixed.id)

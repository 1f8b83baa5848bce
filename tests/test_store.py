"""ArticleStore against a real server: idempotent upserts, versions, indexes, datetimes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pymongo.errors import BulkWriteError

from newscrawler.dedup.fingerprint import content_hash
from newscrawler.store import ArticleStore

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def doc(_id: str = "a1", text: str = "نص المقال الأول", **extra: object) -> dict:
    base = {
        "_id": _id, "url": f"https://example.com/{_id}", "canonical_url": f"https://example.com/{_id}",
        "outlet": "basnews", "title": "عنوان", "text": text, "content_hash": content_hash(text),
        "published_at": datetime(2024, 5, 15, 3, 12, tzinfo=UTC), "modified_at": None,
        "fetched_at": T0, "crawl_id": "c1", "duplicate_of": None,
    }
    return {**base, **extra}


def test_new_unchanged_updated_cycle(store: ArticleStore) -> None:
    store.ensure_indexes()
    assert store.write_batch([doc()], now=T0).new == ["a1"]
    again = store.write_batch([doc(crawl_id="c2")], now=T0 + timedelta(hours=1))
    assert again.unchanged == ["a1"] and not again.new
    stored = store.articles.find_one({"_id": "a1"})
    assert stored["version"] == 1 and stored["crawl_id"] == "c2"
    assert stored["first_seen_at"] == T0 and stored["last_seen_at"] == T0 + timedelta(hours=1)

    edited = store.write_batch([doc(text="نص معدل للمقال")], now=T0 + timedelta(hours=2))
    assert edited.updated == ["a1"]
    stored = store.articles.find_one({"_id": "a1"})
    assert stored["version"] == 2 and stored["text"] == "نص معدل للمقال"
    assert stored["first_seen_at"] == T0
    assert stored["modified_at"] == T0 + timedelta(hours=2)
    history = store.history("a1")
    assert [(h["version"], h["text"]) for h in history] == [(1, "نص المقال الأول")]
    assert store.articles.count_documents({}) == 1


def test_updated_datetimes_stay_datetimes(store: ArticleStore) -> None:
    """$set of datetimes on existing documents must store dates (range queries find them)."""
    store.write_batch([doc()], now=T0)
    store.write_batch([doc()], now=T0 + timedelta(days=1))
    store.write_batch([doc(text="نص جديد", modified_at=T0 + timedelta(days=2))], now=T0 + timedelta(days=2))
    stored = store.articles.find_one({"_id": "a1"})
    for field in ("last_seen_at", "modified_at", "published_at", "first_seen_at", "fetched_at"):
        assert isinstance(stored[field], datetime), field
    assert store.articles.count_documents({"last_seen_at": {"$gte": T0 + timedelta(hours=47)}}) == 1
    assert store.articles.count_documents({"modified_at": {"$gt": T0 + timedelta(days=1)}}) == 1


def test_batch_with_same_article_twice_keeps_last(store: ArticleStore) -> None:
    result = store.write_batch([doc(text="أول"), doc(text="ثاني")], now=T0)
    assert result.new == ["a1"]
    assert store.articles.find_one({"_id": "a1"})["text"] == "ثاني"


def test_indexes_idempotent_and_canonical_url_unique(store: ArticleStore) -> None:
    store.ensure_indexes()
    store.ensure_indexes()
    store.write_batch([doc("a1")], now=T0)
    clash = doc("a2", canonical_url="https://example.com/a1")
    with pytest.raises(BulkWriteError) as err:
        store.write_batch([clash], now=T0)
    assert err.value.details["writeErrors"][0]["code"] == 11000


def test_an_insert_that_lost_a_race_counts_as_unchanged_and_overwrites_nothing(store: ArticleStore) -> None:
    """Another worker stored the article between this writer's read and its write: the insert's
    duplicate-key error is that race (the other worker's document stays), not a failed batch."""

    class StaleRead(ArticleStore):
        def existing(self, ids, fields=()):  # type: ignore[no-untyped-def]
            return {}  # what this worker read before the other one wrote

    store.ensure_indexes()
    first = {"_id": "a1", "canonical_url": "https://x.example/1", "title": "t", "text": "first", "content_hash": "h1"}
    store.write_batch([first])
    racer = StaleRead(store.db)
    second = {**first, "text": "second", "content_hash": "h2"}
    other = {"_id": "a2", "canonical_url": "https://x.example/2", "title": "t2", "text": "x", "content_hash": "h3"}
    result = racer.write_batch([second, other])
    assert result.new == ["a2"] and result.unchanged == ["a1"]
    assert store.articles.find_one({"_id": "a1"})["text"] == "first"
    clash = {"_id": "a3", "canonical_url": "https://x.example/2", "title": "t3", "text": "y", "content_hash": "h4"}
    with pytest.raises(BulkWriteError):
        racer.write_batch([clash])  # same canonical_url under another _id: never silently unstored


def test_wrong_guesses_of_the_duplicate_index_take_the_reading_path(store: ArticleStore) -> None:
    """`expect` lets the store skip its read; where the guess is wrong nothing is lost or stale."""
    stored = {"_id": "g1", "canonical_url": "https://x.example/g1", "title": "t", "text": "old", "content_hash": "h1"}
    store.write_batch([stored])
    changed = {**stored, "text": "new", "content_hash": "h2"}
    absent = {"_id": "g2", "canonical_url": "https://x.example/g2", "title": "t", "text": "x", "content_hash": "h3"}
    result = store.write_batch([changed, absent], expect={"g1": "new", "g2": "unchanged"})
    assert result.updated == ["g1"] and result.new == ["g2"] and not result.unchanged
    assert store.articles.find_one({"_id": "g1"})["text"] == "new" and store.articles.find_one({"_id": "g2"})
    assert [v["text"] for v in store.history("g1")] == ["old"]


def test_a_batch_of_unchanged_revisits_is_one_round_trip(mongo_uri: str, db_name: str, store: ArticleStore) -> None:
    from newscrawler.store import connect
    from tests.roundtrips import RoundTrips

    listener = RoundTrips()
    client = connect(mongo_uri, event_listeners=[listener])
    watched = ArticleStore(client[db_name])
    docs = [{"_id": f"r{n}", "canonical_url": f"https://x.example/r{n}", "title": "t", "text": "x",
             "content_hash": f"h{n}", "url": f"https://x.example/r{n}"} for n in range(50)]
    watched.write_batch(docs, expect={d["_id"]: "new" for d in docs})
    listener.reset()
    result = watched.write_batch(docs, expect={d["_id"]: "unchanged" for d in docs})
    assert len(result.unchanged) == 50 and listener.count == 1
    client.close()

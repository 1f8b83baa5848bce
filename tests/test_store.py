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


def test_new_unchanged_and_changed_in_one_batch(mongo_uri: str, db_name: str, store: ArticleStore) -> None:
    """One upsert decides the new and the unchanged; only the changed article is read (and archived)."""
    watched, listener, client = watched_store(mongo_uri, db_name)
    stored = {"_id": "g1", "canonical_url": "https://x.example/g1", "title": "t", "text": "old", "content_hash": "h1"}
    same = {"_id": "g3", "canonical_url": "https://x.example/g3", "title": "t", "text": "same", "content_hash": "h4"}
    watched.write_batch([stored, same])
    changed = {**stored, "text": "new", "content_hash": "h2"}
    absent = {"_id": "g2", "canonical_url": "https://x.example/g2", "title": "t", "text": "x", "content_hash": "h3"}
    listener.reset()
    result = watched.write_batch([changed, absent, same])
    assert result.updated == ["g1"] and result.new == ["g2"] and result.unchanged == ["g3"]
    # The upsert; for the changed one only: its read, its version, its update; the waiting-copies check.
    assert listener.counts["update"] == 3 and listener.counts["find"] == 2, listener.counts
    assert store.articles.find_one({"_id": "g1"})["text"] == "new" and store.articles.find_one({"_id": "g2"})
    assert [v["text"] for v in store.history("g1")] == ["old"]
    client.close()


def test_a_batch_of_unchanged_revisits_is_one_round_trip(mongo_uri: str, db_name: str, store: ArticleStore) -> None:
    from newscrawler.store import connect
    from tests.roundtrips import RoundTrips

    listener = RoundTrips()
    client = connect(mongo_uri, event_listeners=[listener])
    watched = ArticleStore(client[db_name])
    docs = [{"_id": f"r{n}", "canonical_url": f"https://x.example/r{n}", "title": "t", "text": "x",
             "content_hash": f"h{n}", "url": f"https://x.example/r{n}"} for n in range(50)]
    listener.reset()
    assert len(watched.write_batch(docs).new) == 50 and listener.counts["update"] == 1, listener.counts
    listener.reset()
    result = watched.write_batch(docs)
    assert len(result.unchanged) == 50 and listener.count == 1
    client.close()


# --- changed_at and record_hash: metadata changes are versions too --------------------------------

def watched_store(mongo_uri: str, db_name: str):  # type: ignore[no-untyped-def]
    from newscrawler.store import connect
    from tests.roundtrips import RoundTrips

    listener = RoundTrips()
    client = connect(mongo_uri, event_listeners=[listener])
    return ArticleStore(client[db_name]), listener, client


def test_a_metadata_only_change_is_a_new_version(store: ArticleStore) -> None:
    """An improved extractor (or the outlet) fixing the date or the title under the same text: a
    version like a text change, the previous record archived with its metadata."""
    store.ensure_indexes()
    store.write_batch([doc()], now=T0)
    fixed = doc(published_at=datetime(2024, 5, 14, 22, 0, tzinfo=UTC), title="عنوان مصحح", authors=["سارة"])
    result = store.write_batch([fixed], now=T0 + timedelta(hours=1))
    assert result.updated == ["a1"] and not result.unchanged
    stored = store.articles.find_one({"_id": "a1"})
    assert stored["version"] == 2 and stored["title"] == "عنوان مصحح" and stored["authors"] == ["سارة"]
    assert stored["published_at"] == datetime(2024, 5, 14, 22, 0, tzinfo=UTC)
    assert stored["changed_at"] == T0 + timedelta(hours=1) and stored["first_seen_at"] == T0
    assert stored["modified_at"] is None, "the text did not change: no modified time of our own"
    [old] = store.history("a1")
    assert (old["version"], old["title"], old["published_at"], old["changed_at"]) == (
        1, "عنوان", datetime(2024, 5, 15, 3, 12, tzinfo=UTC), T0)
    assert old["authors"] is None and old["record_hash"] != stored["record_hash"]
    again = store.write_batch([fixed], now=T0 + timedelta(hours=2))
    assert again.unchanged == ["a1"] and store.articles.find_one({"_id": "a1"})["version"] == 2


def test_an_unchanged_revisit_moves_visit_fields_only(mongo_uri: str, db_name: str, store: ArticleStore) -> None:
    watched, listener, client = watched_store(mongo_uri, db_name)
    watched.write_batch([doc(http_etag='"v1"')], now=T0)
    listener.reset()
    later = T0 + timedelta(days=3)
    result = watched.write_batch([doc(http_etag='"v2"', crawl_id="c2", fetched_at=later)], now=later)
    assert result.unchanged == ["a1"] and listener.count == 1, listener.counts
    stored = store.articles.find_one({"_id": "a1"})
    assert stored["changed_at"] == T0 and stored["version"] == 1
    assert (stored["http_etag"], stored["crawl_id"], stored["fetched_at"], stored["last_seen_at"]) == ('"v2"', "c2", later, later)
    watched.write_batch([doc()], now=later + timedelta(days=1))  # the reading path agrees
    assert store.articles.find_one({"_id": "a1"})["changed_at"] == T0
    client.close()


def test_a_document_stored_before_record_hash_takes_the_reading_path_once(
        mongo_uri: str, db_name: str, store: ArticleStore) -> None:
    """Written by the previous version: no record_hash, no changed_at. An unchanged revisit compares
    what it holds (no spurious version), adds both; the next revisit is one round trip again."""
    old = {**doc(), "version": 1, "first_seen_at": T0, "last_seen_at": T0}
    store.articles.insert_one(old)
    store.articles.insert_one({**doc("a2"), "version": 1, "first_seen_at": T0, "last_seen_at": T0})
    watched, listener, client = watched_store(mongo_uri, db_name)
    later = T0 + timedelta(days=1)
    listener.reset()
    result = watched.write_batch([doc(), doc("a2", title="عنوان آخر")], now=later)
    assert result.unchanged == ["a1"] and result.updated == ["a2"]
    assert listener.count > 1, "the guess missed: read and decided"
    a1, a2 = store.articles.find_one({"_id": "a1"}), store.articles.find_one({"_id": "a2"})
    assert a1["version"] == 1 and a1["record_hash"] and a1["changed_at"] == later
    assert a2["version"] == 2 and a2["changed_at"] == later and a2["title"] == "عنوان آخر"
    listener.reset()
    result = watched.write_batch([doc(), doc("a2", title="عنوان آخر")], now=later + timedelta(days=1))
    assert sorted(result.unchanged) == ["a1", "a2"] and listener.count == 1
    client.close()


def test_stamp_changed_at_for_documents_from_before(store: ArticleStore) -> None:
    store.articles.insert_many([{**doc(f"s{n}"), "version": 1} for n in range(3)])
    store.write_batch([doc("s9")], now=T0)
    migrated = T0 + timedelta(days=30)
    store.ensure_indexes(now=migrated)
    stamps = {d["_id"]: d["changed_at"] for d in store.articles.find({}, {"changed_at": 1})}
    assert stamps == {"s0": migrated, "s1": migrated, "s2": migrated, "s9": T0}
    assert store.stamp_changed_at(now=migrated + timedelta(days=1)) == 0, "idempotent"


def test_changed_at_is_a_datetime_after_updates(store: ArticleStore) -> None:
    """`$set` of a datetime on an existing document (a string on an unaccommodated nx-27017): every
    way changed_at is written reads back as a datetime that range queries find."""
    store.ensure_indexes()
    store.articles.insert_one({**doc("old"), "version": 1})
    store.stamp_changed_at(now=T0 + timedelta(hours=1))  # $set on an existing document
    store.write_batch([doc()], now=T0)  # insert
    store.write_batch([doc(title="جديد")], now=T0 + timedelta(hours=2))  # $set on update
    store.await_originals([("orig", "copy")])
    store.write_batch([doc("copy", text="نص منقول")], now=T0)
    store.write_batch([doc("orig", text="النص الأصلي")], now=T0 + timedelta(hours=3))  # linking
    stored = {d["_id"]: d for d in store.articles.find({})}
    for _id, when in (("old", 1), ("a1", 2), ("copy", 3), ("orig", 3)):
        assert stored[_id]["changed_at"] == T0 + timedelta(hours=when), _id
        assert isinstance(stored[_id]["changed_at"], datetime), _id
    assert stored["copy"]["duplicate_of"] == "orig" and stored["copy"]["version"] == 1, "a link is no version"
    window = {"changed_at": {"$gt": T0 + timedelta(minutes=90), "$lte": T0 + timedelta(hours=3)}}
    assert sorted(d["_id"] for d in store.articles.find(window, {"_id": 1})) == ["a1", "copy", "orig"]


def test_record_hash_equals_before_and_after_storage(store: ArticleStore) -> None:
    """Microseconds and time zones as BSON keeps them: the hash of what was extracted equals the hash
    of what is read back, so the reading path never sees a change that is not there."""
    from datetime import timezone

    from newscrawler.store.mongo import record_hash

    baghdad = timezone(timedelta(hours=3))
    extracted = doc(published_at=datetime(2024, 5, 15, 6, 12, 0, 123456, tzinfo=baghdad), tags=["عراق", "نفط"])
    store.write_batch([extracted], now=T0)
    stored = store.articles.find_one({"_id": "a1"})
    assert record_hash(stored) == record_hash(extracted) == stored["record_hash"]
    assert record_hash({**extracted, "tags": ["نفط", "عراق"]}) != record_hash(extracted)
    assert record_hash({**extracted, "crawl_id": "other", "url": "https://example.com/amp/a1"}) == record_hash(extracted)

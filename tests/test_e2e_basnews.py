"""`scrapy crawl basnews` as a real subprocess against the Basnews replica, into a real database."""

from __future__ import annotations

import json
from datetime import UTC

from newscrawler.store import ArticleStore
from tests.conftest import REPLICAS
from tests.textnorm import same_text

EXPECTED = json.loads((REPLICAS / "basnews" / "expected.json").read_text("utf-8"))
SEED_000_BOILERPLATE = ["logo", "Top", "باسنیوز", "21 November 2026", "• "]


def _by_path(store: ArticleStore) -> dict[str, dict]:
    from urllib.parse import urlsplit

    return {urlsplit(d["canonical_url"]).path: d for d in store.articles.find()}


def test_crawl_stores_every_article_once_clean(replica, run_crawl, store: ArticleStore) -> None:
    server = replica("basnews")
    run = run_crawl("basnews", server.origin)
    assert run.returncode == 0, run.output[-3000:]

    docs = _by_path(store)
    expected = {a["path"]: a for a in EXPECTED["articles"]}
    assert set(docs) == set(expected), "exactly the expected articles, nothing else"
    assert store.articles.count_documents({}) == len(expected)
    for path, want in expected.items():
        doc = docs[path]
        assert doc["title"] == want["title"]
        assert doc["published_at"].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") == want["published_at"]
        assert doc["text"] == same_text(want["text"]), path
        for line in doc["text"].split("\n"):
            assert line.strip() not in SEED_000_BOILERPLATE
            assert line.strip() != doc["title"], "headline doubled into the body"
        for snippet in want["must_not_contain"]:
            assert snippet not in doc["text"], (path, snippet)
        assert doc["outlet"] == "basnews" and doc["version"] == 1 and doc["language"] == "ar"
        assert doc["first_seen_at"] == doc["last_seen_at"]

    requested = server.requested_paths()
    for path in EXPECTED["disallowed"]:
        assert path not in requested, f"robots.txt disallows {path}"
    for path in EXPECTED["not_articles"]:
        if path not in ("/ar/news",):  # the listing itself is a discovery page
            assert path not in requested, f"{path} is not an article page"
    assert all(r.user_agent.startswith("newscrawler/") for r in server.log), "honest UA, browser included"
    # The listing loads older items on scroll: 919705 is linked only from that XHR's JSON, so
    # storing it proves the rendered (scrapy-playwright + Debian chromium) path end to end.
    assert "/ar/news/more?page=2" in requested
    assert "/ar/babat/919705" in docs
    assert requested.count("/ar/news") == 1, "the listing is fetched once, by the browser"

    run_record = store.runs.find_one({"outlet": "basnews"})
    assert run_record["articles"]["new"] == len(expected)
    assert run_record["errors"].get("http_404", 0) == len(EXPECTED["missing"])


def test_second_crawl_stores_nothing_new(replica, run_crawl, store: ArticleStore) -> None:
    server = replica("basnews")
    assert run_crawl("basnews", server.origin).returncode == 0
    before = {d["_id"]: d for d in store.articles.find()}

    # Incremental (default): stored, unchanged articles are not even requested.
    fetched_before = len(server.log)
    second = run_crawl("basnews", server.origin, "-a", "crawl_id=second")
    assert second.returncode == 0, second.output[-3000:]
    stored_paths = {a["path"] for a in EXPECTED["articles"]}
    assert not [r.path for r in server.log[fetched_before:] if r.path in stored_paths]
    assert {d["_id"]: d for d in store.articles.find()} == before
    assert store.runs.find_one({"_id": "second"})["articles"]["new"] == 0

    # A full re-crawl (INCREMENTAL=False) refetches: nothing new, visits recorded, versions kept.
    third = run_crawl("basnews", server.origin, "-a", "crawl_id=third", "-s", "INCREMENTAL=False")
    assert third.returncode == 0, third.output[-3000:]
    after = {d["_id"]: d for d in store.articles.find()}
    assert set(after) == set(before)
    for _id, doc in after.items():
        assert doc["version"] == 1
        assert doc["first_seen_at"] == before[_id]["first_seen_at"]
        assert doc["last_seen_at"] > before[_id]["last_seen_at"]
        assert doc["crawl_id"] == "third"
    run_record = store.runs.find_one({"_id": "third"})
    assert run_record["articles"] == {"new": 0, "updated": 0, "unchanged": len(after), "duplicate": 0}

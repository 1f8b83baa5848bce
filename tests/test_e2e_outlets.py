"""Every outlet spider as a real `scrapy crawl` subprocess against its replica (tests/replicas/)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from urllib.parse import unquote, urlsplit

import pytest

from newscrawler.evaluation import token_prf
from newscrawler.outlets import all_outlets
from newscrawler.store import ArticleStore
from tests.conftest import REPLICAS
from tests.textnorm import same_text

OUTLETS = sorted(p.name for p in REPLICAS.iterdir() if (p / "expected.json").exists())


def expected_for(outlet: str) -> dict:
    return json.loads((REPLICAS / outlet / "expected.json").read_text("utf-8"))


def path_key(path: str) -> str:
    """Compare paths independent of percent-encoding case and trailing slash."""
    return unquote(path).rstrip("/") or "/"


def stored_by_path(store: ArticleStore) -> dict[str, dict]:
    return {path_key(urlsplit(d["canonical_url"]).path + (f"?{urlsplit(d['canonical_url']).query}"
                                                          if urlsplit(d["canonical_url"]).query else "")): d
            for d in store.articles.find()}


def check_article(doc: dict, want: dict) -> None:
    assert doc["title"] == want["title"], want["path"]
    assert doc["published_at"].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") == want["published_at"], want["path"]
    for snippet in want.get("must_not_contain", []):
        assert snippet not in doc["text"], (want["path"], snippet)
    for snippet in want.get("must_contain", []):
        assert same_text(snippet) in doc["text"], (want["path"], snippet)
    assert token_prf(doc["text"], same_text(want["text"]))[2] >= 0.98, want["path"]
    if "source_name" in want:
        assert doc["source_name"] == want["source_name"], want["path"]


def test_every_declared_outlet_has_a_replica() -> None:
    assert set(OUTLETS) == set(all_outlets())


@pytest.mark.parametrize("outlet", OUTLETS)
def test_crawl_outlet_replica(outlet: str, replica, run_crawl, store: ArticleStore) -> None:
    expected = expected_for(outlet)
    server = replica(outlet)
    run = run_crawl(outlet, server.origin)
    assert run.returncode == 0, run.output[-3000:]

    docs = stored_by_path(store)
    wanted = {path_key(a["path"]): a for a in expected["articles"]}
    assert set(docs) == set(wanted), "every expected article, and no other page, stored"
    assert store.articles.count_documents({}) == len(wanted), "each article once"
    for key, want in wanted.items():
        check_article(docs[key], want)

    requested = {path_key(r.path) for r in server.log}
    for path in expected.get("disallowed", []):
        assert path_key(path) not in requested, f"robots.txt disallows {path}"
    for path in expected.get("not_articles", []):
        assert path_key(path) not in docs
    assert all(r.user_agent.startswith("newscrawler/") for r in server.log)
    record = store.runs.find_one({"outlet": outlet})
    assert record["articles"]["new"] == len(wanted)
    assert record["errors"].get("http_404", 0) >= len(expected.get("missing", [])) > 0


@pytest.mark.parametrize("outlet", [o for o in OUTLETS if expected_for(o).get("since")])
def test_since_skips_old_feed_and_sitemap_items_before_fetching(outlet: str, replica, run_crawl,
                                                                store: ArticleStore) -> None:
    expected = expected_for(outlet)
    since = expected["since"]["date"]
    server = replica(outlet)
    assert run_crawl(outlet, server.origin, "-a", f"since={since}").returncode == 0
    requested = {path_key(r.path) for r in server.log}
    cutoff = datetime.fromisoformat(since).replace(tzinfo=UTC)
    old_unlisted = [a for a in expected["articles"]
                    if datetime.fromisoformat(a["published_at"].replace("Z", "+00:00")) < cutoff
                    and "listing" not in "".join(a.get("discovered_by", ["listing"]))]
    for article in old_unlisted:
        assert path_key(article["path"]) not in requested, article["path"]
    for path in expected["since"]["articles"]:
        assert path_key(path) in stored_by_path(store)


def test_max_articles_bounds_a_run(replica, run_crawl, store: ArticleStore) -> None:
    server = replica("almada" if "almada" in OUTLETS else OUTLETS[0])
    assert run_crawl(server.site.root.name, server.origin, "-a", "max_articles=2").returncode == 0
    assert store.articles.count_documents({}) == 2


def test_other_editions_only_when_asked(replica, run_crawl, store: ArticleStore) -> None:
    expected = expected_for("kurdistan24")
    server = replica("kurdistan24")
    assert run_crawl("kurdistan24", server.origin).returncode == 0
    assert not any(path_key(r.path).startswith("/ckb/") for r in server.log), "Arabic edition by default"
    assert run_crawl("kurdistan24", server.origin, "-a", "editions=ar,ckb").returncode == 0
    docs = stored_by_path(store)
    for want in expected["edition_articles"]["ckb"]:
        doc = docs[path_key(want["path"])]
        check_article(doc, want)
        assert doc["language"] == "ckb"


def test_aggregator_copies_record_source_and_link_to_the_original(replica, run_crawl, store: ArticleStore) -> None:
    """hathalyoum copies credit their original; when the original is stored, the copy links to it,
    whichever of the two was crawled first."""
    hath, almada = expected_for("hathalyoum"), expected_for("almada")
    assert run_crawl("hathalyoum", replica("hathalyoum").origin).returncode == 0
    assert run_crawl("almada", replica("almada").origin).returncode == 0
    docs = stored_by_path(store)
    almada_ids = {path_key(a["path"]): docs[path_key(a["path"])]["_id"] for a in almada["articles"]}
    linked = 0
    for want in hath["articles"]:
        copy = docs[path_key(want["path"])]
        assert copy["source_name"] == want["source_name"]
        assert copy["source_url"] == want["source_url"]
        original_path = path_key(urlsplit(want["source_url"]).path)
        if "almadapaper.net" in want["source_url"] and original_path in almada_ids:
            assert copy["duplicate_of"] == almada_ids[original_path], want["path"]
            linked += 1
    assert linked == 2
    for a in almada["articles"]:
        assert docs[path_key(a["path"])]["duplicate_of"] is None, "an original is never a copy of its copy"


def test_a_store_batch_waits_for_more_articles(replica, run_crawl, store: ArticleStore) -> None:
    """STORE_BATCH_WAIT_SECONDS: the replica's articles are written in one or two batches; without
    the wait each is written as soon as it arrives while the writer is idle."""
    server = replica("almada")
    articles = len(expected_for("almada")["articles"])

    def batches(run) -> int:  # type: ignore[no-untyped-def]
        assert run.returncode == 0, run.output[-3000:]
        found = re.search(r"'store/batches': (\d+)", run.output)
        assert found, run.output[-3000:]
        return int(found.group(1))

    gathered = batches(run_crawl("almada", server.origin))
    assert store.articles.count_documents({}) == articles >= 6
    at_once = batches(run_crawl("almada", server.origin, "-s", "INCREMENTAL=False", "-s", "STORE_BATCH_WAIT_SECONDS=0"))
    assert gathered <= 2 < 3 <= at_once, (gathered, at_once)  # measured: 1-2 and 7 (one per article)

"""Every outlet spider as a real `scrapy crawl` subprocess against its replica (tests/replicas/)."""

from __future__ import annotations

import json
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

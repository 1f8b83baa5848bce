"""Crawls running at the same time into one database, without the scheduler's lock: an aggregator
crawled twice at once and the outlets it copies from. Every copy whose original is stored points to
it, whichever was written first, and no article is stored twice."""

from __future__ import annotations

import os
import subprocess
import sys

from newscrawler.store import ArticleStore
from tests.conftest import FAST, PROJECT_DIR


def test_concurrent_crawls_leave_no_copy_unlinked(replica, store: ArticleStore, mongo_uri: str, db_name: str,
                                                 tmp_path) -> None:
    env = {**os.environ, "MONGO_URI": mongo_uri, "MONGO_DATABASE": db_name, "NEWSCRAWLER_DATA_DIR": str(tmp_path)}
    runs = [("hathalyoum", "h1"), ("hathalyoum", "h2"), ("almada", "a1"), ("rudaw", "r1"), ("shafaq", "s1")]
    procs = [subprocess.Popen([sys.executable, "-m", "scrapy", "crawl", outlet, "-a",
                               f"base_url={replica(outlet).origin}", "-a", f"crawl_id={crawl_id}", *FAST,
                               "-s", "STORE_BATCH_SIZE=2"],
                              cwd=PROJECT_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for outlet, crawl_id in runs]
    assert [p.wait(timeout=240) for p in procs] == [0] * len(procs)

    docs = list(store.articles.find())
    assert len({d["canonical_url"] for d in docs}) == len(docs), "no article stored twice"
    ids = {d["_id"] for d in docs}
    copies = [d for d in docs if d.get("source_article_id") in ids]
    assert len(copies) >= 3, "the aggregator's copies of crawled outlets"
    assert all(d["duplicate_of"] == d["source_article_id"] for d in copies), [
        (d["url"], d["source_article_id"], d["duplicate_of"]) for d in copies]

"""Distributed mode: two worker processes share one Redis frontier and dupefilter (a real
redis-server on 127.0.0.1) and one database: every article fetched once in total, no duplicate
documents, near-duplicate detection shared."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from newscrawler.replica import ReplicaServer
from newscrawler.scrapy_ext.distributed import clear_frontier
from newscrawler.store import ArticleStore
from tests.conftest import FAST, PROJECT_DIR, REPLICAS, free_port


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    binary = shutil.which("redis-server")
    assert binary, "redis-server is installed by scripts/install-system-deps"
    port = free_port()
    # redis-server (jemalloc) cannot start under libfaketime's preload (`make test-shifted-clock`):
    # it runs on the real clock; only our code needs the shifted one.
    env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "FAKETIME", "FAKETIME_NO_CACHE")}
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(tmp_path)], stdout=subprocess.DEVNULL, env=env)
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            redis.Redis.from_url(url).ping()
            break
        except redis.ConnectionError:
            time.sleep(0.1)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


def crawl_with_workers(outlet: str, origin: str, env: dict[str, str], workers: int = 2) -> list[int]:
    clear_frontier(env["NEWSCRAWLER_REDIS_URL"], [outlet])
    procs = [subprocess.Popen([sys.executable, "-m", "scrapy", "crawl", outlet, "-a", f"base_url={origin}",
                               "-a", f"crawl_id={outlet}-w{n}", *FAST, "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1",
                               "-s", "CONCURRENT_REQUESTS=1"],
                              cwd=PROJECT_DIR, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for n in range(workers)]
    return [p.wait(timeout=180) for p in procs]


def test_two_workers_share_frontier_and_dedup(redis_url: str, mongo_uri: str, db_name: str,
                                              store: ArticleStore, tmp_path: Path) -> None:
    env = {**os.environ, "NEWSCRAWLER_REDIS_URL": redis_url, "MONGO_URI": mongo_uri, "MONGO_DATABASE": db_name,
           "NEWSCRAWLER_DATA_DIR": str(tmp_path / "data")}
    almada = ReplicaServer(REPLICAS / "almada", delay=0.4).start()
    hath = ReplicaServer(REPLICAS / "hathalyoum", delay=0.4).start()
    try:
        assert crawl_with_workers("almada", almada.origin, env) == [0, 0]
        assert crawl_with_workers("hathalyoum", hath.origin, env) == [0, 0]
    finally:
        almada.stop()
        hath.stop()

    for outlet, server in (("almada", almada), ("hathalyoum", hath)):
        expected = json.loads((REPLICAS / outlet / "expected.json").read_text("utf-8"))
        paths = {a["path"] for a in expected["articles"]}
        fetched = Counter(r.path for r in server.log if r.path in paths)
        assert fetched == Counter({p: 1 for p in paths}), f"{outlet}: every article fetched exactly once in total"
        runs = list(store.runs.find({"outlet": outlet}))
        assert len(runs) == 2 and sum(r["article_pages"] for r in runs) == len(paths)
        assert all(r["pages_fetched"] > 1 for r in runs), f"{outlet}: both workers took requests from the frontier"
    assert store.articles.count_documents({}) == 14, "no duplicate documents"
    copies = list(store.articles.find({"outlet": "hathalyoum", "duplicate_of": {"$ne": None}}))
    assert len(copies) == 2, "copies found by hathalyoum workers link to originals stored by almada workers"

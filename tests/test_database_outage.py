"""The database goes away in the middle of a real crawl: every article fetched is stored or kept
in the quarantine (exactly), the exit status says the run was not clean, and `replay` (or the next
crawl) brings everything in, the run record included."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from newscrawler.ingest import replay
from newscrawler.outlets import get_outlet
from newscrawler.replica import ReplicaServer
from newscrawler.store import ArticleStore, connect
from newscrawler.store.embedded import EmbeddedServer
from tests.conftest import FAST, PROJECT_DIR, REPLICAS, free_port

ALMADA = get_outlet("almada")


def article_path(url: str) -> str:
    return urlsplit(url).path.rstrip("/")


def crawl_through_outage(command: list[str], env: dict[str, str], store: ArticleStore, server: EmbeddedServer,
                         site: ReplicaServer, outage: float | None) -> tuple[int, str, set[str]]:
    """Run the crawl; once it has stored its first article, the database goes away for `outage`
    seconds (None: for good). Returns its exit code, its output and the article paths the site served."""
    crawl = subprocess.Popen(command, cwd=PROJECT_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True)
    try:
        output = _outage(crawl, store, server, outage)
    finally:
        if crawl.poll() is None:
            crawl.kill()
        site.stop()
    fetched = {article_path(r.path) for r in site.log
               if r.status == 200 and ALMADA.is_article_url(f"http://x{r.path}")}
    return crawl.returncode, output, fetched


def _outage(crawl: subprocess.Popen, store: ArticleStore, server: EmbeddedServer, outage: float | None) -> str:
    deadline = time.monotonic() + 120
    while store.articles.count_documents({}) == 0 and time.monotonic() < deadline and crawl.poll() is None:
        time.sleep(0.1)  # waiting for evidence: the first article stored
    assert store.articles.count_documents({}) >= 1, "the crawl stored an article before the outage"
    server.stop()
    if outage is not None:
        time.sleep(outage)  # the length of the outage is the test's subject
        server.start()
    return crawl.communicate(timeout=300)[0]


@pytest.mark.parametrize("outage", [10.0, 45.0, None], ids=["10s", "45s", "forever"])
def test_database_away_mid_crawl(tmp_path: Path, outage: float | None) -> None:
    server = EmbeddedServer(tmp_path / "db", free_port())
    uri = server.start()
    client = connect(uri)
    store = ArticleStore(client["outage"])
    quarantine = tmp_path / "quarantine"
    site = ReplicaServer(REPLICAS / "almada", delay=0.4).start()
    env = {**os.environ, "MONGO_URI": uri, "MONGO_DATABASE": "outage", "NEWSCRAWLER_DATA_DIR": str(tmp_path / "data")}
    command = [sys.executable, "-m", "scrapy", "crawl", "almada", "-a", f"base_url={site.origin}", "-a",
               "crawl_id=outage", *FAST, "-s", f"QUARANTINE_DIR={quarantine}", "-s", "STORE_BATCH_SIZE=1",
               "-s", "MONGO_SERVER_SELECTION_TIMEOUT_MS=1500", "-s", "STORE_WRITE_RETRIES=1"]
    code, output, fetched = crawl_through_outage(command, env, store, server, site, outage)
    if outage is None:
        server.start()
    stored = {article_path(d["url"]) for d in store.articles.find()}
    kept = [json.loads(line) for f in quarantine.glob("*.jsonl") for line in f.read_text("utf-8").splitlines()]
    kept_paths = {article_path(k["url"]) for k in kept}
    assert stored | kept_paths == fetched, "every fetched article is stored or quarantined"
    assert not stored & kept_paths, "none is both"
    assert kept, "the outage cost writes: they were kept"
    assert code == 1, output[-3000:]  # not a clean run
    if outage is None:
        assert list((quarantine / "runs").glob("*.json")), "the final run record was spooled"

    report = replay(quarantine, store)
    assert {article_path(d["url"]) for d in store.articles.find()} == fetched
    assert store.articles.count_documents({}) == len(fetched), "each article once"
    record = store.runs.find_one({"_id": "outage"})
    assert record is not None and record["finish_reason"] != "running" and record["items_failed"] >= 1, report
    client.close()
    server.stop()


def test_a_short_outage_within_the_timeouts_pauses_the_crawl_and_loses_nothing(tmp_path: Path) -> None:
    """With the default server-selection timeout (30 s) a 10 s outage is waited out on the database
    thread: the items wait (and hold the downloader back), then everything is stored; a clean run."""
    server = EmbeddedServer(tmp_path / "db", free_port())
    uri = server.start()
    client = connect(uri)
    store = ArticleStore(client["pause"])
    site = ReplicaServer(REPLICAS / "almada", delay=0.4).start()
    env = {**os.environ, "MONGO_URI": uri, "MONGO_DATABASE": "pause", "NEWSCRAWLER_DATA_DIR": str(tmp_path / "data")}
    command = [sys.executable, "-m", "scrapy", "crawl", "almada", "-a", f"base_url={site.origin}", *FAST,
               "-s", f"QUARANTINE_DIR={tmp_path / 'q'}", "-s", "STORE_BATCH_SIZE=1"]
    code, output, fetched = crawl_through_outage(command, env, store, server, site, 10.0)
    assert {article_path(d["url"]) for d in store.articles.find()} == fetched, output[-3000:]
    assert not list((tmp_path / "q").glob("*.jsonl")), "nothing needed the quarantine"
    assert code == 0, output[-3000:]
    client.close()
    server.stop()

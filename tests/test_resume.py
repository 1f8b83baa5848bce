"""A crawl killed with SIGKILL mid-run and restarted with the same JOBDIR completes: no article
lost, none stored twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from newscrawler.replica import ReplicaServer
from newscrawler.store import ArticleStore
from tests.conftest import FAST, PROJECT_DIR, REPLICAS


def test_sigkill_mid_crawl_then_resume(mongo_uri: str, db_name: str, store: ArticleStore, tmp_path: Path) -> None:
    expected = json.loads((REPLICAS / "baghdadtoday" / "expected.json").read_text("utf-8"))
    server = ReplicaServer(REPLICAS / "baghdadtoday", delay=0.4).start()
    env = {**os.environ, "MONGO_URI": mongo_uri, "MONGO_DATABASE": db_name,
           "NEWSCRAWLER_DATA_DIR": str(tmp_path / "data")}
    command = [sys.executable, "-m", "scrapy", "crawl", "baghdadtoday", "-a", f"base_url={server.origin}",
               "-s", f"JOBDIR={tmp_path / 'job'}", *FAST, "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1",
               "-s", "STORE_BATCH_SIZE=2"]
    try:
        first = subprocess.Popen(command, cwd=PROJECT_DIR, env=env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while store.articles.count_documents({}) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        stored_at_kill = store.articles.count_documents({})
        first.send_signal(signal.SIGKILL)
        first.wait()
        assert 2 <= stored_at_kill < len(expected["articles"]), "killed mid-run"

        second = subprocess.run(command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=180)
        assert second.returncode == 0, second.stdout[-2000:] + second.stderr[-2000:]
    finally:
        server.stop()
    titles = sorted(d["title"] for d in store.articles.find())
    assert titles == sorted(a["title"] for a in expected["articles"]), "every article, each once"
    assert all(d["version"] == 1 for d in store.articles.find())

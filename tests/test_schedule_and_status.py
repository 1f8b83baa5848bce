"""Scheduler (database lock, graceful SIGTERM) and `newscrawler status` alarms."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from newscrawler.scheduler import parse_interval
from newscrawler.status import status_rows
from newscrawler.store import ArticleStore
from newscrawler.store.locks import Lock
from tests.conftest import PROJECT_DIR


def test_lock_excludes_a_second_holder_and_expires_when_its_holder_dies(store: ArticleStore, mongo_uri: str,
                                                                         db_name: str) -> None:
    first = Lock(store.db, "crawl:almada", ttl=30, holder="a")
    assert first.acquire()
    assert not Lock(store.db, "crawl:almada", ttl=30, holder="b").acquire()
    first.release()
    second = Lock(store.db, "crawl:almada", ttl=30, holder="b")
    assert second.acquire()
    second.release()

    # A holder killed with SIGKILL stops renewing: its lock expires after ttl.
    code = ("import sys,time; from newscrawler.store import connect; from newscrawler.store.locks import Lock;"
            f"l=Lock(connect({mongo_uri!r})[{db_name!r}], 'crawl:zagros', ttl=2); print(l.acquire(), flush=True);"
            "time.sleep(60)")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, cwd=PROJECT_DIR)
    assert proc.stdout.readline().strip() == "True"
    proc.kill()
    proc.wait()
    assert not Lock(store.db, "crawl:zagros", ttl=2, holder="c").acquire()
    time.sleep(2.5)
    taker = Lock(store.db, "crawl:zagros", ttl=2, holder="c")
    assert taker.acquire()
    taker.release()


def test_sigterm_stops_the_scheduler_gracefully(mongo_uri: str, db_name: str, store: ArticleStore,
                                                tmp_path: Path) -> None:
    env = {**os.environ, "MONGO_URI": mongo_uri, "MONGO_DATABASE": db_name}
    proc = subprocess.Popen([sys.executable, "-m", "newscrawler.cli", "schedule", "--every", "1h", "almada",
                             "--replicas", str(PROJECT_DIR / "tests" / "replicas"), "--replica-delay", "1.0"],
                            cwd=PROJECT_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 60
    while store.db.locks.find_one({"_id": "crawl:almada"}) is None and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1.5)  # the crawl is under way (1 s per response)
    proc.send_signal(signal.SIGTERM)
    output, _ = proc.communicate(timeout=90)
    assert proc.returncode == 0, output[-2000:]
    record = store.runs.find_one({"outlet": "almada"})
    assert record["finish_reason"] == "shutdown", "Scrapy stopped gracefully and wrote its run record"
    assert store.db.locks.find_one({"_id": "crawl:almada"}) is None, "the lock is released"


def test_status_flags_outlets_that_broke(store: ArticleStore) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)

    def run(outlet: str, day: int, new: int, warnings: int = 0, pages: int = 10, **extra: object) -> dict:
        return {"_id": f"{outlet}-{day}", "outlet": outlet, "started_at": start + timedelta(days=day),
                "finish_reason": "finished", "failed": None, "articles": {"new": new, "updated": 0, "unchanged": 0},
                "article_pages": pages, "pages_fetched": pages + 3, "error_count": 0,
                "extraction_warnings": {"no_date": warnings}, "errors": {}, **extra}

    store.runs.insert_many([
        run("basnews", 1, 8), run("basnews", 2, 7), run("basnews", 3, 0, pages=0),     # yield fell to zero
        run("zagros", 1, 9, 0), run("zagros", 2, 8, 1), run("zagros", 3, 9, 8),      # warnings jumped
        run("almada", 1, 5), run("almada", 2, 6, 1),                                  # healthy
        run("rudaw", 1, 4, failed="monitors: Outlet yield"),
    ])
    rows = {r["outlet"]: r["flags"] for r in status_rows(store, ["basnews", "zagros", "almada", "rudaw", "shafaq"])}
    assert rows == {"basnews": ["NO-YIELD"], "zagros": ["WARNINGS"], "almada": [], "rudaw": ["FAILED"],
                    "shafaq": ["NEVER-RUN"]}


def test_parse_interval() -> None:
    assert [parse_interval(x) for x in ("30m", "2h", "45s", "1d", "90")] == [1800, 7200, 45, 86400, 90]

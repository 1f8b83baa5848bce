"""Scheduler (database lock, graceful stop, one forwarded signal) and `newscrawler status` alarms.

Process tests synchronise on evidence, never on fixed sleeps: the scheduler's own log lines, the
"running" crawl_runs record written when the spider opens, and the replica's access log.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pymongo.uri_parser import parse_uri
from scrapy import Spider
from scrapy.utils.test import get_crawler

from newscrawler.replica import ReplicaServer
from newscrawler.scheduler import parse_interval
from newscrawler.scrapy_ext.run_record import RunRecordExtension
from newscrawler.status import alarmed, outlet_flags, run_state, status_rows
from newscrawler.store import ArticleStore
from newscrawler.store.locks import Lock
from tests.conftest import FAST, PROJECT_DIR, REPLICAS

GRACEFUL = "shutting down gracefully"  # Scrapy's log line for the first SIGTERM/SIGINT
FORCED = "forcing unclean shutdown"  # ... and for a second one


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


# --- the scheduler as a process ---------------------------------------------------------------------------------


class Scheduled:
    """A `newscrawler schedule … almada` process against a slow replica; its output is collected."""

    def __init__(self, store: ArticleStore, env: dict[str, str], origin: str, *extra: str,
                 new_session: bool = False) -> None:
        self.store = store
        command = [sys.executable, "-m", "newscrawler.cli", "schedule", "--every", "1h", "almada", *extra,
                   "-a", f"base_url={origin}", *FAST, "-s", "LOG_LEVEL=INFO"]
        self.proc = subprocess.Popen(command, cwd=PROJECT_DIR, env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, start_new_session=new_session)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout
        for line in self.proc.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_for(self, what: str, check: Callable[[], Any], timeout: float = 60) -> Any:
        """Poll `check` until it returns something truthy (the evidence), while the scheduler runs."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if value := check():
                return value
            assert self.proc.poll() is None, f"scheduler exited before {what}:\n{self.output[-3000:]}"
            time.sleep(0.05)
        raise AssertionError(f"no {what} within {timeout}s:\n{self.output[-3000:]}")

    def logged(self, text: str) -> bool:
        return any(text in line for line in self.lines)

    def running_record(self) -> dict[str, Any] | None:
        return self.store.runs.find_one({"outlet": "almada", "finish_reason": "running"})

    def finish(self, timeout: float = 90) -> int:
        code = self.proc.wait(timeout=timeout)
        self._reader.join(timeout=10)
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for run in self.store.runs.find({"outlet": "almada"}):  # the crawl runs in its own session
            if run.get("pid") and run.get("finish_reason") == "running":
                try:
                    os.kill(run["pid"], signal.SIGKILL)
                except ProcessLookupError:
                    pass


@pytest.fixture
def slow_almada() -> Iterator[ReplicaServer]:
    """Almada's replica answering each page after 1 s (robots.txt at once): a crawl under way for a while."""
    server = ReplicaServer(REPLICAS / "almada", delay=1.0).start()
    yield server
    server.stop()


@pytest.fixture
def scheduled(store: ArticleStore, mongo_uri: str, db_name: str, tmp_path: Path,
              slow_almada: ReplicaServer) -> Iterator[Callable[..., Scheduled]]:
    env = {**os.environ, "MONGO_URI": mongo_uri, "MONGO_DATABASE": db_name,
           "NEWSCRAWLER_DATA_DIR": str(tmp_path / "data")}
    started: list[Scheduled] = []

    def start(*extra: str, new_session: bool = False) -> Scheduled:
        started.append(Scheduled(store, env, slow_almada.origin, *extra, new_session=new_session))
        return started[-1]

    yield start
    for run in started:
        run.kill()


def pages_served(server: ReplicaServer) -> list[str]:
    return [p for p in server.requested_paths() if not p.endswith("robots.txt")]


def crawl_under_way(run: Scheduled, server: ReplicaServer) -> dict[str, Any]:
    """Evidence that the crawl is past start-up and fetching: its running record, and a page served."""
    return run.wait_for("crawl under way (running record and a page served)",
                        lambda: pages_served(server) and run.running_record())


def assert_graceful_stop_recorded_by_the_crawl(store: ArticleStore, running: dict[str, Any], output: str) -> None:
    record = store.runs.find_one({"_id": running["_id"]})
    assert record["finish_reason"] == "shutdown", output[-3000:]
    assert "recorded_by" not in record, "Scrapy itself stopped gracefully and wrote its final record"
    assert record["started_at"] == running["started_at"] and record["pages_fetched"] >= 1
    assert output.count(GRACEFUL) == 1 and FORCED not in output, output[-3000:]
    assert store.db.locks.find_one({"_id": "crawl:almada"}) is None, "the lock is released"
    assert outlet_flags([record]) == ["STOPPED"], "a graceful stop is not an alarm"


def test_sigterm_stops_the_scheduler_gracefully(scheduled, slow_almada: ReplicaServer, store: ArticleStore) -> None:
    run = scheduled()
    running = crawl_under_way(run, slow_almada)
    assert running["_id"].startswith("almada-") and isinstance(running["started_at"], datetime)
    assert running["origin"] == slow_almada.origin and running["pid"] > 0
    run.proc.send_signal(signal.SIGTERM)
    assert run.finish() == 0, run.output[-3000:]
    assert_graceful_stop_recorded_by_the_crawl(store, running, run.output)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_process_group_signal_gives_one_graceful_stop(scheduled, slow_almada: ReplicaServer, store: ArticleStore,
                                                        signum: int) -> None:
    """Ctrl-C in a terminal (SIGINT) or `kill -TERM -PGID` signal the scheduler's whole process group. The
    crawl runs in its own session, so it gets exactly one signal: the SIGTERM the scheduler forwards once,
    even when the scheduler is signalled again."""
    run = scheduled(new_session=True)  # the scheduler leads its own group, as a shell job does
    running = crawl_under_way(run, slow_almada)
    assert os.getsid(running["pid"]) == running["pid"] != os.getsid(run.proc.pid), "the crawl has its own session"
    os.killpg(run.proc.pid, signum)
    run.wait_for("the forwarded stop", lambda: run.logged("stop requested: SIGTERM to the crawl"))
    os.killpg(run.proc.pid, signum)  # an impatient second Ctrl-C
    assert run.finish() == 0, run.output[-3000:]
    assert_graceful_stop_recorded_by_the_crawl(store, running, run.output)
    assert "Received SIGTERM, shutting down gracefully" in run.output, "the forwarded signal, not the group's"
    assert run.logged("stop requested again"), run.output[-3000:]


def test_sigterm_during_start_up_still_leaves_a_finished_run_record(scheduled, slow_almada: ReplicaServer,
                                                                    store: ArticleStore) -> None:
    run = scheduled()
    line = run.wait_for("the crawl process start", lambda: next((x for x in run.lines if "started (pid" in x), None))
    run.proc.send_signal(signal.SIGTERM)  # the crawl is importing Scrapy: no handler of its own yet
    assert run.finish() == 0, run.output[-3000:]
    crawl_id = line.split("crawl ", 1)[1].split(" ", 1)[0]
    record = store.runs.find_one({"_id": crawl_id})
    assert record is not None, run.output[-3000:]
    assert record["finish_reason"] == "shutdown" and record["failed"] is None
    assert record["recorded_by"] == "scheduler" and record["exit_status"] == -signal.SIGTERM, record
    assert isinstance(record["started_at"], datetime) and isinstance(record["finished_at"], datetime)
    assert pages_served(slow_almada) == [], "stopped before any page"
    assert store.db.locks.find_one({"_id": "crawl:almada"}) is None
    assert outlet_flags([record]) == ["STOPPED"]


def test_a_crawl_that_dies_does_not_stay_running(scheduled, slow_almada: ReplicaServer, store: ArticleStore) -> None:
    run = scheduled("--rounds", "1")
    running = crawl_under_way(run, slow_almada)
    os.kill(running["pid"], signal.SIGKILL)  # OOM killer, a crash: no close, no final record
    assert run.finish() == 0, run.output[-3000:]
    record = store.runs.find_one({"_id": running["_id"]})
    assert record["finish_reason"] == "crashed" and record["exit_status"] == -signal.SIGKILL
    assert "exit status -9" in record["failed"] and record["started_at"] == running["started_at"]
    assert outlet_flags([record]) == ["FAILED", "NO-YIELD"]


# --- the run record extension -----------------------------------------------------------------------------------


class DatabaseProxy:
    """127.0.0.1:port in front of the test database: refuses connections (the database is away)
    until `open()`, then forwards them, each chunk `delay` seconds late (a slow database)."""

    def __init__(self, target: str, delay: float = 0.0) -> None:
        self.target = parse_uri(target)["nodelist"][0]
        self.delay = delay
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))  # bound, not listening: connections are refused
        self.uri = f"mongodb://127.0.0.1:{self.listener.getsockname()[1]}/"

    def open(self) -> DatabaseProxy:
        self.listener.listen()
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
                upstream = socket.create_connection(self.target)
            except OSError:  # closed, or the test database is gone (session teardown)
                return
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                time.sleep(self.delay)
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread
        self.listener.close()


def test_running_record_write_does_not_wait_for_an_absent_database(store: ArticleStore, mongo_uri: str,
                                                                   db_name: str,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    database = DatabaseProxy(mongo_uri)
    crawler = get_crawler(Spider, settings_dict={
        "MONGO_URI": database.uri, "MONGO_DATABASE": db_name, "RUN_RECORD_OPEN_TIMEOUT": 1,
        "MONGO_SERVER_SELECTION_TIMEOUT_MS": 30_000})
    spider = Spider(name="almada")
    spider.crawl_id, spider.origin = "away-then-back", "http://mirror.example"
    extension = RunRecordExtension.from_crawler(crawler)
    try:
        began = time.monotonic()
        with caplog.at_level(logging.ERROR, logger="newscrawler.scrapy_ext.run_record"):
            extension.open_run(extension.running_record(spider))  # what spider_opened runs on the database thread
        assert time.monotonic() - began < 10, "bounded by RUN_RECORD_OPEN_TIMEOUT, not the 30 s server selection"
        assert "could not write the running record away-then-back" in caplog.text
        assert store.runs.find_one({"_id": "away-then-back"}) is None

        database.open()  # the database is back before the crawl ends
        extension.write_final(extension.final_record(spider, "finished"), None)  # spider_closed's thread work
        crawler._newscrawler_store.db.client.close()
    finally:
        database.close()
    record = store.runs.find_one({"_id": "away-then-back"})
    assert record["finish_reason"] == "finished" and record["origin"] == "http://mirror.example"
    assert isinstance(record["started_at"], datetime) and record["finished_at"] >= record["started_at"]


def test_bare_crawl_stopped_while_its_spider_opens_records_shutdown(store: ArticleStore, mongo_uri: str,
                                                                    db_name: str, tmp_path: Path,
                                                                    replica) -> None:
    """`scrapy crawl` (no scheduler) signalled after Scrapy handles signals but before the engine runs
    (here: its pipelines wait for a slow database): Scrapy stops without closing the spider."""
    server = replica("almada")
    database = DatabaseProxy(mongo_uri, delay=0.3).open()
    env = {**os.environ, "MONGO_URI": database.uri, "MONGO_DATABASE": db_name,
           "NEWSCRAWLER_DATA_DIR": str(tmp_path / "data")}
    proc = subprocess.Popen([sys.executable, "-m", "scrapy", "crawl", "almada", "-a", f"base_url={server.origin}",
                             "-a", "crawl_id=early", *FAST, "-s", "LOG_LEVEL=INFO"], cwd=PROJECT_DIR, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert proc.stdout
        lines = []
        for line in proc.stdout:  # evidence: the spider is opening (its pipelines connect next)
            lines.append(line)
            if "Spider opened" in line:
                proc.send_signal(signal.SIGTERM)
                break
        output = "".join(lines) + proc.communicate(timeout=120)[0]
    finally:
        if proc.poll() is None:
            proc.kill()
        database.close()
    record = store.runs.find_one({"_id": "early"})
    assert "Received SIGTERM, shutting down gracefully" in output, output[-3000:]
    assert record is not None and record["finish_reason"] == "shutdown", output[-3000:]
    assert record["failed"] is None and record["pages_fetched"] == 0 and pages_served(server) == []
    assert outlet_flags([record]) == ["STOPPED"]


def test_start_up_failure_is_recorded_as_aborted(run_crawl, replica, store: ArticleStore) -> None:
    run = run_crawl("almada", replica("almada").origin, "-a", "crawl_id=broken",
                    "-s", 'ITEM_PIPELINES={"pipelines.nonexistent.Pipeline": 100}')
    assert run.returncode == 1, run.output[-3000:]
    record = store.runs.find_one({"_id": "broken"})
    assert record["finish_reason"] == "aborted" and "start-up failed" in record["failed"], run.output[-3000:]
    assert outlet_flags([record]) == ["FAILED", "NO-YIELD"]


# --- status -----------------------------------------------------------------------------------------------------

START = datetime(2026, 1, 1, tzinfo=UTC)  # records' own dates; `now` is passed in, never today's date


def run_doc(outlet: str, day: int, new: int, warnings: int = 0, pages: int = 10, **extra: object) -> dict:
    return {"_id": f"{outlet}-{day}", "outlet": outlet, "started_at": START + timedelta(days=day),
            "finish_reason": "finished", "failed": None, "articles": {"new": new, "updated": 0, "unchanged": 0},
            "article_pages": pages, "pages_fetched": pages + 3, "error_count": 0,
            "extraction_warnings": {"no_date": warnings}, "errors": {}, **extra}


def test_status_flags_outlets_that_broke(store: ArticleStore) -> None:
    store.runs.insert_many([
        run_doc("basnews", 1, 8), run_doc("basnews", 2, 7), run_doc("basnews", 3, 0, pages=0),  # yield fell to 0
        run_doc("zagros", 1, 9, 0), run_doc("zagros", 2, 8, 1), run_doc("zagros", 3, 9, 8),    # warnings jumped
        run_doc("almada", 1, 5), run_doc("almada", 2, 6, 1),                                    # healthy
        run_doc("rudaw", 1, 4, failed="monitors: Outlet yield"),
    ])
    rows = {r["outlet"]: r["flags"] for r in status_rows(store, ["basnews", "zagros", "almada", "rudaw", "shafaq"],
                                                         now=START + timedelta(days=30))}
    assert rows == {"basnews": ["NO-YIELD"], "zagros": ["WARNINGS"], "almada": [], "rudaw": ["FAILED"],
                    "shafaq": ["NEVER-RUN"]}


def test_status_shutdown_is_stopped_not_failed_and_running_records_go_stale(store: ArticleStore) -> None:
    now = START + timedelta(days=3, hours=1)  # an hour after day 3's runs started
    stopped = {"finish_reason": "shutdown", "failed": "monitors: Finish Reason, Outlet yield", "pages": 2}
    store.runs.insert_many([
        run_doc("almada", 1, 5), run_doc("almada", 2, 6), run_doc("almada", 3, 0, **stopped),
        run_doc("zagros", 2, 6), run_doc("zagros", 3, 0, pages=0, finish_reason="shutdown", failed="database_error"),
        run_doc("rudaw", 1, 5), run_doc("rudaw", 2, 6), run_doc("rudaw", 3, 0, pages=0, finish_reason="running"),
        run_doc("shafaq", 1, 5), run_doc("shafaq", 2, 0, pages=0, finish_reason="running"),   # started a day ago
        run_doc("basnews", 1, 5), run_doc("basnews", 2, 0, pages=0),                            # broke ...
        run_doc("basnews", 3, 0, pages=0, finish_reason="running"),                             # ... and runs again
    ])
    names = ["almada", "zagros", "rudaw", "shafaq", "basnews"]
    rows = {r["outlet"]: r["flags"] for r in status_rows(store, names, now=now, max_run=timedelta(hours=6))}
    assert rows == {
        "almada": ["STOPPED"],               # graceful stop: not FAILED, no NO-YIELD from the cut-short run
        "zagros": ["STOPPED", "FAILED"],     # stopped, but a database failure is still a failure
        "rudaw": ["RUNNING"],                # started an hour ago
        "shafaq": ["ABANDONED"],             # "running" for a day: its crawl died without a record
        "basnews": ["RUNNING", "NO-YIELD"],  # the alarm of the last run that ended stays up
    }
    # The rule compares a run's own start with `now` and the allowed duration.
    later = status_rows(store, ["rudaw"], now=now + timedelta(hours=6))
    assert later[0]["flags"] == ["ABANDONED"]
    longer = status_rows(store, ["shafaq"], now=now, max_run=timedelta(days=2))
    assert longer[0]["flags"] == ["RUNNING"]
    assert run_state({"finish_reason": "running"}, now) == "abandoned", "no readable start: never ends"
    assert not alarmed([{"flags": ["RUNNING"]}, {"flags": ["STOPPED"]}, {"flags": ["NEVER-RUN"]}, {"flags": []}])
    assert alarmed([{"flags": ["ABANDONED"]}]) and alarmed([{"flags": ["STOPPED", "FAILED"]}])


def test_status_command_exit_status(store: ArticleStore, mongo_uri: str, db_name: str, tmp_path: Path) -> None:
    now = datetime.now(UTC)  # relative to the moment the command runs: passes on any date
    store.runs.insert_many([
        {**run_doc("almada", 1, 5), "started_at": now - timedelta(days=2)},
        {**run_doc("almada", 2, 0, finish_reason="shutdown", failed="monitors: Finish Reason"),
         "started_at": now - timedelta(days=1)},
        {**run_doc("zagros", 1, 5), "started_at": now - timedelta(days=1)},
        {**run_doc("zagros", 2, 0, finish_reason="running"), "started_at": now - timedelta(hours=2)},
    ])
    env = {**os.environ, "MONGO_URI": mongo_uri, "MONGO_DATABASE": db_name,
           "NEWSCRAWLER_DATA_DIR": str(tmp_path / "data")}

    def status(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "newscrawler.cli", "status", "almada", "zagros", *args],
                              cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=60)

    ok = status()
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "STOPPED" in ok.stdout and "RUNNING" in ok.stdout and "FAILED" not in ok.stdout
    stale = status("--max-run", "1h")
    assert stale.returncode == 1 and "ABANDONED" in stale.stdout, stale.stdout + stale.stderr


def test_parse_interval() -> None:
    assert [parse_interval(x) for x in ("30m", "2h", "45s", "1d", "90")] == [1800, 7200, 45, 86400, 90]

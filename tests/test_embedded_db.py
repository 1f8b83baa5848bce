"""The embedded server as `newscrawler db` runs it: start/reuse/stop, and its accommodation of the
nx-27017 datetime deviation (a `$set` of a datetime on an existing document stored a string)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pymongo import MongoClient

from newscrawler.store.embedded import EmbeddedServer
from tests.conftest import PROJECT_DIR, free_port


@pytest.fixture
def server(tmp_path: Path):
    srv = EmbeddedServer(tmp_path / "data", free_port())
    yield srv
    srv.stop()


def test_start_reuses_running_server_and_stops(server: EmbeddedServer) -> None:
    uri = server.start()
    pid = server.pid()
    assert server.running() and pid
    assert server.start() == uri and server.pid() == pid, "a running server is reused"
    assert (server.data_dir / "db").is_dir(), "data lives under the data dir"
    assert server.stop() and not server.running()


def test_datetime_set_and_max_on_existing_document_stay_datetimes(server: EmbeddedServer) -> None:
    client: MongoClient = MongoClient(server.start(), tz_aware=True)
    col = client.t.dates
    when = dt.datetime(2024, 5, 17, 10, 0, tzinfo=dt.UTC)
    col.insert_one({"_id": 1, "a": when})
    col.update_one({"_id": 1}, {"$set": {"b": when, "nested.c": when}, "$max": {"m": when}})
    col.update_many({"_id": 1}, {"$set": {"d": [when]}})
    stored = col.find_one({"_id": 1})
    assert all(isinstance(stored[k], dt.datetime) for k in ("a", "b", "m"))
    assert isinstance(stored["nested"]["c"], dt.datetime) and isinstance(stored["d"][0], dt.datetime)
    since = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    for field in ("b", "m"):
        assert col.count_documents({field: {"$gte": since}}) == 1, field
    client.close()


def test_cli_db_start_status_stop(tmp_path: Path) -> None:
    env = {**os.environ, "NEWSCRAWLER_DATA_DIR": str(tmp_path / "data"), "EMBEDDED_DB_PORT": str(free_port())}
    env.pop("MONGO_URI", None)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "newscrawler.cli", *args], cwd=PROJECT_DIR, env=env,
                              capture_output=True, text=True, timeout=60)

    assert cli("db", "status").returncode == 3
    assert "running at" in cli("db", "start").stdout
    first = cli("db", "status")
    assert first.returncode == 0 and "running" in first.stdout
    assert cli("db", "start").returncode == 0
    assert cli("db", "status").stdout == first.stdout, "second start reused the same server"
    assert cli("db", "stop").stdout.strip() == "stopped"
    assert cli("db", "status").returncode == 3


def test_stop_reaps_a_server_this_process_started(tmp_path: Path) -> None:
    """A stopped child stays a zombie (and answers `kill -0`) until reaped: stop() reaps it rather
    than waiting out its timeout and sending SIGKILL to a process that is already gone."""
    server = EmbeddedServer(tmp_path, free_port())
    server.start()
    pid = server.pid()
    assert pid is not None and server.stop()
    assert not Path(f"/proc/{pid}").exists(), "no zombie left behind"
    assert server.pid() is None

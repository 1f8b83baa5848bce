"""The embedded server as `newscrawler db` runs it: start/reuse/stop, and its accommodation of the
nx-27017 datetime deviation (a `$set` of a datetime on an existing document stored a string) and of
its cost (one SQLite transaction per write command, not per document)."""

from __future__ import annotations

import datetime as dt
import os
import socket
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from pymongo import InsertOne, MongoClient
from pymongo.errors import BulkWriteError

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


def test_a_write_command_commits_once_and_fails_only_its_bad_documents(server: EmbeddedServer) -> None:
    """A reader of the SQLite file (another connection, as every other client is) sees a bulk insert
    all at once: one commit for the command. Per-document outcomes stay MongoDB's: in an unordered
    batch only the duplicate fails; an ordered one stops there and keeps what it wrote before."""
    client: MongoClient = MongoClient(server.start())
    col = client.t.batch
    col.insert_one({"_id": "seed"})  # the table exists before the reader looks
    docs = [InsertOne({"_id": f"d{n}", "body": "نص " * 200}) for n in range(3000)]
    docs[1500] = InsertOne({"_id": "seed"})
    reader = sqlite3.connect(f"file:{server.db_dir / 't.db'}?mode=ro", uri=True, check_same_thread=False)
    seen: list[int] = []
    writing = threading.Event()
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            count = reader.execute("SELECT count(*) FROM batch").fetchone()[0]
            if writing.is_set():
                seen.append(count)

    watcher = threading.Thread(target=watch)
    watcher.start()
    writing.set()
    with pytest.raises(BulkWriteError) as unordered:
        col.bulk_write(docs, ordered=False)
    writing.clear()
    done.set()
    watcher.join()
    assert [e["index"] for e in unordered.value.details["writeErrors"]] == [1500]
    assert unordered.value.details["nInserted"] == 2999 and col.count_documents({}) == 3000
    assert len(seen) >= 20, "the reader must have looked while the command ran"
    assert set(seen) <= {1, 3000}, f"a reader saw a half-written batch: {sorted(set(seen))[:10]}"

    with pytest.raises(BulkWriteError) as ordered:
        col.bulk_write([InsertOne({"_id": "o1"}), InsertOne({"_id": "d7"}), InsertOne({"_id": "o2"})], ordered=True)
    assert ordered.value.details["nInserted"] == 1
    assert col.find_one({"_id": "o1"}) and not col.find_one({"_id": "o2"})
    reader.close()
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


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "newscrawler.cli", *args], cwd=PROJECT_DIR, env=env,
                          capture_output=True, text=True, timeout=60)


def _env(data_dir: Path, port: int) -> dict[str, str]:
    env = {**os.environ, "NEWSCRAWLER_DATA_DIR": str(data_dir), "EMBEDDED_DB_PORT": str(port)}
    env.pop("MONGO_URI", None)
    return env


def _gone(pid: int) -> bool:
    return not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text().lower()


def test_db_start_on_another_port_leaves_the_running_server_manageable(tmp_path: Path) -> None:
    """The data dir's server runs on one port; `db start` asked for another port finds it and reuses
    it, and a server process started anyway (as `db start` once did) refuses without removing the
    running server's pid file: `db status` and `db stop` still manage it, whatever port they are given."""
    data, first, second = tmp_path / "data", free_port(), free_port()
    started = _cli(_env(data, first), "db", "start")
    assert started.returncode == 0 and f":{first}/" in started.stdout, started.stdout + started.stderr
    server = EmbeddedServer(data, first)
    pid = server.pid()
    assert pid is not None and (data / "nx-27017.pid").read_text().strip() == str(pid), "nx-27017's own pid file"
    assert not (data / "server.pid").exists(), "no second pid file of ours"

    again = _cli(_env(data, second), "db", "start")
    assert again.returncode == 0, again.stderr
    assert f":{first}/" in again.stdout and f"already runs on port {first}" in again.stderr, again.stdout + again.stderr
    # What `db start` once did on another port: a second server process for the same data dir.
    refused = subprocess.run([sys.executable, "-m", "newscrawler.store.embedded", "serve", "--data-dir", str(data),
                              "--port", str(second)], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=60)
    assert refused.returncode != 0, "nx-27017 refuses a second server for one data dir"
    assert (data / "nx-27017.pid").read_text().strip() == str(pid), "the running server's pid file is left alone"

    status = _cli(_env(data, second), "db", "status")
    assert status.returncode == 0 and f"running: mongodb://127.0.0.1:{first}/ pid={pid}" in status.stdout, status
    assert _cli(_env(data, second), "db", "stop").stdout.strip() == "stopped"
    assert _gone(pid) and not (data / "nx-27017.pid").exists()
    assert _cli(_env(data, first), "db", "status").returncode == 3


def test_port_held_by_another_checkouts_server_gets_a_free_port_remembered(tmp_path: Path) -> None:
    """A second checkout on one machine: its EMBEDDED_DB_PORT answers, but it is the first checkout's
    server (another data dir). The second takes a free port, says why, and its later commands
    (a fresh process each) find it there; a restart comes back on the same port."""
    port = free_port()
    first = EmbeddedServer(tmp_path / "first", port)
    first.start()
    env = _env(tmp_path / "second", port)
    try:
        started = _cli(env, "db", "start")
        assert started.returncode == 0 and "Traceback" not in started.stderr, started.stderr
        note = started.stderr.strip()
        assert note == (f"note: port {port} is held by the embedded server of {first.data_dir} (pid {first.pid()}); "
                        f"this data dir's embedded server listens on {int(started.stdout.split(':')[2].split('/')[0])} "
                        "instead (set EMBEDDED_DB_PORT to choose)"), note
        second = EmbeddedServer(tmp_path / "second", port)
        process = second.process()
        assert process is not None and process.port != port and process.pid != first.pid()
        assert _cli(env, "db", "status").stdout.startswith(f"running: {process.uri} pid={process.pid}")

        client: MongoClient = MongoClient(process.uri)
        client.t.c.insert_one({"_id": "second"})
        client.close()
        first_client: MongoClient = MongoClient(first.uri)
        assert first_client.t.c.find_one({"_id": "second"}) is None, "two servers, two data dirs"
        first_client.close()

        # Any command that needs the database (here `status`) finds the running server, no traceback.
        status = _cli(env, "status", "almada")
        assert status.returncode == 0 and "NEVER-RUN" in status.stdout, status.stdout + status.stderr

        assert _cli(env, "db", "stop").stdout.strip() == "stopped"
        restarted = _cli(env, "db", "start")
        assert f":{process.port}/" in restarted.stdout, "the port chosen for this data dir is remembered"
        assert _cli(env, "db", "stop").stdout.strip() == "stopped"
        assert first.running(), "the first checkout's server was never touched"
    finally:
        EmbeddedServer(tmp_path / "second", port).stop()
        first.stop()


def test_port_held_by_another_program_gets_a_free_port(tmp_path: Path) -> None:
    port = free_port()
    with socket.socket() as other:  # something that is no MongoDB at all listens on the port
        other.bind(("127.0.0.1", port))
        other.listen()
        env = _env(tmp_path / "data", port)
        try:
            started = _cli(env, "db", "start")
            assert started.returncode == 0, started.stderr
            assert f"note: port {port} is held by another program" in started.stderr, started.stderr
            assert f":{port}/" not in started.stdout
            assert _cli(env, "db", "status").returncode == 0
        finally:
            assert _cli(env, "db", "stop").stdout.strip() == "stopped"


def test_a_stale_pid_file_is_cleared_and_a_lost_one_recovered(tmp_path: Path) -> None:
    """A pid file naming a process that is no server (the pid reused after a crash) does not stop a
    start; a running server whose pid file was deleted is still found (by its command line) and stopped."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "nx-27017.pid").write_text(str(os.getpid()))  # alive, but no embedded server
    server = EmbeddedServer(data, free_port())
    server.start()
    pid = server.pid()
    assert pid is not None and pid != os.getpid() and server.running()
    (data / "nx-27017.pid").unlink()
    assert EmbeddedServer(data, free_port()).pid() == pid, "found by its data dir, not the port asked for"
    assert server.stop() and _gone(pid)

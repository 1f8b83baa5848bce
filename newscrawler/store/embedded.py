"""The embedded MongoDB-compatible server (nx-27017 on SQLite): start, stop, status, serve.

This module is the only place that knows the embedded server's deviations from MongoDB.
Accommodation, applied inside the server process when it is started by us:
- `$set`/`$max` of a datetime on an existing document is stored as a string by neosqlite's SQL
  update path; updates carrying datetimes are routed to neosqlite's Python update path, which
  stores real datetimes (tests/test_embedded_db.py proves it with range queries).
- A compound index naming `_id` would break every insert; it is built over its other fields.

Process management: one server per data dir, found through nx-27017's own pid file and the
server's command line (/proc), never through a second pid file of ours; a pid file naming a
running server is never removed. A port held by something else is not an error: the server takes
a free one (see EmbeddedServer).
"""

from __future__ import annotations

import argparse
import datetime as dt
import fcntl
import inspect
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def _has_datetime(value: Any) -> bool:
    if isinstance(value, dt.datetime):
        return True
    if isinstance(value, dict):
        return any(_has_datetime(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_has_datetime(v) for v in value)
    return False


def patch_datetime_updates() -> None:
    """Route datetime-carrying updates away from neosqlite's SQL json_set path."""
    from neosqlite.collection.query_helper._sql_updates import SqlUpdatesMixin

    original = SqlUpdatesMixin._can_use_sql_updates
    if getattr(original, "_newscrawler_patched", False):
        return

    def can_use_sql_updates(self: Any, update_spec: dict[str, Any], doc_id: int, original_doc: Any = None) -> bool:
        if _has_datetime(update_spec):
            return False
        return original(self, update_spec, doc_id, original_doc)

    can_use_sql_updates._newscrawler_patched = True  # type: ignore[attr-defined]
    SqlUpdatesMixin._can_use_sql_updates = can_use_sql_updates  # type: ignore[method-assign]


def patch_compound_id_indexes() -> None:
    """A compound index naming `_id` (`[("changed_at", 1), ("_id", 1)]`) is built by neosqlite over
    `json_extract(data, '_id')`, an invalid path that then fails every insert into the collection
    (`_id` is a column there, not in `data`). Such an index is made over its other fields: a row's
    `_id` column is indexed anyway, and the key was unique already if it included `_id`. The broken
    index a server without this patch made is dropped then (a restart heals the collection)."""
    from neosqlite.collection.index_manager import IndexManager
    from neosqlite.sql_utils import quote_identifier

    original = IndexManager.create_index
    if getattr(original, "_newscrawler_patched", False):
        return

    signature = inspect.signature(original)

    def create_index(self: Any, key: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(key, list) and len(key) > 1 and all(isinstance(k, tuple) for k in key):
            rest = [k for k in key if k[0] != "_id"]
            if rest and len(rest) < len(key):
                bound = signature.bind(self, rest, *args, **kwargs)
                bound.arguments["unique"] = False
                made = original(*bound.args, **bound.kwargs)
                broken = "_".join(k[0] for k in key).replace(".", "_")
                self.collection.db.execute(f"DROP INDEX IF EXISTS {quote_identifier(f'idx_{self.collection.name}_{broken}')}")
                return made
        return original(self, key, *args, **kwargs)

    create_index._newscrawler_patched = True  # type: ignore[attr-defined]
    IndexManager.create_index = create_index  # type: ignore[method-assign]


_WRITE_COMMANDS = frozenset({"insert", "update", "delete"})


def _write_command(msg: Any) -> dict[str, Any] | None:
    """The body of an OP_MSG insert/update/delete outside a client transaction, else None."""
    if not isinstance(msg, dict):
        return None
    for section_type, doc in msg.get("sections") or ():
        if section_type == "body" and isinstance(doc, dict):
            if "autocommit" in doc or "startTransaction" in doc:
                return None  # the client's own transaction: its session owns BEGIN/COMMIT
            return doc if next(iter(doc), None) in _WRITE_COMMANDS else None
    return None


def patch_batch_transactions() -> None:
    """One SQLite transaction per write command instead of one per document.

    neosqlite runs in autocommit mode, so a bulk write of 100 documents made 100 commits, each
    writing the touched b-tree pages (documents, `_id` and every field index) to the WAL again:
    most of a batch's cost. Here an insert/update/delete command runs inside BEGIN … COMMIT, under
    the handler's per-database lock, so nothing else uses the connection meanwhile. The reply is
    sent after COMMIT, so an acknowledged write is as durable as before; a document that fails
    (duplicate key) fails alone, as SQLite undoes only the failing statement; what a command wrote
    before an exception is committed, as autocommit would have kept it."""
    from nx_27017 import handler as nx_handler

    cls = nx_handler.NeoSQLiteHandler
    if getattr(cls.handle_insert, "_newscrawler_patched", False):
        return

    def in_transaction(method: Any) -> Any:
        inner = method.__wrapped__  # the handler body under nx-27017's per-database lock

        def run(self: Any, msg: Any, *args: Any, **kwargs: Any) -> Any:
            body = _write_command(msg)
            if body is None or self._is_gridfs_collection(str(next(iter(body.values())))):  # GridFS BEGINs itself
                return inner(self, msg, *args, **kwargs)
            sqlite = self.get_database(body.get("$db", "test")).db
            if sqlite.in_transaction:
                return inner(self, msg, *args, **kwargs)
            sqlite.execute("BEGIN")
            try:
                return inner(self, msg, *args, **kwargs)
            finally:
                if sqlite.in_transaction:  # SQLite may have rolled back already (disk full, I/O)
                    sqlite.execute("COMMIT")

        wrapped = nx_handler._serialize(run)
        wrapped._newscrawler_patched = True
        return wrapped

    cls.handle_insert = in_transaction(cls.handle_insert)  # type: ignore[method-assign]
    cls.handle_command = in_transaction(cls.handle_command)  # type: ignore[method-assign]


class EmbeddedServerError(RuntimeError):
    """The embedded server cannot be started or reached; the message is one line for the operator."""


@dataclass(frozen=True)
class ServerProcess:
    """A running embedded server, as its process describes itself (its command line)."""

    pid: int
    data_dir: Path
    port: int
    host: str = "127.0.0.1"

    @property
    def uri(self) -> str:
        return f"mongodb://{self.host}:{self.port}/"


def _proc_args(pid: int) -> tuple[list[str], Path] | None:
    """The command line and working directory of a live process (Linux /proc), or None."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    try:
        cwd = Path(os.readlink(f"/proc/{pid}/cwd"))
    except OSError:  # another user's process: its paths are read as given (ours are absolute)
        cwd = Path("/")
    args = [a.decode(errors="replace") for a in raw.split(b"\0") if a]
    return (args, cwd) if args else None  # a zombie has no command line


def _option(args: list[str], *names: str) -> str | None:
    for i, arg in enumerate(args):
        for name in names:
            if arg == name and i + 1 < len(args):
                return args[i + 1]
            if arg.startswith(name + "="):
                return arg.split("=", 1)[1]
    return None


def describe_process(pid: int) -> ServerProcess | None:
    """The embedded server running as `pid` (`python -m newscrawler.store.embedded serve …`, or a bare
    `nx-27017 …`), read from its command line; None when `pid` is no such server. The command line is
    the server's own record of its data dir and port: nothing to keep in step, and a pid reused by an
    unrelated process after a reboot is not mistaken for the server."""
    found = _proc_args(pid)
    if found is None:
        return None
    args, cwd = found
    ours = "newscrawler.store.embedded" in args and "serve" in args
    if not ours and not any("nx-27017" in a or "nx_27017" in a for a in args[:3]):
        return None
    data_dir, port = _option(args, "--data-dir"), _option(args, "--port", "-p")
    if data_dir is None or port is None or not port.isdigit():
        return None
    folder = cwd / data_dir
    if not ours and folder.name == "db":  # nx-27017 itself is given <data dir>/db
        folder = folder.parent
    return ServerProcess(pid, Path(os.path.normpath(folder)), int(port), _option(args, "--host") or "127.0.0.1")


def running_servers() -> list[ServerProcess]:
    """Every embedded server on this machine (found by their command lines)."""
    servers = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            if (server := describe_process(int(entry.name))) is not None:
                servers.append(server)
    return servers


def port_is_free(host: str, port: int) -> bool:
    """Whether a server could listen on host:port now (SO_REUSEADDR as nx-27017 binds, so a port left
    in TIME_WAIT by a stopped server counts as free)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@dataclass
class EmbeddedServer:
    """The embedded server of one data dir. The data dir is its identity: at most one server runs per
    data dir, found through nx-27017's own pid file (`<data dir>/nx-27017.pid`, written and removed by
    nx-27017 itself) and its command line. `port` is where it listens once found or started; before that,
    the port asked for (EMBEDDED_DB_PORT). When that port is held by something else (another checkout's
    server, another program) the server takes a free port, remembered in `<data dir>/embedded-port.json`
    so that a restart comes back on it; the commands find the running server by its data dir anyway."""

    data_dir: Path
    port: int
    host: str = "127.0.0.1"
    notice: str | None = field(default=None, compare=False)  # why the port is not the one asked for

    def __post_init__(self) -> None:
        self.data_dir = Path(os.path.abspath(self.data_dir))
        self.requested_port = self.port

    @property
    def uri(self) -> str:
        return f"mongodb://{self.host}:{self.port}/"

    @property
    def pid_file(self) -> Path:
        return self.data_dir / "nx-27017.pid"  # nx-27017's own (`--pid-file`); it refuses to start twice

    @property
    def log_file(self) -> Path:
        return self.data_dir / "nx-27017.log"

    @property
    def db_dir(self) -> Path:
        return self.data_dir / "db"

    @property
    def port_file(self) -> Path:
        return self.data_dir / "embedded-port.json"

    def _pid_file_pid(self) -> int | None:
        try:
            return int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None

    def process(self) -> ServerProcess | None:
        """The server of this data dir, if one runs (on whatever port)."""
        pid = self._pid_file_pid()
        if pid is not None and (server := describe_process(pid)) is not None and server.data_dir == self.data_dir:
            return server
        # No pid file, or a stale one: the server may still run (its pid file was deleted by hand or by
        # an earlier version of this module); it is found by its command line.
        return next((s for s in running_servers() if s.data_dir == self.data_dir), None)

    def pid(self) -> int | None:
        server = self.process()
        return server.pid if server else None

    def ping(self, timeout_ms: int = 1500, uri: str | None = None) -> bool:
        from pymongo import MongoClient
        from pymongo.errors import PyMongoError

        client: MongoClient[dict[str, Any]] = MongoClient(uri or self.uri, serverSelectionTimeoutMS=timeout_ms)
        try:
            client.admin.command("ping")
            return True
        except PyMongoError:
            return False
        finally:
            client.close()

    def running(self) -> bool:
        server = self.process()
        return server is not None and self.ping(uri=server.uri)

    def holder(self, port: int) -> str:
        """Who listens on `port` (it is not this data dir's server), for the operator."""
        other = next((s for s in running_servers() if s.port == port and s.data_dir != self.data_dir), None)
        if other is not None:
            return f"the embedded server of {other.data_dir} (pid {other.pid})"
        if self.ping(500, uri=f"mongodb://{self.host}:{port}/"):
            return "another MongoDB-compatible server"
        return "another program"

    @contextmanager
    def _start_lock(self) -> Iterator[None]:
        """One start at a time per data dir (two crawls starting at once would race for the port)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.data_dir / "embedded.lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _remembered_port(self) -> int | None:
        try:
            saved = json.loads(self.port_file.read_text())
        except (OSError, ValueError):
            return None
        if isinstance(saved, dict) and saved.get("requested") == self.requested_port:
            return int(saved["port"])
        return None  # EMBEDDED_DB_PORT changed since: what was asked for now counts

    def _choose_port(self) -> int:
        remembered = self._remembered_port()
        for port in (remembered, self.requested_port):
            if port is not None and port_is_free(self.host, port):
                return port
        port = _free_port(self.host)
        self.notice = (f"port {self.requested_port} is held by {self.holder(self.requested_port)}; this data dir's "
                       f"embedded server listens on {port} instead (set EMBEDDED_DB_PORT to choose)")
        log.warning("%s", self.notice)
        self.port_file.write_text(json.dumps({"requested": self.requested_port, "port": port}))
        return port

    def _clear_stale_pid_file(self) -> None:
        """nx-27017 refuses to start while its pid file names a live process. A pid file whose process
        is gone, or is no embedded server at all (its pid reused), is stale and removed; one that names
        a running server, of this data dir or not, is never touched."""
        pid = self._pid_file_pid()
        if pid is None:
            return
        other = describe_process(pid)  # None: gone, a zombie, or an unrelated process (the pid reused)
        if other is None:
            self.pid_file.unlink(missing_ok=True)
        elif other.data_dir != self.data_dir:
            raise EmbeddedServerError(f"{self.pid_file} names the running embedded server of {other.data_dir} "
                                      f"(pid {pid}); stop it or remove the file")

    def start(self, timeout: float = 30.0) -> str:
        """Start the server of this data dir unless it runs already (then it is reused, on its port).
        Returns its URI; raises EmbeddedServerError with a one-line reason."""
        with self._start_lock():
            server = self.process()
            if server is not None:
                self.port, self.host = server.port, server.host
                if server.port != self.requested_port:
                    self.notice = (f"this data dir's embedded server already runs on port {server.port} "
                                   f"(not {self.requested_port}); `newscrawler db stop` first to move it")
                return self._wait_answering(server.pid, timeout)
            self._clear_stale_pid_file()
            self.db_dir.mkdir(parents=True, exist_ok=True)
            for _attempt in range(3):  # a port taken between our look and the server's bind: another one
                self.port = self._choose_port()
                with open(self.log_file, "ab") as log_out:
                    proc = subprocess.Popen(
                        [sys.executable, "-m", "newscrawler.store.embedded", "serve",
                         "--data-dir", str(self.data_dir), "--port", str(self.port), "--host", self.host],
                        stdout=log_out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                        start_new_session=True,  # outlives the crawl that started it
                    )
                try:
                    return self._wait_answering(proc.pid, timeout, proc)
                except _PortTaken:
                    continue
            raise EmbeddedServerError(f"embedded database could not find a free port; see {self.log_file}")

    def _wait_answering(self, pid: int, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc is not None and proc.poll() is not None:
                if not port_is_free(self.host, self.port):
                    raise _PortTaken
                raise EmbeddedServerError(f"embedded database exited with status {proc.returncode}; "
                                          f"see {self.log_file}")
            if proc is None and describe_process(pid) is None:
                raise EmbeddedServerError(f"the embedded server of {self.data_dir} (pid {pid}) exited; "
                                          f"see {self.log_file}")
            if self.ping(500):
                return self.uri
            time.sleep(0.2)
        if proc is not None:
            proc.terminate()
        raise EmbeddedServerError(f"embedded database did not answer on {self.uri} within {timeout:.0f}s; "
                                  f"see {self.log_file}")

    def stop(self, timeout: float = 15.0) -> bool:
        server = self.process()
        if server is None:
            return False
        pid = server.pid
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                # A server this process started stays a zombie (and answers kill 0) until reaped.
                if os.waitpid(pid, os.WNOHANG)[0] == pid:
                    break
            except ChildProcessError:  # not our child: its parent reaps it
                pass
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        else:
            os.kill(pid, signal.SIGKILL)
        # nx-27017 removes its pid file when it exits cleanly; after a SIGKILL the file still names the
        # dead server, and only then is it ours to remove.
        if self._pid_file_pid() == pid:
            self.pid_file.unlink(missing_ok=True)
        return True


class _PortTaken(Exception):
    """The server exited because its port was taken meanwhile."""


def serve(data_dir: Path, port: int, host: str) -> None:
    """Run nx-27017 in this process (foreground) with the accommodation applied. nx-27017 writes its
    pid file (this process's pid) and removes it when it exits; it refuses to start, and then touches
    nothing, when the file names a live process (the data dir's server runs already)."""
    patch_datetime_updates()
    patch_compound_id_indexes()
    patch_batch_transactions()
    from nx_27017.nx_27017 import main as nx_main

    data_dir = Path(os.path.abspath(data_dir))
    (data_dir / "db").mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # run finally: and SQLite's clean close
    sys.argv = [
        "nx-27017", "--data-dir", str(data_dir / "db"), "--host", host, "-p", str(port),
        "--pid-file", str(data_dir / "nx-27017.pid"), "--log-file", str(data_dir / "nx-27017.log"),
    ]
    nx_main()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m newscrawler.store.embedded")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("serve", help="run the embedded server in the foreground")
    run.add_argument("--data-dir", type=Path, required=True)
    run.add_argument("--port", type=int, required=True)
    run.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)
    serve(args.data_dir, args.port, args.host)


if __name__ == "__main__":
    main()

"""The embedded MongoDB-compatible server (nx-27017 on SQLite): start, stop, status, serve.

This module is the only place that knows the embedded server's deviations from MongoDB.
Accommodation, applied inside the server process when it is started by us:
- `$set`/`$max` of a datetime on an existing document is stored as a string by neosqlite's SQL
  update path; updates carrying datetimes are routed to neosqlite's Python update path, which
  stores real datetimes (tests/test_embedded_db.py proves it with range queries).
- A compound index naming `_id` would break every insert; it is built over its other fields.
"""

from __future__ import annotations

import argparse
import datetime as dt
import inspect
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
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


@dataclass
class EmbeddedServer:
    data_dir: Path
    port: int
    host: str = "127.0.0.1"

    @property
    def uri(self) -> str:
        return f"mongodb://{self.host}:{self.port}/"

    @property
    def pid_file(self) -> Path:
        return self.data_dir / "server.pid"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "nx-27017.log"

    @property
    def db_dir(self) -> Path:
        return self.data_dir / "db"

    def pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text().strip())
            os.kill(pid, 0)
            return pid
        except (FileNotFoundError, ValueError, ProcessLookupError, PermissionError):
            return None

    def ping(self, timeout_ms: int = 1500) -> bool:
        from pymongo import MongoClient
        from pymongo.errors import PyMongoError

        client: MongoClient[dict[str, Any]] = MongoClient(self.uri, serverSelectionTimeoutMS=timeout_ms)
        try:
            client.admin.command("ping")
            return True
        except PyMongoError:
            return False
        finally:
            client.close()

    def running(self) -> bool:
        return self.pid() is not None and self.ping()

    def start(self, timeout: float = 30.0) -> str:
        """Start the server if it is not running already (a running one is reused). Returns the URI."""
        if self.running():
            return self.uri
        if self.ping():
            raise RuntimeError(f"port {self.port} answers but is not our embedded server ({self.pid_file})")
        self.db_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log_file, "ab") as log_out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "newscrawler.store.embedded", "serve",
                 "--data-dir", str(self.data_dir), "--port", str(self.port), "--host", self.host],
                stdout=log_out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,  # outlives the crawl that started it
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"embedded database exited with {proc.returncode}; see {self.log_file}")
            if self.ping(500):
                return self.uri
            time.sleep(0.2)
        proc.terminate()
        raise RuntimeError(f"embedded database did not answer on {self.uri} within {timeout:.0f}s")

    def stop(self, timeout: float = 15.0) -> bool:
        pid = self.pid()
        if pid is None:
            return False
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
        self.pid_file.unlink(missing_ok=True)
        return True


def serve(data_dir: Path, port: int, host: str) -> None:
    """Run nx-27017 in this process (foreground) with the accommodation applied."""
    patch_datetime_updates()
    patch_compound_id_indexes()
    from nx_27017.nx_27017 import main as nx_main

    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "db").mkdir(exist_ok=True)
    pid_file = data_dir / "server.pid"  # ours: nx-27017 refuses to start if its own pid file exists
    pid_file.write_text(str(os.getpid()))  # foreground nx-27017 writes none; start/stop/status read it
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # run finally: and SQLite's clean close
    sys.argv = [
        "nx-27017", "--data-dir", str(data_dir / "db"), "--host", host, "-p", str(port),
        "--pid-file", str(data_dir / "nx-27017.pid"), "--log-file", str(data_dir / "nx-27017.log"),
    ]
    try:
        nx_main()
    finally:
        pid_file.unlink(missing_ok=True)


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

"""Shared fixtures: a real database server (embedded nx-27017 on a free port, or the mongod at
MONGO_URI), per-test databases, replica servers and a `scrapy crawl` subprocess runner."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from newscrawler.replica import REPLICA_SETTINGS, ReplicaServer
from newscrawler.store import ArticleStore, connect
from newscrawler.store.embedded import EmbeddedServer

PROJECT_DIR = Path(__file__).resolve().parent.parent
REPLICAS = PROJECT_DIR / "tests" / "replicas"
# Replica crawls: the same settings as `newscrawler crawl --replicas` (no politeness delays on loopback).
FAST = [arg for key, value in REPLICA_SETTINGS.items() if key != "LOG_LEVEL" for arg in ("-s", f"{key}={value}")]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def mongo_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """MONGO_URI from the environment (a real mongod), else our own embedded server."""
    external = os.environ.get("MONGO_URI")
    if external:
        yield external
        return
    server = EmbeddedServer(tmp_path_factory.mktemp("embedded-db"), free_port())
    server.start()
    yield server.uri
    server.stop()


@pytest.fixture
def db_name() -> str:
    return f"nctest_{uuid.uuid4().hex[:12]}"


@pytest.fixture
def store(mongo_uri: str, db_name: str) -> Iterator[ArticleStore]:
    client = connect(mongo_uri)
    yield ArticleStore(client[db_name])
    client.drop_database(db_name)
    client.close()


@pytest.fixture
def replica() -> Iterator[object]:
    """Factory: replica("basnews") -> a started ReplicaServer; all are stopped after the test."""
    started: list[ReplicaServer] = []

    def start(name: str, root: Path | None = None) -> ReplicaServer:
        server = ReplicaServer(root or REPLICAS / name).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@dataclass
class CrawlRun:
    returncode: int
    output: str


@pytest.fixture
def run_crawl(mongo_uri: str, db_name: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    """run_crawl("basnews", origin, *extra) -> CrawlRun of a real `scrapy crawl` subprocess."""

    def run(outlet: str, origin: str, *extra: str, timeout: float = 180) -> CrawlRun:
        env = {**os.environ, "MONGO_URI": mongo_uri, "MONGO_DATABASE": db_name,
               "NEWSCRAWLER_DATA_DIR": str(tmp_path / "data")}
        command = [sys.executable, "-m", "scrapy", "crawl", outlet, "-a", f"base_url={origin}", *FAST, *extra]
        proc = subprocess.run(command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=timeout)
        return CrawlRun(proc.returncode, proc.stdout + proc.stderr)

    return run

"""Scrapyd as README documents it: `scrapyd-deploy local` builds the egg and deploys it to a real
scrapyd, a scheduled replica crawl stores its articles, and a job that fails (scrapyd lists it as
"finished" all the same) is flagged by `newscrawler status`.

The scrapyd runs on a free port with its own config, eggs, logs and dbs under tmp; the deploy runs
in a copy of the project whose `[deploy:local]` URL points at it (the real scrapy.cfg keeps
127.0.0.1:6800, checked below).
"""

from __future__ import annotations

import configparser
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from newscrawler.replica import REPLICA_SETTINGS
from newscrawler.store import ArticleStore, connect
from tests.conftest import PROJECT_DIR, REPLICAS, free_port

BIN = Path(sys.executable).parent
DEFAULT_TARGET = "http://127.0.0.1:6800/"
# What an egg is built from (pyproject's packages.find) plus the files the build reads.
SOURCES = ["newscrawler", "spiders", "pipelines", "settings", "scrapy.cfg", "pyproject.toml", "README.md"]


@dataclass
class Scrapyd:
    url: str
    root: Path
    db_name: str
    mongo_uri: str

    def call(self, endpoint: str, data: list[tuple[str, str]] | None = None) -> dict[str, Any]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        with urllib.request.urlopen(self.url + endpoint, data=body, timeout=30) as response:
            answer: dict[str, Any] = json.loads(response.read())
        assert answer["status"] == "ok", answer
        return answer

    def schedule(self, spider: str, **arguments: str) -> str:
        settings = [("setting", f"{k}={v}") for k, v in REPLICA_SETTINGS.items() if k != "LOG_LEVEL"]
        data = [("project", "newscrawler"), ("spider", spider), *settings, *arguments.items()]
        return str(self.call("schedule.json", data)["jobid"])

    def wait_finished(self, job: str, timeout: float = 150) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            jobs = self.call("listjobs.json?project=newscrawler")
            for finished in jobs["finished"]:
                if finished["id"] == job:
                    return finished
            time.sleep(0.3)
        raise AssertionError(f"job {job} not finished after {timeout} s: {jobs}")

    def job_log(self, spider: str, job: str) -> str:
        return (self.root / "logs" / "newscrawler" / spider / f"{job}.log").read_text("utf-8")

    def status(self, *outlets: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "MONGO_URI": self.mongo_uri, "MONGO_DATABASE": self.db_name}
        return subprocess.run([str(BIN / "newscrawler"), "status", *outlets], cwd=PROJECT_DIR, env=env,
                              capture_output=True, text=True, timeout=60)


def path_key(path: str) -> str:
    return unquote(path).rstrip("/") or "/"


def project_copy(destination: Path, scrapyd_url: str) -> Path:
    for name in SOURCES:
        source = PROJECT_DIR / name
        if source.is_dir():
            shutil.copytree(source, destination / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(source, destination / name)
    cfg = destination / "scrapy.cfg"
    cfg.write_text(cfg.read_text("utf-8").replace(DEFAULT_TARGET, scrapyd_url), "utf-8")
    return destination


def wait_up(url: str, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "scrapyd exited"
        try:
            with urllib.request.urlopen(url + "daemonstatus.json", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("scrapyd did not answer")


@pytest.fixture(scope="module")
def scrapyd(mongo_uri: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scrapyd]:
    """A real scrapyd with the project deployed by `scrapyd-deploy local` (module-wide: one deploy)."""
    tmp = tmp_path_factory.mktemp("scrapyd")
    root, port = tmp / "server", free_port()
    root.mkdir()
    url = f"http://127.0.0.1:{port}/"
    (root / "scrapyd.conf").write_text(
        f"[scrapyd]\nbind_address = 127.0.0.1\nhttp_port = {port}\neggs_dir = {root / 'eggs'}\n"
        f"logs_dir = {root / 'logs'}\ndbs_dir = {root / 'dbs'}\npoll_interval = 0.2\nmax_proc = 2\n", "utf-8")
    db_name = f"nctest_{uuid.uuid4().hex[:12]}"
    # HOME: no ~/.scrapyd.conf of the machine overrides ours. The jobs inherit this environment.
    env = {**os.environ, "HOME": str(root), "MONGO_URI": mongo_uri, "MONGO_DATABASE": db_name,
           "NEWSCRAWLER_DATA_DIR": str(tmp / "data")}
    with (root / "scrapyd.out").open("wb") as out:
        proc = subprocess.Popen([str(BIN / "scrapyd")], cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_up(url, proc)
        source = project_copy(tmp / "project", url)
        deploy = subprocess.run([str(BIN / "scrapyd-deploy"), "local"], cwd=source, capture_output=True, text=True,
                                timeout=180)
        assert deploy.returncode == 0, deploy.stdout + deploy.stderr
        assert json.loads(deploy.stdout)["status"] == "ok", deploy.stdout + deploy.stderr
        yield Scrapyd(url, root, db_name, mongo_uri)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        client = connect(mongo_uri)
        client.drop_database(db_name)
        client.close()


@pytest.fixture(scope="module")
def scrapyd_store(scrapyd: Scrapyd) -> Iterator[ArticleStore]:
    client = connect(scrapyd.mongo_uri)
    yield ArticleStore(client[scrapyd.db_name])
    client.close()


def test_readme_target_is_scrapyd_on_localhost() -> None:
    """`scrapyd-deploy local`, as README writes it, deploys to the default scrapyd address."""
    cfg = configparser.ConfigParser()
    cfg.read(PROJECT_DIR / "scrapy.cfg")
    assert dict(cfg["deploy:local"]) == {"url": DEFAULT_TARGET, "project": "newscrawler"}


def test_deployed_egg_crawls_a_replica_into_the_database(scrapyd: Scrapyd, scrapyd_store: ArticleStore,
                                                         replica) -> None:
    server = replica("almada")
    job = scrapyd.schedule("almada", base_url=server.origin)
    scrapyd.wait_finished(job)

    record = scrapyd_store.runs.find_one({"_id": job})  # scrapyd's job id names the run
    assert record is not None, scrapyd.job_log("almada", job)[-3000:]
    assert record["finish_reason"] == "finished" and record["failed"] is None, record
    assert record["scrapyd_job"] == job
    expected = json.loads((REPLICAS / "almada" / "expected.json").read_text("utf-8"))["articles"]
    stored = {path_key(urlsplit(d["canonical_url"]).path): d["title"] for d in scrapyd_store.articles.find()}
    assert stored == {path_key(a["path"]): a["title"] for a in expected}
    assert record["articles"]["new"] == len(expected)
    assert scrapyd.status("almada").returncode == 0


def test_failed_job_is_finished_for_scrapyd_and_failed_for_status(scrapyd: Scrapyd,
                                                                   scrapyd_store: ArticleStore) -> None:
    """The spider's __init__ rejects the argument: the crawl never opens. Scrapyd lists the job as
    finished like any other; our record and `newscrawler status` say it failed."""
    job = scrapyd.schedule("zagros", editions="xx")
    assert scrapyd.wait_finished(job)["spider"] == "zagros"  # "finished": scrapyd has no failed state

    record = scrapyd_store.runs.find_one({"_id": job})
    assert record is not None, scrapyd.job_log("zagros", job)[-3000:]
    assert record["finish_reason"] == "aborted" and record["outlet"] == "zagros"
    assert "unknown editions" in record["failed"] and record["scrapyd_job"] == job
    status = scrapyd.status("zagros")
    assert status.returncode == 1, status.stdout + status.stderr
    assert "FAILED" in status.stdout and "unknown editions" in status.stdout

    # The job ran the deployed egg, not this checkout: every project frame of its traceback is in it.
    frames = re.findall(r'File "([^"]+)"', scrapyd.job_log("zagros", job))
    ours = [f for f in frames if "site-packages" not in f and "/lib/python" not in f]
    assert ours and all(".egg/" in f for f in ours), frames


def test_egg_reads_package_data_and_writes_outside_itself(scrapyd: Scrapyd, tmp_path: Path) -> None:
    """Imported from the egg (a zip file) in a directory with no scrapy.cfg: the schema is read from
    the package, and the data directory defaults to ./data of the working directory."""
    (egg,) = (scrapyd.root / "eggs" / "newscrawler").glob("*.egg")
    code = (f"import sys, json; sys.path.insert(0, {str(egg)!r})\n"
            "import settings\nfrom newscrawler.scrapy_ext import monitoring\n"
            "print(json.dumps({'settings': settings.__file__, 'monitoring': monitoring.__file__,"
            " 'checkout': settings.SOURCE_CHECKOUT, 'data': settings.NEWSCRAWLER_DATA_DIR,"
            " 'quarantine': settings.QUARANTINE_DIR, 'required': monitoring.ARTICLE_SCHEMA['required']}))")
    env = {k: v for k, v in os.environ.items() if k != "NEWSCRAWLER_DATA_DIR"}
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout)
    assert seen["settings"].startswith(str(egg)) and seen["monitoring"].startswith(str(egg))
    assert seen["checkout"] is False
    work = tmp_path.resolve()
    assert seen["data"] == str(work / "data") and seen["quarantine"] == str(work / "data" / "quarantine")
    assert "text" in seen["required"]

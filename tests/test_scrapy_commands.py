"""Scrapy commands other than `crawl` (fetch, shell, runspider, parse, check …) run a spider with the project's
settings, but they are not crawls of an outlet: they write no `crawl_runs` record, so
`newscrawler status` is not alarmed by a spider named "default" that found no article."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from newscrawler.store import ArticleStore
from tests.conftest import FAST, PROJECT_DIR, REPLICAS

RUNSPIDER = '''
import scrapy

class Probe(scrapy.Spider):
    name = "probe"

    def __init__(self, url, **kwargs):
        super().__init__(**kwargs)
        self.start_urls = [url]

    def parse(self, response):
        yield {"status": response.status}
'''


ARTICLE = json.loads((REPLICAS / "almada" / "expected.json").read_text("utf-8"))["articles"][0]


def scrapy_command(tmp_path: Path, origin: str) -> dict[str, list[str]]:
    probe = tmp_path / "probe.py"
    probe.write_text(RUNSPIDER, "utf-8")
    return {
        "fetch": ["fetch", "--nolog", f"{origin}/"],
        "shell": ["shell", f"{origin}/", "-c", "response.status", "--nolog"],
        "runspider": ["runspider", str(probe), "-a", f"url={origin}/", "-s", "LOG_LEVEL=INFO"],
        "parse": ["parse", "--spider", "almada", "-a", f"base_url={origin}", "--nolog", origin + ARTICLE["path"]],
        "check": ["check", "almada", "-a", f"base_url={origin}"],
    }


@pytest.mark.parametrize("command", ["fetch", "shell", "runspider", "parse", "check"])
def test_command_writes_no_run_record(command: str, replica, store: ArticleStore, mongo_uri: str, db_name: str,
                                      tmp_path: Path) -> None:
    server = replica("almada")
    env = {**os.environ, "MONGO_URI": mongo_uri, "MONGO_DATABASE": db_name,
           "NEWSCRAWLER_DATA_DIR": str(tmp_path / "data")}
    argv = scrapy_command(tmp_path, server.origin)[command]
    proc = subprocess.run([sys.executable, "-m", "scrapy", *argv, *FAST], cwd=PROJECT_DIR, env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert server.log, "the command fetched from the replica"
    if command == "fetch":
        assert "<html" in proc.stdout
    if command == "shell":
        assert proc.stdout.strip() == "200"
    if command == "parse":
        assert ARTICLE["title"] in proc.stdout
    if command == "check":
        assert "OK" in proc.stderr

    assert list(store.runs.find()) == []
    status = subprocess.run([sys.executable, "-m", "newscrawler.cli", "status"], cwd=PROJECT_DIR, env=env,
                            capture_output=True, text=True, timeout=60)
    assert status.returncode == 0, status.stdout + status.stderr
    assert "default" not in status.stdout and "probe" not in status.stdout


def test_genspider_points_to_the_outlet_scaffold(tmp_path: Path) -> None:
    # A generated spider file would be unrelated to ours (and never loaded): refused, with the way
    # to add an outlet, and nothing written.
    before = sorted(p.name for p in (PROJECT_DIR / "spiders").iterdir())
    proc = subprocess.run([sys.executable, "-m", "scrapy", "genspider", "alsumaria", "alsumaria.tv"], cwd=PROJECT_DIR,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "newscrawler new-outlet alsumaria --home https://alsumaria.tv" in proc.stderr
    assert sorted(p.name for p in (PROJECT_DIR / "spiders").iterdir()) == before

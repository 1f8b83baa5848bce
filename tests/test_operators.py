"""What the people who run the crawler see: one-line errors for misuse, progress rows (and a bar on a
terminal) during `crawl` and `schedule`, `-a`/`-s` passed to every spider, `status --history`."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newscrawler.cli import main
from newscrawler.outlets import all_outlets
from newscrawler.store import ArticleStore
from tests.conftest import PROJECT_DIR, REPLICAS

ESCAPE = "\x1b"


@pytest.fixture
def env(mongo_uri: str, db_name: str, tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "MONGO_URI": mongo_uri, "MONGO_DATABASE": db_name,
            "NEWSCRAWLER_DATA_DIR": str(tmp_path / "data")}


def cli(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "newscrawler.cli", *args], cwd=PROJECT_DIR, env=env,
                          capture_output=True, text=True, timeout=timeout)


KNOWN = ", ".join(all_outlets())


@pytest.mark.parametrize(("args", "message"), [
    (["crawl", "nosuch"], f"newscrawler crawl: unknown outlet nosuch; known: {KNOWN}"),
    (["crawl", "zagros", "nosuch", "other"], f"newscrawler crawl: unknown outlets nosuch, other; known: {KNOWN}"),
    (["crawl", "zagros", "--replicas", "{empty}"],
     "newscrawler crawl: no replica for zagros under {empty} (expected {empty}/zagros/site/)"),
    (["crawl", "almada", "-a", "max_articles"], "newscrawler crawl: -a 'max_articles': expected NAME=VALUE"),
    (["crawl", "almada", "-s", "=1"], "newscrawler crawl: -s '=1': expected NAME=VALUE"),
    (["crawl", "almada", "-a", "crawl_id=mine"], "newscrawler crawl: -a crawl_id is set per crawl by this command"),
    (["crawl", "almada", "--workers", "0"], "newscrawler crawl: --workers must be at least 1"),
    (["schedule", "--every", "1h", "nosuch"], f"newscrawler schedule: unknown outlet nosuch; known: {KNOWN}"),
    (["schedule", "--every", "soon", "almada"],
     "newscrawler schedule: --every: not an interval: 'soon' (use e.g. 30m, 2h, 45s)"),
    (["schedule", "--every", "1h", "zagros", "--replicas", "{empty}"],
     "newscrawler schedule: no replica for zagros under {empty} (expected {empty}/zagros/site/)"),
    (["schedule", "--every", "1h", "--rounds", "0", "almada"], "newscrawler schedule: --rounds must be at least 1"),
    (["schedule", "--every", "1h", "almada", "-s", "LOG_LEVEL"],
     "newscrawler schedule: -s 'LOG_LEVEL': expected NAME=VALUE"),
    (["status", "nosuch"], "newscrawler status: unknown outlet nosuch; known: "),
    (["status", "--max-run", "long"], "newscrawler status: --max-run: not an interval: 'long'"),
], ids=lambda v: " ".join(v) if isinstance(v, list) else "")
def test_misuse_is_one_line_and_exit_2(env: dict[str, str], store: ArticleStore, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    """Refused before anything starts (in-process here, for speed; the next test runs the command)."""
    empty = tmp_path / "replicas"
    empty.mkdir()
    argv = [a.replace("{empty}", str(empty)) for a in args]
    if argv[0] == "status":  # it needs the database: a process with this test's environment
        proc = cli(env, *argv)
        code, stderr = proc.returncode, proc.stderr
    else:
        code, stderr = main(argv), capsys.readouterr().err
    assert code == 2, stderr
    assert stderr.startswith(message.replace("{empty}", str(empty))), stderr
    assert len(stderr.splitlines()) == 1 and "Traceback" not in stderr, stderr
    assert store.runs.count_documents({}) == 0, "refused before anything ran"


@pytest.mark.parametrize("args", [["crawl", "nosuch"], ["schedule", "--every", "1h", "nosuch"]],
                         ids=["crawl", "schedule"])
def test_misuse_of_the_installed_command(env: dict[str, str], args: list[str]) -> None:
    proc = subprocess.run([str(Path(sys.executable).parent / "newscrawler"), *args], cwd=PROJECT_DIR, env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == f"newscrawler {args[0]}: unknown outlet nosuch; known: {KNOWN}\n"


def test_crawl_rows_as_outlets_finish_and_arguments_passed_through(env: dict[str, str], store: ArticleStore) -> None:
    """Off a terminal: a plain line per outlet as its crawl ends (before the next starts), no escape
    codes, then the summary table. `-a` reaches every spider (max_articles) and `-s` every crawl
    process, after the replica settings (LOG_LEVEL=INFO over the replicas' WARNING)."""
    proc = cli(env, "crawl", "zagros", "almada", "--replicas", str(REPLICAS), "-a", "max_articles=2",
               "-s", "LOG_LEVEL=INFO", "-s", "STORE_BATCH_SIZE=1", timeout=240)
    out = proc.stdout
    assert proc.returncode == 0, (out + proc.stderr)[-3000:]
    assert ESCAPE not in out + proc.stderr
    lines = out.splitlines()
    rows = {name: next(i for i, line in enumerate(lines) if line.startswith(f"{name}: pages=")) for name in
            ("zagros", "almada")}
    assert lines[0].startswith("crawling zagros (replica http://127.0.0.1:")
    assert rows["zagros"] < lines.index(next(x for x in lines if x.startswith("crawling almada"))) < rows["almada"]
    for name in ("zagros", "almada"):
        record = store.runs.find_one({"outlet": name})
        new = record["articles"]["new"]
        assert 1 <= new <= 2, "max_articles=2 reached the spider (a whole replica crawl stores 7)"
        line = lines[rows[name]]
        assert line == (f"{name}: pages={record['pages_fetched']} new={new} updated=0 unchanged=0 duplicate=0 "
                        f"errors={record['error_count']} elapsed={record['elapsed_s']:.1f}s finish=finished")
        assert re.search(rf"^{name}\s+{record['pages_fetched']}\s+{new}\s+0\s+0\s+0\s", out, re.M), "summary table"
    assert proc.stderr.count("[scrapy.core.engine] INFO: Spider opened") == 2, "-s LOG_LEVEL=INFO reached both"
    assert f"{store.articles.count_documents({})} articles in" in out


def test_crawl_progress_bar_on_a_terminal(env: dict[str, str], store: ArticleStore) -> None:
    """On a terminal: a bar (outlets done / total), aligned rows under a header, the crawl's own log
    lines above the bar, and the summary table at the end."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "newscrawler.cli", "crawl", "almada", "--replicas", str(REPLICAS),
                             "-a", "max_articles=1", "-s", "LOG_LEVEL=INFO"], cwd=PROJECT_DIR,
                            env={**env, "TERM": "xterm", "COLUMNS": "120"}, stdin=subprocess.DEVNULL,
                            stdout=slave, stderr=slave)
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], 120)
        assert ready, "no output for 120 s"
        try:
            data = os.read(master, 65536)
        except OSError:  # the terminal closed: every process writing to it has ended
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert proc.wait(timeout=60) == 0
    raw = b"".join(chunks).decode("utf-8", "replace")
    assert ESCAPE + "[" in raw, "a live display"
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", raw).replace("\r", "\n")
    assert "crawling almada (replica http://127.0.0.1:" in text and "0/1" in text and "1/1" in text, text[-3000:]
    assert "[scrapy.core.engine] INFO: Spider opened" in text, "the crawl's output, printed above the bar"
    record = store.runs.find_one({"outlet": "almada"})
    new = record["articles"]["new"]
    assert new <= 1, "max_articles=1 reached the spider"
    row = re.search(rf"^almada +{record['pages_fetched']} +{new} +0 +0 +0 +{record['error_count']} +[\d.]+s +finished$",
                    text, re.M)
    assert row, text[-3000:]
    assert re.search(r"^outlet +pages +new +updated +unchanged +duplicate +errors +elapsed +finish$", text, re.M)
    assert f"{new} articles in" in text


def test_schedule_rows_off_a_terminal(env: dict[str, str], store: ArticleStore) -> None:
    proc = cli(env, "schedule", "--every", "1h", "--rounds", "1", "almada", "--replicas", str(REPLICAS),
               "-a", "max_articles=1", timeout=180)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    assert ESCAPE not in proc.stdout + proc.stderr
    record = store.runs.find_one({"outlet": "almada"})
    assert record["articles"]["new"] <= 1, "max_articles=1 reached the spider"
    assert proc.stdout.splitlines() == [
        "crawling almada …",
        f"almada: pages={record['pages_fetched']} new={record['articles']['new']} updated=0 unchanged=0 duplicate=0 "
        f"errors={record['error_count']} elapsed={record['elapsed_s']:.1f}s finish=finished"]


START = datetime(2026, 1, 1, tzinfo=UTC)  # the records' own dates; nothing here depends on today


def test_status_history_newest_first(env: dict[str, str], store: ArticleStore) -> None:
    def run(outlet: str, day: int, **extra: object) -> dict:
        return {"_id": f"{outlet}-{day}", "outlet": outlet, "started_at": START + timedelta(days=day, hours=6),
                "elapsed_s": 65.0 + day, "finish_reason": "finished", "failed": None, "failed_monitors": [],
                "pages_fetched": 10 + day, "articles": {"new": day, "updated": 1, "unchanged": 0, "duplicate": 2},
                "error_count": day % 2, "extraction_warnings": {"no_date": 3, "short_text": day}, **extra}

    store.runs.insert_many([
        run("almada", 1), run("almada", 3), run("almada", 2),
        run("almada", 4, finish_reason="finished", failed="monitors: Outlet yield",
            failed_monitors=["Outlet yield", "Error rate"]),
        run("zagros", 1, finish_reason="shutdown", elapsed_s=3.25),
    ])
    proc = cli(env, "status", "--history", "--limit", "3", "almada", "zagros", "shafaq")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    blocks = proc.stdout.strip().split("\n\n")
    assert [b.splitlines()[0] for b in blocks] == ["almada: 3 runs (newest first)", "zagros: 1 run", "shafaq: 0 runs"]
    almada = blocks[0].splitlines()
    assert re.split(r"\s{2,}", almada[1]) == ["started (UTC)", "duration", "finish", "pages", "new", "updated", "dup",
                                              "errors", "warnings", "failed monitors"]
    assert [re.split(r"\s{2,}", line.strip()) for line in almada[3:]] == [
        ["2026-01-05 06:00:00", "1m09s", "monitors: Outlet yield", "14", "4", "1", "2", "0", "7",
         "Outlet yield, Error rate"],
        ["2026-01-04 06:00:00", "1m08s", "finished", "13", "3", "1", "2", "1", "6", "-"],
        ["2026-01-03 06:00:00", "1m07s", "finished", "12", "2", "1", "2", "0", "5", "-"],
    ]
    assert re.split(r"\s{2,}", blocks[1].splitlines()[3].strip())[:3] == ["2026-01-02 06:00:00", "3.2s", "shutdown"]
    # The last-run view is unchanged.
    last = cli(env, "status", "almada", "zagros")
    assert last.returncode == 1 and "FAILED" in last.stdout and "STOPPED" in last.stdout, last.stdout

"""`newscrawler schedule --every 30m [OUTLET …]`: crawls on an interval in one long-lived process.

Each due outlet runs as a `scrapy crawl` subprocess under a database lock (so two schedulers, on
one machine or many, never crawl the same outlet at once; a dead holder's lock expires).

Stopping: SIGTERM or SIGINT to the scheduler stop it gracefully. The crawl child runs in its own
session, so a signal to the scheduler's process group (Ctrl-C in a terminal, `kill -TERM -PGID`)
does not reach it directly; the scheduler forwards one SIGTERM to it (Scrapy's graceful shutdown:
it finishes the requests in flight, flushes its pipelines and records finish_reason "shutdown"),
waits for it, and exits 0. It forwards once and never to a child that has exited: Scrapy takes a
second SIGTERM/SIGINT as "force an unclean stop". (A signal sent to the child itself as well, such
as systemd's KillMode=control-group, is not visible here: the README's unit uses KillMode=mixed.)

A crawl that ends without finishing its `crawl_runs` record (stopped during start-up before Scrapy
handles signals, killed, crashed) gets its record finished here: finish_reason "shutdown" when the
scheduler was asked to stop, else "crashed" with the exit status.
"""

from __future__ import annotations

import logging
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pymongo.errors import PyMongoError

from newscrawler.progress import Progress
from newscrawler.status import CRASHED, RUNNING, SHUTDOWN
from newscrawler.store import ArticleStore
from newscrawler.store.locks import Lock

log = logging.getLogger(__name__)
PROJECT_DIR = Path(__file__).resolve().parent.parent


def parse_interval(text: str) -> float:
    """'30m', '2h', '45s', '1d' -> seconds."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", text)
    if not match:
        raise ValueError(f"not an interval: {text!r} (use e.g. 30m, 2h, 45s)")
    return float(match[1]) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[match[2]]


@dataclass
class Scheduler:
    store: ArticleStore
    outlets: list[str]
    every: float
    crawl_args: Callable[[str], list[str]] = lambda outlet: []
    max_rounds: int | None = None
    lock_ttl: float = 120.0
    env: dict[str, str] | None = None
    poll: float = 0.1  # seconds between looks at a stop request and the child
    progress: Progress | None = None  # a row per crawl as it ends, a bar per round on a terminal
    _stop_requests: int = 0

    @property
    def stopping(self) -> bool:
        return self._stop_requests > 0

    def stop(self, *_: object) -> None:
        """Signal handler (or a direct call). It only counts the request: the main loop forwards it
        and logs (no I/O, locks or logging inside a signal handler)."""
        self._stop_requests += 1

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)

    def run_once(self, outlet: str) -> str:
        """Crawl one outlet under its lock; returns 'ok', 'failed', 'stopped' or 'locked'."""
        if self.stopping:
            return "stopped"
        lock = Lock(self.store.db, f"crawl:{outlet}", ttl=self.lock_ttl)
        if not lock.acquire():
            holder = lock.current_holder()
            log.warning("%s is being crawled by %s; skipped this round", outlet, holder)
            if self.progress:
                self.progress.skipped(outlet, f"skipped this round: being crawled by {holder}")
            return "locked"
        try:
            started = datetime.now(UTC)
            crawl_id = f"{outlet}-{started:%Y%m%dT%H%M%S}"
            command = [sys.executable, "-m", "scrapy", "crawl", outlet, "-a", f"crawl_id={crawl_id}",
                       *self.crawl_args(outlet)]
            live = self.progress is not None and self.progress.live
            # Its own session: a signal to our process group does not reach it; we forward one.
            # On a terminal its output is read and printed above the progress bar.
            child = subprocess.Popen(command, cwd=PROJECT_DIR, env=self.env, start_new_session=True,
                                     stdout=subprocess.PIPE if live else None,
                                     stderr=subprocess.STDOUT if live else None, text=live or None)
            log.info("%s: crawl %s started (pid %s)", outlet, crawl_id, child.pid)
            if self.progress:
                self.progress.started(outlet)
                with self.progress.forwarding(child.stdout):
                    code = self._wait(child)
            else:
                code = self._wait(child)
            record = self._finish_run_record(crawl_id, outlet, started, code)
            reason = record.get("finish_reason") if record else None
            log.info("%s finished with exit status %s (finish reason %s)", outlet, code, reason)
            if self.progress:
                self.progress.finished(outlet, [record] if record else [],
                                       None if record else f"run record not read (exit status {code})")
            if reason == SHUTDOWN and self.stopping:
                return "stopped"
            return "ok" if code == 0 else "failed"
        finally:
            lock.release()

    def _wait(self, child: subprocess.Popen[Any]) -> int:
        """Wait for the child; on a stop request, forward one SIGTERM to it while it runs."""
        forwarded, repeats_told = False, False
        while (code := child.poll()) is None:
            if self.stopping and not forwarded:
                forwarded = True
                log.info("stop requested: SIGTERM to the crawl (pid %s); it finishes the requests in flight",
                         child.pid)
                child.send_signal(signal.SIGTERM)
            elif self._stop_requests > 1 and not repeats_told:
                repeats_told = True
                log.warning("stop requested again: the crawl (pid %s) is already stopping and is not signalled "
                            "twice (Scrapy would force an unclean stop); SIGKILL it to force", child.pid)
            time.sleep(self.poll)
        return code

    def _finish_run_record(self, crawl_id: str, outlet: str, started: datetime, code: int) -> dict[str, Any] | None:
        """The child has exited: finish its run record if it did not. Returns the final record (None
        when the database could not be read)."""
        try:
            record = self.store.runs.find_one({"_id": crawl_id})
            if record is not None and record.get("finish_reason") != RUNNING:
                return record
            started = (record or {}).get("started_at") or started
            finished = datetime.now(UTC)
            reason = SHUTDOWN if self.stopping else CRASHED
            final: dict[str, Any] = {
                "_id": crawl_id,
                "outlet": outlet,
                "started_at": started,
                "finished_at": finished,
                "elapsed_s": round((finished - started).total_seconds(), 2),
                "finish_reason": reason,
                "failed": None if reason == SHUTDOWN else
                f"crawl process ended with exit status {code} before finishing its run record",
                "failed_monitors": [],
                "exit_status": code,
                "recorded_by": "scheduler",
                "origin": (record or {}).get("origin"),
                "host": (record or {}).get("host") or socket.gethostname(),
                "pid": (record or {}).get("pid"),
            }
            # The child is gone: nothing else writes this record now. replace_one keeps datetimes.
            self.store.runs.replace_one({"_id": crawl_id}, final, upsert=True)
            log.warning("%s: crawl %s ended (exit status %s) %s; run record finished as %r", outlet, crawl_id,
                        code, "without a run record" if record is None else "with its record still running", reason)
            return final
        except PyMongoError as exc:
            log.error("could not check or finish the run record %s: %s", crawl_id, exc)
            return None

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.stopping and (left := deadline - time.monotonic()) > 0:
            time.sleep(min(left, 5 * self.poll))

    def run(self) -> int:
        rounds = 0
        while not self.stopping:
            started = time.monotonic()
            if self.progress:
                self.progress.begin(len(self.outlets), f"round {rounds + 1}")
            for outlet in self.outlets:
                if self.stopping:
                    break
                self.run_once(outlet)
            rounds += 1
            if self.max_rounds is not None and rounds >= self.max_rounds:
                break
            self._sleep(max(0.0, self.every - (time.monotonic() - started)))
        if self.stopping:
            log.info("stopped on request")
        return 0

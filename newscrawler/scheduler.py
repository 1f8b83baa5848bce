"""`newscrawler schedule --every 30m [OUTLET …]`: crawls on an interval in one long-lived process.

Each due outlet runs as a `scrapy crawl` subprocess under a database lock (so two schedulers, on
one machine or many, never crawl the same outlet at once; a dead holder's lock expires). SIGTERM
or SIGINT stop it gracefully: the running crawl is asked to stop (Scrapy finishes the requests
in flight and flushes its pipelines), then the scheduler exits.
"""

from __future__ import annotations

import logging
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

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
    _stop: threading.Event = field(default_factory=threading.Event)
    _child: subprocess.Popen[bytes] | None = None

    def stop(self, *_: object) -> None:
        log.info("stop requested: finishing the current crawl, then exiting")
        self._stop.set()
        if self._child and self._child.poll() is None:
            self._child.send_signal(signal.SIGTERM)  # Scrapy's graceful shutdown

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)

    def run_once(self, outlet: str) -> str:
        """Crawl one outlet under its lock; returns 'ok', 'failed' or 'locked'."""
        lock = Lock(self.store.db, f"crawl:{outlet}", ttl=self.lock_ttl)
        if not lock.acquire():
            log.warning("%s is being crawled by %s; skipped this round", outlet, lock.current_holder())
            return "locked"
        try:
            crawl_id = f"{outlet}-{datetime.now(UTC):%Y%m%dT%H%M%S}"
            command = [sys.executable, "-m", "scrapy", "crawl", outlet, "-a", f"crawl_id={crawl_id}",
                       *self.crawl_args(outlet)]
            self._child = subprocess.Popen(command, cwd=PROJECT_DIR, env=self.env)
            code = self._child.wait()
            self._child = None
            log.info("%s finished with exit status %s", outlet, code)
            return "ok" if code == 0 else "failed"
        finally:
            lock.release()

    def run(self) -> int:
        rounds = 0
        while not self._stop.is_set():
            started = time.monotonic()
            for outlet in self.outlets:
                if self._stop.is_set():
                    break
                self.run_once(outlet)
            rounds += 1
            if self.max_rounds is not None and rounds >= self.max_rounds:
                break
            self._stop.wait(max(0.0, self.every - (time.monotonic() - started)))
        return 0

"""Progress in the CLI. `Progress`: `newscrawler crawl` and `newscrawler schedule`, a row per outlet as its crawl ends (the
summary of its `crawl_runs` record) and, on a terminal, a bar of the outlets done out of the total.

Off a terminal (cron, CI, a pipe) every event is one plain line, with no bar and no escape codes, so a
log file stays readable: `almada: pages=15 new=7 … finish=finished`. On a terminal the rows are
aligned under a header and the crawls' own output (their log lines) is printed above the bar.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import IO, Any

COLUMNS = ["outlet", "pages", "new", "updated", "unchanged", "duplicate", "errors", "elapsed", "finish"]
_WIDTHS = [14, 6, 5, 8, 10, 10, 7, 8, 0]
_COUNTS = ("new", "updated", "unchanged", "duplicate")


def summary_cells(record: dict[str, Any]) -> list[str]:
    """A run record as the cells of COLUMNS (the live rows and the final table show the same)."""
    articles = record.get("articles") or {}
    elapsed = record.get("elapsed_s")
    return [
        str(record.get("outlet", "?")), str(record.get("pages_fetched", 0)),
        *(str(articles.get(k, 0)) for k in _COUNTS), str(record.get("error_count", 0)),
        f"{elapsed:.1f}s" if isinstance(elapsed, (int, float)) else "-",
        str(record.get("failed") or record.get("finish_reason")),
    ]


def plain_line(record: dict[str, Any]) -> str:
    """One run record as a self-describing line (a log file has no header to look up)."""
    cells = summary_cells(record)
    return f"{cells[0]}: " + " ".join(f"{name}={value}" for name, value in zip(COLUMNS[1:], cells[1:], strict=True))


def is_live(stream: IO[str]) -> bool:
    """A bar only on a real terminal (not a pipe or file, not TERM=dumb)."""
    from rich.console import Console

    console = Console(file=stream)
    return bool(console.is_terminal and not console.is_dumb_terminal)


class Progress:
    """Rows and a bar for a sequence of outlet crawls; use as a context manager.

    `begin(total)` starts a pass over `total` outlets (a `schedule` round; `crawl` has one),
    `started(outlet)` / `finished(outlet, record)` / `skipped(outlet, why)` report each, and `echo(line)`
    prints a crawl's own output (above the bar on a terminal). Thread-safe: crawls' output is read by
    threads."""

    def __init__(self, stream: IO[str] | None = None, live: bool | None = None) -> None:
        self.stream = stream or sys.stdout
        self.live = is_live(self.stream) if live is None else live
        self._lock = threading.Lock()
        self._bar: Any = None
        self._task: Any = None
        self._console: Any = None
        self._swapped: list[tuple[logging.StreamHandler[Any], Any]] = []
        self._header_shown = False

    def __enter__(self) -> Progress:
        if self.live:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, SpinnerColumn, TextColumn, TimeElapsedColumn
            from rich.progress import Progress as Bar

            self._console = Console(file=self.stream, highlight=False, emoji=False, markup=False)
            self._bar = Bar(
                SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                TimeElapsedColumn(), console=self._console, transient=True, redirect_stderr=True,
                redirect_stdout=True)
            self._bar.start()
            self._route_logging()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._bar is not None:
            self._bar.stop()
            for handler, stream in self._swapped:
                handler.setStream(stream)
            self._swapped.clear()
            self._bar = None

    def _route_logging(self) -> None:
        """Log handlers bound to the terminal would write through the bar: they write above it instead
        (rich's live display redirects sys.stderr, but a handler keeps the stream it was given)."""
        for handler in logging.getLogger().handlers:
            if isinstance(handler, logging.StreamHandler) and getattr(handler.stream, "isatty", lambda: False)():
                self._swapped.append((handler, handler.setStream(sys.stderr)))

    def _print(self, text: str) -> None:
        with self._lock:
            if self._console is not None:
                self._console.print(text, markup=False, highlight=False, emoji=False, soft_wrap=True)
            else:
                print(text, file=self.stream, flush=True)

    def _header(self) -> None:
        if self.live and not self._header_shown:
            self._header_shown = True
            self._print(self._aligned(COLUMNS))
            self._print(self._aligned(["-" * max(w, len(c)) for c, w in zip(COLUMNS, _WIDTHS, strict=True)]))

    @staticmethod
    def _aligned(cells: list[str]) -> str:
        return "  ".join(c.ljust(max(w, len(h))) for c, w, h in zip(cells, _WIDTHS, COLUMNS, strict=True)).rstrip()

    def begin(self, total: int, title: str = "crawling") -> None:
        if self._bar is not None:
            if self._task is not None:
                self._bar.remove_task(self._task)
            self._task = self._bar.add_task(title, total=total)

    def started(self, outlet: str, detail: str = "") -> None:
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, description=f"crawling {outlet}{detail}")
        elif not self.live:
            self._print(f"crawling {outlet}{detail} …")

    def finished(self, outlet: str, records: list[dict[str, Any]], problem: str | None = None) -> None:
        """The outlet's crawl ended: a row per run record (one per worker), or the problem."""
        self._header()
        for record in records:
            self._print(self._aligned(summary_cells(record)) if self.live else plain_line(record))
        if problem:
            self._print(f"{outlet}: {problem}")
        self._advance()

    def skipped(self, outlet: str, why: str) -> None:
        self._print(f"{outlet}: {why}")
        self._advance()

    def _advance(self) -> None:
        if self._bar is not None and self._task is not None:
            self._bar.advance(self._task)

    def echo(self, line: str) -> None:
        """A line of a crawl's own output."""
        line = line.rstrip("\n")
        if self._console is not None:
            self._print(line)
        else:
            with self._lock:
                print(line, file=sys.stderr, flush=True)

    @contextmanager
    def forwarding(self, stream: IO[str] | None) -> Iterator[None]:
        """Echo `stream` (a crawl's stdout+stderr pipe) line by line until the block ends and it closes."""
        if stream is None:
            yield
            return
        reader = threading.Thread(target=lambda: [self.echo(line) for line in stream], daemon=True)
        reader.start()
        try:
            yield
        finally:
            reader.join(timeout=10)


PLAIN_EVERY = 10.0
Advance = Callable[[int], None]


@contextmanager
def counter(description: str, total: int | None, unit: str = "pages") -> Iterator[Advance]:
    """Progress of a job whose size is known (`reextract`, `import-warc`) on stderr, stdout keeping the
    command's JSON summary: a rich bar on a terminal, else a plain line every PLAIN_EVERY seconds and one
    at the end. Yields advance(n); `unit` "bytes" shows sizes."""
    if is_live(sys.stderr):
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        count = DownloadColumn() if unit == "bytes" else MofNCompleteColumn()
        with Progress(TextColumn("{task.description}"), BarColumn(), count, TimeElapsedColumn(),
                      TimeRemainingColumn(), console=Console(stderr=True)) as bar:
            task = bar.add_task(description, total=total)
            yield lambda n=1: bar.advance(task, n)
        return
    done = 0
    last = time.monotonic()

    def line() -> None:
        of = f"/{total}" if total is not None else ""
        print(f"{description}: {done}{of} {unit}", file=sys.stderr, flush=True)

    def advance(n: int = 1) -> None:
        nonlocal done, last
        done += n
        if time.monotonic() - last >= PLAIN_EVERY:
            last = time.monotonic()
            line()

    yield advance
    line()

"""Progress of `reextract` and `import-warc` on stderr (stdout keeps only the JSON summary): a rich
bar on a terminal (newscrawler.progress.is_live, as `crawl` decides), else a plain line every
PLAIN_EVERY seconds and one at the end (cron logs, pipes: no escape codes)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

PLAIN_EVERY = 10.0

Advance = Callable[[int], None]


@contextmanager
def progress(description: str, total: int | None, unit: str = "pages") -> Iterator[Advance]:
    """Yields advance(n). `unit` "bytes" shows sizes."""
    from newscrawler.progress import is_live

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

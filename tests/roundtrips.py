"""Counting the database round trips a piece of code makes (pymongo command monitoring)."""

from __future__ import annotations

from collections import Counter

from pymongo import monitoring

DATA_COMMANDS = ("find", "update", "insert", "delete")


class RoundTrips(monitoring.CommandListener):
    """Pass as `event_listeners=[...]` to a client; `count` is the data commands sent since `reset()`."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    @property
    def count(self) -> int:
        return sum(self.counts[name] for name in DATA_COMMANDS)

    def reset(self) -> None:
        self.counts.clear()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.counts[event.command_name] += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass

"""Crawl locks in the database: one outlet never runs twice at once, on any machine.

A lock is a document `{_id: name, holder, expires_at, token}`; its holder renews it while it
works, so a holder that dies (kill -9, lost machine) stops renewing and the lock expires after
`ttl`. Taking an expired lock is a compare-and-swap on `token` (every write rotates it): equality
filters only, so no holder can lose a renewed lock to a taker that read it just before.
(The embedded server also mis-evaluates a datetime range in an update filter: the CAS avoids it.)
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

LOCKS = "locks"


def holder_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Lock:
    def __init__(self, db: Database[dict[str, Any]], name: str, ttl: float = 120.0, holder: str | None = None) -> None:
        self.col = db[LOCKS]
        self.name, self.ttl, self.holder = name, ttl, holder or holder_id()
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    def acquire(self) -> bool:
        now = datetime.now(UTC)
        expires = now + timedelta(seconds=self.ttl)
        try:
            self.col.insert_one({"_id": self.name, "holder": self.holder, "expires_at": expires,
                                 "token": uuid.uuid4().hex})
            acquired = True
        except DuplicateKeyError:  # held: take it only if it has expired
            current = self.col.find_one({"_id": self.name})
            until = current.get("expires_at") if current else None  # aware: the client is tz_aware
            if current is None or (until is not None and until >= now):
                return False
            taken = self.col.update_one(
                {"_id": self.name, "token": current.get("token")},
                {"$set": {"holder": self.holder, "expires_at": expires, "token": uuid.uuid4().hex}})
            acquired = taken.modified_count == 1
        if acquired:
            self._stop.clear()
            self._renewer = threading.Thread(target=self._renew, name=f"lock-{self.name}", daemon=True)
            self._renewer.start()
        return acquired

    def _renew(self) -> None:
        while not self._stop.wait(self.ttl / 3):
            self.col.update_one({"_id": self.name, "holder": self.holder},
                                {"$set": {"expires_at": datetime.now(UTC) + timedelta(seconds=self.ttl),
                                          "token": uuid.uuid4().hex}})

    def release(self) -> None:
        self._stop.set()
        if self._renewer:
            self._renewer.join(timeout=5)
        self.col.delete_one({"_id": self.name, "holder": self.holder})

    def current_holder(self) -> str | None:
        doc = self.col.find_one({"_id": self.name})
        return doc["holder"] if doc else None

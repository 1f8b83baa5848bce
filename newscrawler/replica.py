"""Replica of an outlet's site served over real HTTP on 127.0.0.1, for tests and `make crawl`.

A replica folder holds `site/` (files; `{{ORIGIN}}` in them becomes the server's origin, so pages
carry absolute links like the real site, and `{{TODAY:<format>}}` the day it is served, like the
sites' header date strips), `routes.json` (special responses: files with other
names or content types, redirects, error statuses) and `expected.json` (what a correct crawl
stores; read by tests and the crawl summary). Every request is recorded in an access log, and
responses carry ETag/Last-Modified with conditional GET support, like the real servers.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

# Against a replica on loopback the politeness delays only slow the run; AutoThrottle stays on.
REPLICA_SETTINGS = {"DOWNLOAD_DELAY": "0", "AUTOTHROTTLE_START_DELAY": "0.01", "AUTOTHROTTLE_MAX_DELAY": "0.5",
                    "LOG_LEVEL": "WARNING"}

_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".json": "application/json",
    ".js": "application/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
}


# `{{TODAY:<format>}}` in a page is the server's current day in Baghdad, rendered like the real
# sites' header "today" strips: %W/%w/%K weekday (Arabic/English/Sorani), %D day, %M Iraqi month,
# %E Egyptian month, %m English month, %k Sorani month, %Y year.
_TODAY = re.compile(rb"\{\{TODAY:([^}]*)\}\}")
_WEEKDAYS = {
    "%W": ("الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد"),
    "%w": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "%K": ("دووشەممە", "سێشەممە", "چوارشەممە", "پێنجشەممە", "هەینی", "شەممە", "یەکشەممە"),
}
_MONTHS = {
    "%M": ("كانون الثاني", "شباط", "آذار", "نيسان", "أيار", "حزيران", "تموز", "آب", "أيلول", "تشرين الأول",
           "تشرين الثاني", "كانون الأول"),
    "%E": ("يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر",
           "ديسمبر"),
    "%m": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
    "%k": ("کانوونی دووەم", "شوبات", "ئازار", "نیسان", "ئایار", "حوزەیران", "تەمووز", "ئاب", "ئەیلوول",
           "تشرینی یەکەم", "تشرینی دووەم", "کانوونی یەکەم"),
}


def render_today(fmt: str, day: date) -> str:
    """A date strip in one of the formats above."""
    out = fmt
    for code, names in _WEEKDAYS.items():
        out = out.replace(code, names[day.weekday()])
    for code, names in _MONTHS.items():
        out = out.replace(code, names[day.month - 1])
    return out.replace("%D", str(day.day)).replace("%Y", str(day.year))


def _render_today_strips(body: bytes) -> bytes:
    if b"{{TODAY:" not in body:
        return body
    today = datetime.now(ZoneInfo("Asia/Baghdad")).date()
    return _TODAY.sub(lambda m: render_today(m[1].decode("utf-8"), today).encode("utf-8"), body)


@dataclass
class AccessRecord:
    method: str
    path: str
    status: int
    user_agent: str
    headers: dict[str, str] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)  # when the request arrived


class ReplicaSite:
    """The content of one replica folder (may be changed between crawls by tests)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.site = self.root / "site"
        routes = self.root / "routes.json"
        self.routes: dict[str, dict[str, Any]] = json.loads(routes.read_text("utf-8")) if routes.exists() else {}
        self.mtime = 1_700_000_000.0  # a fixed Last-Modified: responses are deterministic

    def expected(self) -> dict[str, Any]:
        path = self.root / "expected.json"
        return json.loads(path.read_text("utf-8")) if path.exists() else {}

    def resolve(self, raw_path: str) -> tuple[int, dict[str, str], bytes | None]:
        """(status, headers, body or None) for a request path with query."""
        route = self.routes.get(raw_path) or self.routes.get(unquote(raw_path))
        if route:
            if "redirect" in route:
                return int(route.get("status", 301)), {"Location": route["redirect"]}, b""
            if "file" in route:
                file = self.site / route["file"]
                if file.is_file():
                    return int(route.get("status", 200)), {"Content-Type": route.get(
                        "content_type", self._type(file))}, file.read_bytes()
            if "status" in route:
                return int(route["status"]), {"Content-Type": "text/html; charset=utf-8"}, None
        path = unquote(urlsplit(raw_path).path).lstrip("/")
        base = (self.site / path).resolve()
        if self.site.resolve() not in (base, *base.parents):
            return 404, {}, None
        for candidate in (base, base.with_name(base.name + ".html"), base / "index.html"):
            if candidate.is_file():
                return 200, {"Content-Type": self._type(candidate)}, candidate.read_bytes()
        return 404, {"Content-Type": "text/html; charset=utf-8"}, None

    @staticmethod
    def _type(file: Path) -> str:
        return _TYPES.get(file.suffix.lower()) or mimetypes.guess_type(file.name)[0] or "text/html; charset=utf-8"


class ReplicaServer:
    """Serve a ReplicaSite on 127.0.0.1 in a background thread (port 0 = a free port)."""

    def __init__(self, root: Path | str, port: int = 0, delay: float = 0.0) -> None:
        self.site = ReplicaSite(Path(root))
        self.delay = delay  # seconds per response: a slow site, for crash/stop tests
        self.log: list[AccessRecord] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self._thread: threading.Thread | None = None

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_HEAD(self) -> None:  # noqa: N802 (http.server naming)
                self._serve(send_body=False)

            def do_GET(self) -> None:  # noqa: N802
                self._serve(send_body=True)

            def _serve(self, send_body: bool) -> None:
                if server.delay and not self.path.endswith("robots.txt"):
                    time.sleep(server.delay)
                status, headers, body = server.site.resolve(self.path)
                if body is None:
                    body = f"<html><body><h1>{status} {HTTPStatus(status).phrase}</h1></body></html>".encode()
                if status == 200:
                    body = _render_today_strips(body.replace(b"{{ORIGIN}}", server.origin.encode()))
                    etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
                    headers["ETag"] = etag
                    headers["Last-Modified"] = formatdate(server.site.mtime, usegmt=True)
                    if self.headers.get("If-None-Match") == etag:
                        status, body = 304, b""
                server.record(self, status)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if send_body and body:
                    self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # silence stderr
                pass

        return Handler

    def record(self, handler: BaseHTTPRequestHandler, status: int) -> None:
        with self._lock:
            self.log.append(AccessRecord(handler.command, handler.path, status,
                                         handler.headers.get("User-Agent", ""), dict(handler.headers)))

    def requested_paths(self) -> list[str]:
        with self._lock:
            return [r.path for r in self.log]

    def start(self) -> ReplicaServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="replica", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> ReplicaServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

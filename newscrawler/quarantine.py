"""Items that failed a stage of the ingestion path, kept so that nothing is lost.

Each failure is one JSON line in `<dir>/<run id>.jsonl`, in the format `newscrawler ingest` reads:
`url`, `outlet`, `fetched_at`, the raw page (`html_base64`, `content_type`) when it is known, every
field extracted so far (`article`), and the failure (`failure`: stage, kind, message, at).
`newscrawler replay` feeds these files back through extraction, dedup and store (idempotent: the
store upserts by `_id`), so a page that broke the extractor is re-processed by a fixed one and an
article the database refused is stored once it answers.
"""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newscrawler.article import Article

_LOCK = threading.Lock()


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def failure_line(stage: str, error: BaseException | str, url: str, outlet: str | None = None,
                 html: bytes | None = None, content_type: str | None = None,
                 article: Article | None = None, fetched_at: datetime | None = None) -> dict[str, Any]:
    kind = error if isinstance(error, str) else type(error).__name__
    line: dict[str, Any] = {
        "url": url, "outlet": outlet, "fetched_at": _jsonable(fetched_at or datetime.now(UTC)),
        "failure": {"stage": stage, "kind": kind, "message": str(error)[:2000],
                    "at": datetime.now(UTC).isoformat()},
    }
    if html is not None:
        line["html_base64"] = base64.b64encode(html).decode("ascii")
        line["content_type"] = content_type
    if article is not None:
        line["article"] = _jsonable({k: v for k, v in asdict(article).items() if k != "warnings"})
    return line


class Quarantine:
    """Appends failure lines to `<directory>/<run_id>.jsonl` (fsynced: it must survive a crash)."""

    def __init__(self, directory: Path | str, run_id: str) -> None:
        self.path = Path(directory) / f"{run_id}.jsonl"
        self.count = 0

    def add(self, line: dict[str, Any]) -> Path:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = json.dumps(line, ensure_ascii=False) + "\n"
        with _LOCK, self.path.open("a", encoding="utf-8") as out:
            out.write(data)
            out.flush()
        self.count += 1
        return self.path


def decode_html_field(data: dict[str, Any]) -> bytes | str | None:
    """The raw page of an ingest/quarantine line: `html_base64` (exact bytes) or `html` (text)."""
    if isinstance(data.get("html_base64"), str):
        return base64.b64decode(data["html_base64"])
    html = data.get("html")
    return html if isinstance(html, str) and html else None


def spool_run_record(directory: Path | str, record: dict[str, Any]) -> Path:
    """A run record the database refused, kept as `<directory>/runs/<id>.json` for the replay."""
    path = Path(directory) / "runs" / f"{record['_id']}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(_jsonable(record), ensure_ascii=False), "utf-8")
    return path

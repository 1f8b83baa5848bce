"""`newscrawler export`: the articles as JSON lines, CSV or Parquet (schema newscrawler/schemas/
export-v1.json), all of them or the changes since a cursor. The logic is in newscrawler/export.py."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newscrawler.cli.common import CliError, instant, open_store, project_settings

MAX_SKIPPED_SHOWN = 50


def run(args: argparse.Namespace) -> int:
    from pymongo.errors import OperationFailure

    from newscrawler.export import FORMATS, Cursor, Query, export, upper_bound

    if args.format not in FORMATS:
        raise CliError(f"unknown format {args.format!r}; use one of {', '.join(FORMATS)}")
    if args.format == "parquet" and args.output in (None, "-"):
        raise CliError("parquet is written to a file only: give -o FILE")
    if args.since and args.until and args.since >= args.until:
        raise CliError("--since must be before --until")
    output = None if args.output in (None, "-") else Path(args.output)
    cursor_file = Path(args.cursor_file) if args.cursor_file else None
    for path, what in ((output, "output"), (cursor_file, "cursor file")):
        if path is not None:
            _check_writable(path, what)
    after = None
    try:
        if args.after:
            after = Cursor.parse(args.after)  # takes precedence over the cursor file's position
        elif cursor_file is not None and cursor_file.exists():
            text = cursor_file.read_text(encoding="utf-8").strip()
            after = Cursor.parse(text) if text else None
    except (ValueError, OSError) as exc:
        raise CliError(f"{cursor_file or '--after'}: {exc}") from None

    settings = project_settings()
    settle = args.settle if args.settle is not None else settings.getfloat("EXPORT_SETTLE_SECONDS", 30.0)
    store = open_store(settings)
    outlets = _check_outlets(store, args.outlet or [])
    try:
        store.ensure_indexes()  # the (changed_at, _id) index; stamps changed_at on articles from before it
    except OperationFailure as exc:
        if exc.code != 13:  # Unauthorized: a read-only consumer; then everything must be stamped already
            raise
        if store.articles.find_one({"changed_at": None}, {"_id": 1}) is not None:
            raise CliError("articles without changed_at (stored before it existed): run one crawl, "
                           "ingest or export with write access first") from None
    query = Query(upper=upper_bound(datetime.now(UTC), settle), after=after, outlets=outlets,
                  since=args.since, until=args.until, include_duplicates=args.include_duplicates)

    try:
        with _output(output) as out:
            result = export(store, query, args.format, out)
    except BrokenPipeError:  # `newscrawler export | head`: the reader left; no cursor is stored
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        raise CliError("output closed before the export completed; cursor not stored", exit_code=1) from None
    if cursor_file is not None:
        _replace(cursor_file, f"{result.cursor or ''}\n".encode())

    where = output or "stdout"
    print(f"newscrawler export: {where} ({args.format}, schema v1): {result.summary()}", file=sys.stderr)
    for article_id, reason in result.skipped[:MAX_SKIPPED_SHOWN]:
        print(f"  skipped {article_id}: {reason}", file=sys.stderr)
    if len(result.skipped) > MAX_SKIPPED_SHOWN:
        print(f"  ... and {len(result.skipped) - MAX_SKIPPED_SHOWN} more skipped (all logged)", file=sys.stderr)
    if output is not None:
        print(result.cursor or "")  # stdout: the next cursor, for `--after "$(...)"`
    return 1 if result.skipped else 0


def _check_writable(path: Path, what: str) -> None:
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise CliError(f"{what} {path} is a directory")
    if not parent.is_dir():
        raise CliError(f"{what} {path}: no such directory {parent}")
    if not os.access(parent, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise CliError(f"{what} {path}: not writable")


def _check_outlets(store: Any, names: list[str]) -> list[str]:
    """Registered outlets, or names some stored article has (ingest takes any outlet name)."""
    from newscrawler.outlets import all_outlets

    known = all_outlets()
    for name in names:
        if name not in known and store.articles.find_one({"outlet": name}, {"_id": 1}) is None:
            raise CliError(f"unknown outlet {name!r}: not registered ({', '.join(known)}) and no stored article has it")
    return sorted(set(names))


@contextlib.contextmanager
def _output(path: Path | None) -> Any:
    """stdout, or a temporary file beside `path` renamed over it only when the export completed."""
    if path is None:
        yield sys.stdout.buffer
        sys.stdout.flush()
        return
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise CliError(f"output {path}: {exc.strerror}") from None
    try:
        with os.fdopen(handle, "wb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def _replace(path: Path, data: bytes) -> None:
    """Atomically: a crash leaves the old cursor or the new one, never a torn file."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "export", help="articles as JSON lines, CSV or Parquet (all, or the changes since a cursor)",
        description="Rows in (changed_at, id) order, schema newscrawler/schemas/export-v1.json. The export reads "
                    "articles changed up to EXPORT_SETTLE_SECONDS before it started. Summary on stderr; with -o, "
                    "stdout is the next cursor. Exit 1 when a document could not be converted (listed).")
    parser.add_argument("--format", default="jsonl", help="jsonl (default), csv or parquet")
    parser.add_argument("--outlet", action="append", metavar="NAME", help="only this outlet (repeatable)")
    parser.add_argument("--since", type=instant, help="published_at >= this ISO date/instant (UTC when no offset); "
                                                      "articles without a date are then left out")
    parser.add_argument("--until", type=instant, help="published_at < this ISO date/instant")
    parser.add_argument("--include-duplicates", action="store_true", help="also rows with duplicate_of set")
    parser.add_argument("-o", "--output", metavar="FILE", help="write here (atomically); default stdout (not parquet)")
    parser.add_argument("--cursor-file", metavar="FILE",
                        help="start after the position stored here (if the file exists); store the next one "
                             "there after a successful export")
    parser.add_argument("--after", metavar="CURSOR", help="start after this cursor (v1,<time>,<id>)")
    parser.add_argument("--settle", type=float, metavar="SECONDS", help="override EXPORT_SETTLE_SECONDS")
    parser.set_defaults(func=run)


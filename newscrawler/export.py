"""Export the articles collection for downstream consumers: a consistent snapshot, or the changes
since a cursor, as JSON lines, CSV or Parquet, with a versioned schema (schemas/export-v1.json).

Order and cursor. Rows come in (changed_at, _id) order. `changed_at` is stamped by the store on
insert, on every new version (text or metadata) and when a copy is linked to its original, never by a
visit that changes nothing. A cursor is the (changed_at, _id) of the last row read; the next export
with it returns what sorts after it, ties on changed_at broken by _id, so no row is skipped or
repeated between polls.

Upper bound. An export fixes `upper = now - settle` when it starts and reads only changed_at <=
upper: an article changed while the export runs gets a changed_at > upper, so it is either exported
as it was (read before the change) or left for the next export, never half-in. The settle window
covers writes that commit after the moment they stamped (a batch stamps changed_at just before its
bulk write; a slow write on the embedded server; clocks of crawl and export hosts): a poll never
passes a time whose writes may still arrive. EXPORT_SETTLE_SECONDS in settings (30 s).

Memory is bounded: one database cursor read in batches, rows written as they come (Parquet: one row
group per `batch_size` rows). A document that does not fit the schema is counted and reported with its
reason and id, never silently dropped; the cursor moves past it (it is exported again when it changes).
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import resources
from typing import IO, Any, Protocol

from newscrawler.store import ArticleStore

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
SCHEMA_NAME = f"export-v{SCHEMA_VERSION}"
FORMATS = ("jsonl", "csv", "parquet")
BATCH_SIZE = 500  # rows per database batch and per Parquet row group: ~5 KB an article


@cache
def schema() -> dict[str, Any]:
    """The JSON Schema of one exported row (package data, so it works from a wheel or an egg too)."""
    text = resources.files("newscrawler.schemas").joinpath(f"{SCHEMA_NAME}.json").read_text(encoding="utf-8")
    return dict(json.loads(text))


def columns() -> tuple[str, ...]:
    """Column order: the order of the schema's properties."""
    return tuple(schema()["properties"])


def _kind(spec: dict[str, Any]) -> tuple[str, bool]:
    """(datetime | string | integer | strings, nullable) of a column's schema."""
    types = spec["type"] if isinstance(spec["type"], list) else [spec["type"]]
    main = next(t for t in types if t != "null")
    if main == "array":
        return "strings", False
    if main == "string" and spec.get("format") == "date-time":
        return "datetime", "null" in types
    return main, "null" in types


class ConversionError(ValueError):
    """A stored document that does not fit the export schema."""


def to_row(doc: dict[str, Any]) -> dict[str, Any]:
    """A stored article as one export row (Python values: aware UTC datetimes, lists, ints, str, None).
    Raises ConversionError naming the field."""
    row: dict[str, Any] = {}
    for name, spec in schema()["properties"].items():
        if name == "schema_version":
            row[name] = SCHEMA_VERSION
            continue
        value = doc.get("_id" if name == "id" else name)
        kind, nullable = _kind(spec)
        if kind == "strings":
            value = [] if value is None else value
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConversionError(f"{name}: expected a list of strings, got {_type(value)}")
        elif value is None:
            if not nullable:
                raise ConversionError(f"{name}: missing")
        elif kind == "datetime":
            if not isinstance(value, datetime):  # e.g. a date stored as a string
                raise ConversionError(f"{name}: expected a date-time, got {_type(value)}")
            value = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
        elif kind == "integer":
            if not isinstance(value, int) or isinstance(value, bool):
                raise ConversionError(f"{name}: expected an integer, got {_type(value)}")
        elif not isinstance(value, str):
            raise ConversionError(f"{name}: expected a string, got {_type(value)}")
        row[name] = value
    return row


def _type(value: Any) -> str:
    return type(value).__name__


def iso(value: datetime) -> str:
    """ISO 8601 UTC with milliseconds and Z: 2024-05-15T03:12:00.000Z (BSON keeps milliseconds)."""
    utc = value.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


@dataclass(frozen=True, order=True)
class Cursor:
    """Position after the row (changed_at, id). Text form: `v1,<changed_at ISO Z>,<id>`."""

    changed_at: datetime
    id: str

    def __str__(self) -> str:
        return f"v1,{iso(self.changed_at)},{self.id}"

    @classmethod
    def parse(cls, text: str) -> Cursor:
        parts = text.strip().split(",", 2)
        if len(parts) != 3 or parts[0] != "v1" or not parts[2]:
            raise ValueError(f"not an export cursor: {text.strip()!r} (expected v1,<ISO time>,<id>)")
        try:
            when = datetime.fromisoformat(parts[1].replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"not an export cursor: {text.strip()!r} (bad time)") from None
        return cls(when if when.tzinfo else when.replace(tzinfo=UTC), parts[2])


@dataclass
class Query:
    upper: datetime  # changed_at <= upper: fixed when the export starts
    after: Cursor | None = None
    outlets: list[str] = field(default_factory=list)
    since: datetime | None = None  # published_at >= since
    until: datetime | None = None  # published_at < until
    include_duplicates: bool = False

    def filter(self) -> dict[str, Any]:
        conditions: list[dict[str, Any]] = [{"changed_at": {"$lte": self.upper}}]
        if self.after is not None:
            at, key = self.after.changed_at, self.after.id
            conditions.append({"$or": [{"changed_at": {"$gt": at}}, {"changed_at": at, "_id": {"$gt": key}}]})
        if self.outlets:
            conditions.append({"outlet": {"$in": list(self.outlets)}})
        if not self.include_duplicates:
            # Null or missing. Written as `$in: [null]`, not `null`: next to an `$in` on another field
            # `{"duplicate_of": null}` matched nothing on the embedded server (nx-27017 0.8.1).
            conditions.append({"duplicate_of": {"$in": [None]}})
        published: dict[str, datetime] = {}
        if self.since is not None:
            published["$gte"] = self.since
        if self.until is not None:
            published["$lt"] = self.until
        if published:  # an article without a date is in no window
            conditions.append({"published_at": published})
        return {"$and": conditions}


def documents(store: ArticleStore, query: Query, batch_size: int = BATCH_SIZE) -> Iterator[dict[str, Any]]:
    """The matching articles in (changed_at, _id) order, fetched `batch_size` at a time."""
    wanted = {("_id" if c == "id" else c): 1 for c in columns() if c != "schema_version"}
    cursor = store.articles.find(query.filter(), wanted, batch_size=batch_size)
    yield from cursor.sort([("changed_at", 1), ("_id", 1)])


class RowWriter(Protocol):
    def write(self, rows: list[dict[str, Any]]) -> None: ...
    def close(self, metadata: dict[str, str]) -> None: ...


def _json_value(value: Any) -> Any:
    return iso(value) if isinstance(value, datetime) else value


class JsonLinesWriter:
    def __init__(self, out: IO[bytes]) -> None:
        self.out = io.TextIOWrapper(out, encoding="utf-8", newline="\n", write_through=True)

    def write(self, rows: list[dict[str, Any]]) -> None:
        self.out.write("".join(json.dumps({k: _json_value(v) for k, v in row.items()}, ensure_ascii=False) + "\n"
                               for row in rows))

    def close(self, metadata: dict[str, str]) -> None:
        self.out.flush()
        self.out.detach()  # the caller owns the stream


class CsvWriter:
    """RFC 4180 CSV, UTF-8 without BOM, header row; lists as JSON arrays, null as an empty cell."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
        self.csv = csv.writer(self.out)
        self.csv.writerow(columns())

    def write(self, rows: list[dict[str, Any]]) -> None:
        self.csv.writerows([[_csv_value(row[c]) for c in columns()] for row in rows])

    def close(self, metadata: dict[str, str]) -> None:
        self.out.flush()
        self.out.detach()


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, list):
        return json.dumps(value, ensure_ascii=False)
    return _json_value(value)


def arrow_schema(metadata: dict[str, str] | None = None) -> Any:
    """The Parquet schema: explicit types from the JSON Schema, never inferred from the rows."""
    import pyarrow as pa

    types = {"datetime": pa.timestamp("ms", tz="UTC"), "string": pa.string(), "integer": pa.int64(),
             "strings": pa.list_(pa.string())}
    fields = []
    for name, spec in schema()["properties"].items():
        kind, nullable = _kind(spec)
        fields.append(pa.field(name, types[kind], nullable=nullable,
                               metadata={"description": spec.get("description", "")}))
    return pa.schema(fields, metadata=metadata)


class ParquetWriter:
    """One row group per write; file metadata carries the schema name and version (and, at close,
    the export's cursor and counts)."""

    def __init__(self, out: IO[bytes], metadata: dict[str, str]) -> None:
        import pyarrow.parquet as pq

        self.schema = arrow_schema(metadata)
        self.writer = pq.ParquetWriter(out, self.schema, compression="zstd")

    def write(self, rows: list[dict[str, Any]]) -> None:
        import pyarrow as pa

        self.writer.write_table(pa.Table.from_pylist(rows, schema=self.schema))

    def close(self, metadata: dict[str, str]) -> None:
        self.writer.add_key_value_metadata(metadata)
        self.writer.close()


@dataclass
class ExportResult:
    upper: datetime
    written: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (id, reason)
    cursor: Cursor | None = None  # position after the last row read; the query's own when none

    def summary(self) -> str:
        return (f"{self.written} rows written, {len(self.skipped)} skipped; changed_at <= {iso(self.upper)}; "
                f"cursor {self.cursor or '(none)'}")


def upper_bound(now: datetime, settle_seconds: float) -> datetime:
    """`now - settle`, floored to the millisecond (what BSON stores and the cursor text keeps)."""
    upper = now.astimezone(UTC) - timedelta(seconds=settle_seconds)
    return upper.replace(microsecond=upper.microsecond // 1000 * 1000)


def export(store: ArticleStore, query: Query, fmt: str, out: IO[bytes], batch_size: int = BATCH_SIZE) -> ExportResult:
    """Write the rows of `query` to `out` (binary) in `fmt`; returns counts and the next cursor."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; known: {', '.join(FORMATS)}")
    result = ExportResult(upper=query.upper, cursor=query.after)
    header = {"newscrawler.schema": SCHEMA_NAME, "newscrawler.schema_version": str(SCHEMA_VERSION),
              "newscrawler.changed_at_upper": iso(query.upper),
              "newscrawler.after": str(query.after or "")}
    writer: RowWriter = (JsonLinesWriter(out) if fmt == "jsonl" else CsvWriter(out) if fmt == "csv"
                         else ParquetWriter(out, header))
    pending: list[dict[str, Any]] = []
    for doc in documents(store, query, batch_size):
        try:
            pending.append(to_row(doc))
        except ConversionError as exc:
            result.skipped.append((str(doc.get("_id")), str(exc)))
            log.warning("export: article %s skipped: %s", doc.get("_id"), exc)
        changed_at = doc.get("changed_at")
        if isinstance(changed_at, datetime) and isinstance(doc.get("_id"), str):
            result.cursor = Cursor(changed_at.astimezone(UTC) if changed_at.tzinfo else changed_at.replace(tzinfo=UTC),
                                   doc["_id"])
        if len(pending) >= batch_size:
            writer.write(pending)
            result.written += len(pending)
            pending = []
    if pending:
        writer.write(pending)
        result.written += len(pending)
    writer.close({**header, "newscrawler.rows": str(result.written), "newscrawler.skipped": str(len(result.skipped)),
                  "newscrawler.cursor": str(result.cursor or "")})
    return result

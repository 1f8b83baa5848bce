"""`newscrawler export` (newscrawler/export.py, newscrawler/cli/export.py): articles written through
ArticleWriter, exported as JSON lines, CSV and Parquet and read back; filters; cursor polling."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from newscrawler.article import Article
from newscrawler.export import Cursor, Query, columns, export, schema, upper_bound
from newscrawler.normalise.article import normalise_article
from newscrawler.store import ArticleStore
from newscrawler.store.writer import ArticleWriter

PROJECT_DIR = Path(__file__).resolve().parent.parent
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
LATER = T0 + timedelta(hours=1)
QUOTED_TITLE = 'الوزير: "الخطة، تبدأ غداً"'
TWO_PARAGRAPHS = ("أعلنت وزارة النفط في بغداد عن زيادة الصادرات إلى 3400000 برميل يومياً، \"وفق الخطة\".\n"
                  "وقال المتحدث إن الحقول الجنوبية في البصرة تشمل 12 حقلاً جديداً هذا العام. ") * 3
B1_PUBLISHED = datetime(2024, 5, 15, 3, 12, 0, 123000, tzinfo=UTC)


def article(outlet: str, n: int, text: str | None = None, fetched_at: datetime = T0, **fields: Any) -> Article:
    url = (f"https://www.basnews.com/ar/babat/{900000 + n}" if outlet == "basnews"
           else f"https://almadapaper.net/view.php?cat={300000 + n}")
    item = Article(url=url, outlet=outlet, title=fields.pop("title", f"خبر رقم {n}"),
                   text=text or f"نص الخبر رقم {n} عن موضوع مختلف تماماً رقم {n * 7} " * 12,
                   fetched_at=fetched_at, **fields)
    return normalise_article(item)


def b1(**fields: Any) -> Article:
    values = {"title": QUOTED_TITLE, "published_at": B1_PUBLISHED, "authors": ["سارة علي"], "tags": ["عراق", "نفط"],
              "section": "اقتصاد", **fields}
    return article("basnews", 1, TWO_PARAGRAPHS, **values)


def b2(**fields: Any) -> Article:
    return article("basnews", 2, published_at=datetime(2024, 6, 1, tzinfo=UTC), **fields)


def m1(**fields: Any) -> Article:
    return article("almada", 1, **fields)  # no publication date


def m2() -> Article:  # Al-Mada's verbatim copy of b1: a duplicate
    return article("almada", 2, TWO_PARAGRAPHS, published_at=datetime(2024, 5, 16, tzinfo=UTC))


def write(store: ArticleStore, articles: list[Article], now: datetime) -> None:
    report = ArticleWriter(store).write(articles, now=now)
    assert not report.failed, report.failed


@pytest.fixture
def corpus(store: ArticleStore) -> dict[str, str]:
    """b1, b2 (basnews), m1 (almada, undated) at T0; m2 (almada, copy of b1) a minute later."""
    write(store, [b1(), b2(), m1()], T0)
    write(store, [m2()], T0 + timedelta(minutes=1))
    assert store.articles.find_one({"_id": m2().id})["duplicate_of"] == b1().id
    return {"b1": b1().id, "b2": b2().id, "m1": m1().id, "m2": m2().id}


def read_back(data: bytes, fmt: str) -> list[dict[str, Any]]:
    """Rows as each format's ordinary reader gives them."""
    if fmt == "jsonl":
        return [json.loads(line) for line in data.decode("utf-8").splitlines()]
    if fmt == "csv":
        reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
        header = next(reader)
        assert tuple(header) == columns()
        return [dict(zip(header, values, strict=True)) for values in reader]
    return pq.read_table(io.BytesIO(data)).to_pylist()


def run(store: ArticleStore, fmt: str = "jsonl", batch_size: int = 500, **query: Any) -> tuple[list[dict], Any]:
    out = io.BytesIO()
    result = export(store, Query(upper=query.pop("upper", LATER), **query), fmt, out, batch_size=batch_size)
    rows = read_back(out.getvalue(), fmt)
    assert result.written == len(rows)
    return rows, result


def ids(rows: list[dict[str, Any]]) -> list[str]:
    return [r["id"] for r in rows]


# --- formats --------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_every_format_reads_back_the_stored_articles(store: ArticleStore, corpus: dict[str, str], fmt: str) -> None:
    rows, result = run(store, fmt)
    assert ids(rows) == sorted([corpus["b1"], corpus["b2"], corpus["m1"]]), "(changed_at, id) order; no duplicate"
    assert not result.skipped
    first = next(r for r in rows if r["id"] == corpus["b1"])
    undated = next(r for r in rows if r["id"] == corpus["m1"])
    assert list(first) == list(columns())
    assert (first["title"], first["text"], first["outlet"], first["section"]) == (
        QUOTED_TITLE, b1().text, "basnews", "اقتصاد")
    assert "\n" in first["text"] and first["canonical_url"] == "https://www.basnews.com/ar/babat/900001"
    if fmt == "parquet":  # typed values
        assert first["published_at"] == B1_PUBLISHED and first["changed_at"] == T0
        assert first["authors"] == ["سارة علي"] and first["tags"] == ["عراق", "نفط"]
        assert first["version"] == 1 and first["schema_version"] == 1
        assert undated["published_at"] is None and undated["authors"] == []
    else:  # text: ISO 8601 UTC with milliseconds and Z; CSV lists are JSON arrays, null an empty cell
        assert first["published_at"] == "2024-05-15T03:12:00.123Z" and first["changed_at"] == "2026-03-01T09:00:00.000Z"
        lists = [json.loads(first["authors"]), json.loads(first["tags"])] if fmt == "csv" else [first["authors"], first["tags"]]
        assert lists == [["سارة علي"], ["عراق", "نفط"]]
        assert str(first["version"]) == "1" and str(first["schema_version"]) == "1"
        assert undated["published_at"] == ("" if fmt == "csv" else None)


def test_json_lines_rows_validate_against_the_published_schema(store: ArticleStore, corpus: dict[str, str]) -> None:
    rows, _ = run(store, "jsonl", include_duplicates=True)
    validator = jsonschema.Draft202012Validator(schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    for row in rows:
        validator.validate(row)
    assert len(rows) == 4


def test_parquet_has_explicit_types_metadata_and_bounded_row_groups(store: ArticleStore, corpus: dict[str, str]) -> None:
    out = io.BytesIO()
    result = export(store, Query(upper=LATER, include_duplicates=True), "parquet", out, batch_size=3)
    parquet = pq.ParquetFile(io.BytesIO(out.getvalue()))
    types = {f.name: f.type for f in parquet.schema_arrow}
    assert types["published_at"] == pa.timestamp("ms", tz="UTC") and types["changed_at"] == pa.timestamp("ms", tz="UTC")
    assert types["authors"] == pa.list_(pa.string()) and types["version"] == pa.int64() and types["text"] == pa.string()
    assert [f.name for f in parquet.schema_arrow] == list(columns())
    meta = parquet.metadata.metadata
    assert meta[b"newscrawler.schema_version"] == b"1" and meta[b"newscrawler.schema"] == b"export-v1"
    assert meta[b"newscrawler.cursor"].decode() == str(result.cursor) and meta[b"newscrawler.rows"] == b"4"
    assert parquet.metadata.num_row_groups == 2, "3 rows, then 1: written as read"


# --- filters --------------------------------------------------------------------------------------

def test_duplicates_are_left_out_unless_asked_for(store: ArticleStore, corpus: dict[str, str]) -> None:
    assert corpus["m2"] not in ids(run(store)[0])
    rows, _ = run(store, include_duplicates=True)
    copy = next(r for r in rows if r["id"] == corpus["m2"])
    assert copy["duplicate_of"] == corpus["b1"] and ids(rows)[-1] == corpus["m2"], "stored a minute later"


def test_outlet_filter_with_and_without_duplicates(store: ArticleStore, corpus: dict[str, str]) -> None:
    assert ids(run(store, outlets=["basnews"])[0]) == sorted([corpus["b1"], corpus["b2"]])
    assert ids(run(store, outlets=["almada"])[0]) == [corpus["m1"]]
    assert ids(run(store, outlets=["almada"], include_duplicates=True)[0]) == [corpus["m1"], corpus["m2"]]
    assert ids(run(store, outlets=["almada", "basnews"])[0]) == sorted([corpus["b1"], corpus["b2"], corpus["m1"]])


def test_since_until_filter_publication_time(store: ArticleStore, corpus: dict[str, str]) -> None:
    """since inclusive, until exclusive; an article without a date is in no window."""
    may15, june1 = datetime(2024, 5, 15, tzinfo=UTC), datetime(2024, 6, 1, tzinfo=UTC)
    assert ids(run(store, since=may15, until=june1)[0]) == [corpus["b1"]]
    assert ids(run(store, since=may15, until=june1, include_duplicates=True)[0]) == [corpus["b1"], corpus["m2"]]
    assert ids(run(store, since=june1)[0]) == [corpus["b2"]]
    assert ids(run(store, until=B1_PUBLISHED)[0]) == []
    assert ids(run(store, since=may15, outlets=["almada"], include_duplicates=True)[0]) == [corpus["m2"]]


# --- snapshot bound and cursor --------------------------------------------------------------------

def test_polling_by_cursor(store: ArticleStore, corpus: dict[str, str]) -> None:
    first, result = run(store)
    assert len(first) == 3 and result.cursor == Cursor(T0, max(ids(first)))
    again, result2 = run(store, after=result.cursor, upper=LATER + timedelta(hours=1))
    assert again == [] and result2.cursor == result.cursor, "nothing changed: no row, the cursor stays"

    t1 = T0 + timedelta(days=1)
    write(store, [b1(fetched_at=t1, http_etag='"v2"'), b2(fetched_at=t1), m1(fetched_at=t1)], t1)  # visits only
    assert run(store, after=result.cursor, upper=t1 + timedelta(hours=1))[0] == []

    t2 = T0 + timedelta(days=2)
    write(store, [b2(title="عنوان مصحح", fetched_at=t2),  # metadata only
                  m1(text="نص معدل تماماً عن موضوع آخر رقم 4242 في الموصل " * 10, fetched_at=t2),  # text
                  b1(fetched_at=t2),  # unchanged
                  article("basnews", 3, fetched_at=t2)], t2)  # new
    rows, result3 = run(store, after=result.cursor, upper=t2 + timedelta(hours=1))
    assert ids(rows) == sorted([corpus["b2"], corpus["m1"], article("basnews", 3).id])
    changed = {r["id"]: r for r in rows}
    assert changed[corpus["b2"]]["title"] == "عنوان مصحح" and changed[corpus["b2"]]["version"] == 2
    assert changed[corpus["m1"]]["version"] == 2 and all(r["changed_at"] == "2026-03-03T09:00:00.000Z" for r in rows)
    assert run(store, after=result3.cursor, upper=t2 + timedelta(hours=2))[0] == []


def test_the_cursor_breaks_ties_on_changed_at_by_id(store: ArticleStore, corpus: dict[str, str]) -> None:
    tied = sorted([corpus["b1"], corpus["b2"], corpus["m1"]])  # one batch: one changed_at
    rows, _ = run(store, after=Cursor(T0, tied[0]))
    assert ids(rows) == tied[1:]
    rows, _ = run(store, after=Cursor.parse(str(Cursor(T0, tied[1]))))
    assert ids(rows) == tied[2:]


def test_the_upper_bound_leaves_recent_and_concurrent_changes_for_the_next_poll(
        store: ArticleStore, corpus: dict[str, str]) -> None:
    """changed_at <= now - settle, fixed when the export starts: a write stamped inside the window is
    left for the next poll, however late it commits; one that changed after the start is not half-in."""
    t = T0 + timedelta(days=5)
    write(store, [b2(title="تعديل أخير", fetched_at=t)], t)
    assert upper_bound(t + timedelta(seconds=10), 30) < t
    rows, result = run(store, after=Cursor(T0, max(corpus.values())), upper=upper_bound(t + timedelta(seconds=10), 30))
    assert rows == [] and result.upper == t - timedelta(seconds=20)
    rows, _ = run(store, after=Cursor(T0, max(corpus.values())), upper=upper_bound(t + timedelta(seconds=31), 30))
    assert ids(rows) == [corpus["b2"]] and rows[0]["title"] == "تعديل أخير"


def test_a_document_that_does_not_fit_the_schema_is_counted_and_reported(
        store: ArticleStore, corpus: dict[str, str]) -> None:
    store.articles.insert_one({"_id": "zz-bad", "url": "https://x.example/1", "canonical_url": "https://x.example/1",
                               "outlet": "basnews", "title": "t", "text": "x", "content_hash": "h", "version": 1,
                               "published_at": "2024-05-17 10:00:00", "first_seen_at": T0, "changed_at": T0})
    rows, result = run(store)
    assert "zz-bad" not in ids(rows) and len(rows) == 3
    assert result.skipped == [("zz-bad", "published_at: expected a date-time, got str")]
    assert result.cursor == Cursor(T0, "zz-bad"), "the cursor moves past it: it is reported once"
    assert "1 skipped" in result.summary()


# --- the command ----------------------------------------------------------------------------------

def cli(mongo_uri: str, db_name: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MONGO_URI": mongo_uri, "MONGO_DATABASE": db_name}
    return subprocess.run([sys.executable, "-m", "newscrawler.cli", "export", *args], cwd=PROJECT_DIR, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_the_command_exports_and_polls(store: ArticleStore, mongo_uri: str, db_name: str, tmp_path: Path,
                                       fmt: str) -> None:
    # The command reads the wall clock: the articles are stamped an hour before it (whatever the day).
    stamped = datetime.now(UTC) - timedelta(hours=1)
    write(store, [b1(fetched_at=stamped), b2(fetched_at=stamped), m1(fetched_at=stamped)], stamped)
    write(store, [m2()], stamped)
    out, position = tmp_path / f"articles.{fmt}", tmp_path / "state" / "cursor"
    position.parent.mkdir()
    done = cli(mongo_uri, db_name, "--format", fmt, "-o", str(out), "--cursor-file", str(position),
               "--outlet", "basnews", "--include-duplicates")
    assert done.returncode == 0, done.stderr
    rows = read_back(out.read_bytes(), fmt)
    assert ids(rows) == sorted([b1().id, b2().id]) and rows[0]["text"] in (b1().text, b2().text)
    cursor = position.read_text().strip()
    assert done.stdout.strip() == cursor and Cursor.parse(cursor).id == max(b1().id, b2().id)
    assert "2 rows written, 0 skipped" in done.stderr and cursor in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([out.name, "state"]), "no temporary file left"
    assert [p.name for p in position.parent.iterdir()] == ["cursor"]
    if fmt == "jsonl":  # poll again: nothing changed
        again = cli(mongo_uri, db_name, "-o", str(out), "--cursor-file", str(position), "--outlet", "basnews",
                    "--include-duplicates")
        assert again.returncode == 0 and out.read_bytes() == b"" and position.read_text().strip() == cursor


def test_the_command_refuses_misuse_in_one_line(store: ArticleStore, mongo_uri: str, db_name: str,
                                               tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from newscrawler.cli import main

    cases = [
        (["--format", "xml"], "unknown format 'xml'"),
        (["--format", "parquet"], "parquet is written to a file only"),
        (["-o", str(tmp_path / "missing" / "out.jsonl")], "no such directory"),
        (["-o", str(tmp_path)], "is a directory"),
        (["--after", "yesterday"], "not an export cursor"),
        (["--since", "2024-06-01", "--until", "2024-05-01"], "--since must be before --until"),
    ]
    for args, message in cases:
        assert main(["export", *args]) == 2, args
        err = capsys.readouterr().err
        assert err.startswith("newscrawler export: ") and message in err and err.count("\n") == 1, err
    done = cli(mongo_uri, db_name, "--outlet", "nosuchoutlet")
    assert done.returncode == 2 and done.stderr.strip().startswith("newscrawler export: unknown outlet 'nosuchoutlet'")
    assert done.stderr.count("\n") == 1 and done.stdout == ""

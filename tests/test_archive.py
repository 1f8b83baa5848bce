"""Raw page archive: a replica crawl keeps every article response as valid WARC indexed in
raw_pages; `newscrawler reextract` finds nothing changed right after, restores exactly the article
an "older extractor" had stored differently (a new version), then again nothing; the writer thread
writes revisit records for unchanged payloads, refuses (and reports) captures beyond its queue, and
keeps writing WARC while the database is away."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from newscrawler.archive.importer import import_warcs
from newscrawler.archive.index import RawPageIndex
from newscrawler.archive.records import Capture, fetch_time, payload_digest
from newscrawler.archive.reextract import reextract
from newscrawler.archive.warcfile import WarcFileWriter, read_record
from newscrawler.archive.writer import ArchiveWriter
from newscrawler.dedup.fingerprint import content_hash
from newscrawler.store import ArticleStore
from newscrawler.store.mongo import record_hash
from tests.conftest import PROJECT_DIR

WARCIO = Path(sys.executable).with_name("warcio")


def check_warc(path: Path) -> list[str]:
    """Every record read with its digests verified; returns the record types. Also `warcio check`."""
    types = []
    with open(path, "rb") as fh:
        iterator = ArchiveIterator(fh, check_digests=True)
        for record in iterator:
            record.content_stream().read()
            assert record.digest_checker.passed is not False, (path, record.digest_checker.problems)
            types.append(record.rec_type)
    checked = subprocess.run([str(WARCIO), "check", str(path)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    return types


def cli(mongo_uri: str, db_name: str, data_dir: Path, *args: str) -> tuple[dict, str]:
    """The command's JSON summary (stdout) and its progress lines (stderr, plain: not a terminal)."""
    env = {**os.environ, "MONGO_URI": mongo_uri, "MONGO_DATABASE": db_name, "NEWSCRAWLER_DATA_DIR": str(data_dir)}
    proc = subprocess.run([sys.executable, "-m", "newscrawler.cli", *args], cwd=PROJECT_DIR, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout), proc.stderr


def test_crawl_archives_every_article_page_and_reextract_updates_only_what_changed(
        replica, run_crawl, store: ArticleStore, mongo_uri: str, db_name: str, tmp_path: Path) -> None:
    server = replica("almada")
    run = run_crawl("almada", server.origin)
    assert run.returncode == 0, run.output[-3000:]
    record = store.runs.find_one({"outlet": "almada"})
    assert not {k for k in record["errors"] if k.startswith("archive/")}, record["errors"]

    warc_dir = tmp_path / "data" / "warc"
    pages = list(store.db["raw_pages"].find())
    assert len(pages) == record["article_pages"] > 0
    files = sorted(warc_dir.rglob("*.warc.gz"))
    assert files and all(p.parent.name == "almada" and p.name.startswith(record["_id"]) for p in files)
    responses = 0
    for path in files:
        types = check_warc(path)
        assert types[0] == "warcinfo"
        responses += types.count("response")
    assert responses == len(pages)
    for page in pages:
        raw = read_record(warc_dir / page["warc"], page["offset"])
        assert (raw.type, raw.url, raw.status, raw.record_id) == ("response", page["url"], 200, page["_id"])
        assert raw.fetched_at == page["fetched_at"] and payload_digest(raw.body) == page["digest"]
        assert ("Content-Length", str(len(raw.body))) in raw.headers

    stored = store.articles.count_documents({})
    first, progress = cli(mongo_uri, db_name, tmp_path / "data", "reextract", "--outlet", "almada", "--workers", "2")
    assert first["pages"] == len({p["url"] for p in pages})  # the latest fetch of each URL
    assert f"re-extracting: {first['pages']}/{first['pages']} pages" in progress.splitlines()
    assert "\x1b" not in progress, "no escape codes off a terminal"
    assert (first["new"], first["updated"], first["unchanged"]) == (0, 0, stored), first
    assert first["failed"] == {}

    # An older extractor stored one article with another text and date: re-extraction restores it.
    victim = store.articles.find_one({"duplicate_of": None}, sort=[("_id", 1)])
    old_text = victim["text"].split("\n")[0]
    older = {"text": old_text, "content_hash": content_hash(old_text),
             "published_at": victim["published_at"] - timedelta(days=3)}
    older["record_hash"] = record_hash({**victim, **older})  # as that extractor's write would have left it
    store.articles.update_one({"_id": victim["_id"]}, {"$set": older})
    second = reextract(store, warc_dir, workers=0)
    assert (second["updated"], second["unchanged"], second["new"]) == (1, stored - 1, 0), second
    restored = store.articles.find_one({"_id": victim["_id"]})
    assert restored["version"] == 2
    assert (restored["text"], restored["published_at"]) == (victim["text"], victim["published_at"])
    assert [v["text"] for v in store.history(victim["_id"])] == [old_text]

    third = reextract(store, warc_dir, workers=0, since=datetime.now(UTC) - timedelta(days=1))
    assert (third["pages"], third["updated"], third["unchanged"]) == (first["pages"], 0, stored), third
    assert reextract(store, warc_dir, workers=0, until=datetime(2000, 1, 1, tzinfo=UTC))["pages"] == 0


def capture(url: str, body: bytes, at: datetime) -> Capture:
    return Capture(url=url, status=200, headers=[("Content-Type", "text/html; charset=utf-8")], body=body,
                   fetched_at=fetch_time(at), outlet="almada", crawl_id="almada-test")


def test_writer_stores_an_unchanged_page_as_a_revisit_of_the_earlier_response(store: ArticleStore,
                                                                              tmp_path: Path) -> None:
    errors: list[tuple[str, int]] = []
    at = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
    url = "https://almadapaper.net/400001/"
    body = "<html><body><h1>خبر</h1><p>نص الخبر</p></body></html>".encode()
    for n, (page, when) in enumerate([(body, at), (body, at + timedelta(hours=1)),
                                      (body + b" ", at + timedelta(hours=2))]):
        writer = ArchiveWriter(tmp_path, 1 << 20, 1 << 20, RawPageIndex(store.db),
                               on_error=lambda kind, count: errors.append((kind, count)))
        writer.start()
        assert writer.submit(capture(url, page, when))
        files = writer.close(timeout=30)
        assert len(files) == 1 and check_warc(files[0]).count("request") == 1, n
    assert errors == []
    docs = sorted(store.db["raw_pages"].find({"url": url}), key=lambda d: d["fetched_at"])
    assert [d["type"] for d in docs] == ["response", "revisit", "response"]
    assert docs[1]["payload"]["record_id"] == docs[0]["_id"] and docs[1]["payload"]["offset"] == docs[0]["offset"]
    revisit = read_record(tmp_path / docs[1]["warc"], docs[1]["offset"])
    assert revisit.type == "revisit" and revisit.body == b""
    latest = RawPageIndex(store.db).latest.find_one({"url": url})
    assert latest["record_id"] == docs[2]["_id"]


def test_files_rotate_at_the_size_limit_each_with_its_warcinfo(tmp_path: Path) -> None:
    writer = WarcFileWriter(tmp_path, "almada", "almada-20250301T090000", max_bytes=1)
    at = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
    written = [writer.write(capture(f"https://almadapaper.net/40000{n}/", b"<html>%d</html>" % n, at))
               for n in range(3)]
    writer.close()
    assert [w.location.warc for w in written] == [f"almada/almada-20250301T090000-{n:05d}.warc.gz" for n in range(3)]
    assert [check_warc(p) for p in writer.files] == [["warcinfo", "response", "request"]] * 3
    again = WarcFileWriter(tmp_path, "almada", "almada-20250301T090000", max_bytes=1 << 20)
    assert again.write(capture("https://almadapaper.net/400009/", b"<html></html>", at)).location.warc.endswith(
        "-00003.warc.gz"), "an existing file is never reopened"


def test_a_failed_write_leaves_the_file_readable_and_the_next_capture_goes_to_a_new_file(tmp_path: Path) -> None:
    writer = WarcFileWriter(tmp_path, "almada", "almada-test", max_bytes=1 << 20)
    at = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
    writer.write(capture("https://almadapaper.net/400001/", b"<html>1</html>", at))
    broken = capture("https://almadapaper.net/400002/", b"<html>2</html>", at)
    broken.request_headers = [("X-Bad", "\ud800")]  # fails after its response record was written
    try:
        writer.write(broken)
        raise AssertionError("the write should fail")
    except UnicodeEncodeError:
        pass
    writer.write(capture("https://almadapaper.net/400003/", b"<html>3</html>", at))
    writer.close()
    assert [check_warc(p) for p in writer.files] == [["warcinfo", "response", "request"]] * 2


def test_writer_refuses_captures_beyond_its_queue_and_writes_without_a_database(store: ArticleStore,
                                                                                tmp_path: Path) -> None:
    from newscrawler.store import connect

    errors: list[tuple[str, int]] = []
    dead = connect("mongodb://127.0.0.1:9/")["nowhere"]
    writer = ArchiveWriter(tmp_path, 1 << 20, 10_000, RawPageIndex(dead),
                           on_error=lambda kind, count: errors.append((kind, count)), db_timeout=0.5)
    at = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
    big = b"<html><body>" + b"x" * 9_000 + b"</body></html>"
    assert writer.submit(capture("https://almadapaper.net/400001/", big, at))
    assert not writer.submit(capture("https://almadapaper.net/400002/", big, at)), "beyond the byte budget"
    writer.start()
    files = writer.close(timeout=60)
    assert check_warc(files[0]).count("response") == 1, "written although the index is unreachable"
    assert sum(count for _, count in errors) == 1 and errors[0][0] == "ServerSelectionTimeoutError", errors
    # The database is back: import-warc indexes the file where it lies (relative to WARC_DIR).
    import_warcs(files, store, tmp_path, workers=0)
    indexed = store.db["raw_pages"].find_one({"url": "https://almadapaper.net/400001/"})
    assert (indexed["warc"], indexed["source"]) == ("almada/almada-test-00000.warc.gz", "import")
    assert read_record(tmp_path / indexed["warc"], indexed["offset"]).body == big


def test_a_broken_archive_loses_no_article_and_shows_in_the_run_record(replica, run_crawl, store: ArticleStore,
                                                                       tmp_path: Path) -> None:
    not_a_dir = tmp_path / "warc-is-a-file"
    not_a_dir.write_text("")
    server = replica("almada")
    run = run_crawl("almada", server.origin, "-s", f"WARC_DIR={not_a_dir}", "-a", "max_articles=3",
                    "-s", "SPIDERMON_MAX_ERROR_RATE=1")
    assert run.returncode == 0, run.output[-3000:]
    record = store.runs.find_one({"outlet": "almada"})
    assert record["article_pages"] == 3 and store.articles.count_documents({}) == 3
    assert record["errors"]["archive/NotADirectoryError"] == 3, record["errors"]
    assert store.db["raw_pages"].count_documents({}) == 0

"""`newscrawler import-warc`: a CC-NEWS-like WARC built here from replica pages at the outlets' real
hosts is imported through extraction (fetch time = WARC-Date), outlet by host, dedup and store;
records that are not articles are skipped by reason; a windows-1256 page declared only in the
HTTP header, a page with no charset and a gzip-encoded body are read right; imported pages are
indexed for reextract; importing the file again stores nothing new."""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newscrawler.archive.importer import import_warcs
from newscrawler.archive.reextract import reextract
from newscrawler.outlets import get_outlet
from newscrawler.replica import ReplicaSite, render_today
from newscrawler.store import ArticleStore
from tests.conftest import PROJECT_DIR, REPLICAS

WARC_DATE = "2025-12-01T08:30:00Z"
FETCHED = datetime(2025, 12, 1, 8, 30, tzinfo=UTC)
_TODAY = re.compile(r"\{\{TODAY:([^}]*)\}\}")
_META_CHARSET = re.compile(r"<meta[^>]*charset[^>]*>", re.I)


def page(outlet: str, path: str) -> str:
    """A replica page as the real site serves it: its own host, a fixed "today" strip."""
    _, _, body = ReplicaSite(REPLICAS / outlet).resolve(path)
    assert body is not None, path
    html = body.decode("utf-8").replace("{{ORIGIN}}", get_outlet(outlet).home)
    return _TODAY.sub(lambda m: render_today(m[1], FETCHED.date()), html)


def expected(outlet: str, n: int = 0) -> dict[str, Any]:
    return ReplicaSite(REPLICAS / outlet).expected()["articles"][n]


def relative_dated(html: str) -> str:
    """The page with its only date made relative ("3 hours ago"): it must count from the WARC-Date."""
    html = re.sub(r'<meta property="article:(published|modified)_time"[^>]*>', "", html)
    html = re.sub(r'"date(Published|Modified)":"[^"]*",?', "", html)
    return html.replace("6 أغسطس, 2024: 12:04 ص", "منذ 3 ساعات")


class Warc:
    def __init__(self, path: Path) -> None:
        self.fh = open(path, "wb")  # noqa: SIM115 (closed in close())
        self.writer = WARCWriter(self.fh, gzip=True)  # WARC/1.0, as CC-NEWS
        self.writer.write_record(self.writer.create_warcinfo_record(path.name, {"software": "test"}))

    def response(self, url: str, body: bytes, content_type: str | None = "text/html; charset=UTF-8",
                 status: str = "200 OK", extra: list[tuple[str, str]] | None = None) -> None:
        headers = [("Content-Type", content_type)] if content_type else []
        headers += [*(extra or []), ("Content-Length", str(len(body)))]
        record = self.writer.create_warc_record(
            url, "response", payload=BytesIO(body), length=len(body),
            http_headers=StatusAndHeaders(status, headers, protocol="HTTP/1.1"),
            warc_headers_dict={"WARC-Date": WARC_DATE})
        self.writer.write_record(record)

    def request(self, url: str) -> None:
        self.writer.write_record(self.writer.create_warc_record(
            url, "request", http_headers=StatusAndHeaders("GET / HTTP/1.1", [("Host", "x")], is_http_request=True),
            warc_headers_dict={"WARC-Date": WARC_DATE}))

    def close(self) -> None:
        self.fh.close()


def build_warc(path: Path) -> dict[str, dict[str, Any]]:
    """The test WARC; returns the articles it holds by URL (what must be stored)."""
    warc = Warc(path)
    articles: dict[str, dict[str, Any]] = {}
    almada = get_outlet("almada").home
    for want in ReplicaSite(REPLICAS / "almada").expected()["articles"]:
        html = page("almada", want["path"])
        if want["path"] == "/370981/":
            html = relative_dated(html)
            want = {**want, "published_at": (FETCHED - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M:%SZ")}
        warc.response(almada + want["path"], html.encode("utf-8"))
        articles[almada + want["path"]] = want
    warc.request(almada + "/370981/")

    # windows-1256, declared only in the HTTP header
    want = expected("baghdadtoday")
    html = _META_CHARSET.sub("", page("baghdadtoday", want["path"]))
    url = get_outlet("baghdadtoday").home + want["path"]
    warc.response(url, html.encode("cp1256"), "text/html; charset=windows-1256")
    articles[url] = want
    # no charset anywhere
    want = expected("aliraqnews")
    url = get_outlet("aliraqnews").home + want["path"]
    warc.response(url, _META_CHARSET.sub("", page("aliraqnews", want["path"])).encode("utf-8"), "text/html")
    articles[url] = want
    # kept as sent: gzip content encoding (what many crawlers other than Common Crawl store)
    want = expected("shafaq")
    url = get_outlet("shafaq").home + want["path"]
    warc.response(url, gzip.compress(page("shafaq", want["path"]).encode("utf-8")),
                  extra=[("Content-Encoding", "gzip")])
    articles[url] = want

    # an article URL whose page holds no article: an extraction failure, listed (and indexed: a
    # better extractor may find one later)
    warc.response(almada + "/400200/", b"<html><head><title>x</title></head><body><div></div></body></html>")
    some_page = page("almada", "/370980/").encode("utf-8")
    warc.response("https://www.example.com/2024/06/01/news.html", some_page)  # unknown_host
    warc.response(almada + "/999999/", b"<html><body>Not found</body></html>", status="404 Not Found")
    warc.response(almada + "/400100/", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "image/png")  # not_html
    warc.response(almada + "/", page("almada", "/").encode("utf-8"))  # not_article_url
    warc.close()
    return articles


def test_import_warc_stores_articles_skips_the_rest_and_is_idempotent(store: ArticleStore, mongo_uri: str,
                                                                       db_name: str, tmp_path: Path) -> None:
    path = tmp_path / "CC-NEWS-20251201083000-00001.warc.gz"
    articles = build_warc(path)
    data = tmp_path / "data"
    env = {**os.environ, "MONGO_URI": mongo_uri, "MONGO_DATABASE": db_name, "NEWSCRAWLER_DATA_DIR": str(data)}
    proc = subprocess.run([sys.executable, "-m", "newscrawler.cli", "import-warc", str(path), "--workers", "2"],
                          cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    first = json.loads(proc.stdout)
    assert first["skipped"] == {"not_response": 2, "unknown_host": 1, "status_404": 1, "not_html": 1,
                                "not_article_url": 1}, first
    assert (first["imported"], first["new"], first["updated"], first["duplicate"]) == (len(articles) + 1, len(articles),
                                                                                       0, 0)
    empty = get_outlet("almada").home + "/400200/"
    failures = first["extraction_failures"]
    assert (failures["count"], failures["by_error"], [f["url"] for f in failures["pages"]]) == (
        1, {"ExtractionError": 1}, [empty])
    assert first["rejected"] == {} and first["file_errors"] == []

    stored = {d["url"]: d for d in store.articles.find()}
    assert set(stored) == set(articles)
    for url, want in articles.items():
        doc = stored[url]
        assert doc["title"] == want["title"], url
        assert doc["published_at"].strftime("%Y-%m-%dT%H:%M:%SZ") == want["published_at"], url
        assert doc["fetched_at"] == FETCHED and doc["crawl_id"] == first["crawl_id"], url
        assert doc["outlet"] == get_outlet(doc["outlet"]).name and url.startswith(get_outlet(doc["outlet"]).home)

    raw = list(store.db["raw_pages"].find())
    assert {d["url"] for d in raw} == {*articles, empty} and first["indexed"] == len(articles) + 1
    assert all(d["warc"] == str(path.resolve()) and d["source"] == "import" and d["fetched_at"] == FETCHED for d in raw)

    again = reextract(store, data / "warc", workers=0)  # imported pages are re-extractable
    assert (again["pages"], again["unchanged"], again["updated"], again["new"]) == (
        len(articles) + 1, len(articles), 0, 0)
    assert [f["url"] for f in again["extraction_failures"]["pages"]] == [empty]

    second = import_warcs([path], store, data / "warc", workers=0)
    assert (second["new"], second["updated"], second["unchanged"], second["indexed"]) == (0, 0, len(articles), 0)
    assert second["extraction_failures"]["count"] == 1
    assert store.articles.count_documents({}) == len(articles)
    assert store.db["raw_pages"].count_documents({}) == len(articles) + 1
    assert all(d["version"] == 1 for d in store.articles.find())


def test_import_warc_reports_bad_and_cut_files_and_imports_the_rest(store: ArticleStore, tmp_path: Path) -> None:
    home = get_outlet("almada").home
    whole = tmp_path / "whole.warc.gz"
    warc = Warc(whole)
    for n in (0, 1):
        want = expected("almada", n)
        warc.response(home + want["path"], page("almada", want["path"]).encode("utf-8"))
    warc.close()
    cut = tmp_path / "cut.warc.gz"  # ends inside its second article's record
    cut.write_bytes(whole.read_bytes()[:-3000])
    other = tmp_path / "other.warc.gz"
    warc = Warc(other)
    want = expected("almada", 2)
    warc.response(home + want["path"], page("almada", want["path"]).encode("utf-8"))
    warc.close()
    garbage = tmp_path / "garbage.warc.gz"
    garbage.write_bytes(bytes(range(256)) * 8)
    summary = import_warcs([garbage, cut, other], store, tmp_path / "warc", workers=0)
    assert [(e["file"], e["error"]) for e in summary["file_errors"]] == [
        (str(garbage), "ArchiveLoadFailed"), (str(cut), "TruncatedRecord")]
    assert summary["skipped"] == {"not_response": 2, "truncated": 1}
    assert summary["new"] == 2
    assert {d["title"] for d in store.articles.find()} == {expected("almada", n)["title"] for n in (0, 2)}


def test_import_cli_misuse_is_one_line(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "newscrawler.cli", "import-warc", str(tmp_path / "missing.warc.gz")],
                          cwd=PROJECT_DIR, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"newscrawler import-warc: no such file: {tmp_path / 'missing.warc.gz'}"

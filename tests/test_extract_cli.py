"""`newscrawler extract`: single file, batches, manifests, stdin, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import PROJECT_DIR

FIXTURES = PROJECT_DIR / "tests" / "fixtures" / "extraction"
BASNEWS = next(FIXTURES.glob("a01_*")) / "page.html"
ZAGROS = next(FIXTURES.glob("a03_*")) / "page.html"


def cli(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "newscrawler.cli", "extract", *args], cwd=PROJECT_DIR,
                          input=stdin, capture_output=True, timeout=120)


def test_single_file_prints_one_object_with_all_keys() -> None:
    url = "https://www.basnews.com/ar/babat/713492"
    proc = cli(str(BASNEWS), "--url", url)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert set(data) >= {"url", "canonical_url", "outlet", "title", "text", "published_at", "modified_at",
                         "authors", "language", "section", "tags", "image_url", "source_name"}
    assert data["outlet"] == "basnews" and data["url"] == url and data["language"] == "ar"
    assert "logo" not in data["text"].split("\n")


def test_batch_and_manifest_carry_file_and_survive_a_bad_file(tmp_path: Path) -> None:
    bad = tmp_path / "broken.html"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00binary")
    proc = cli(str(BASNEWS), str(bad), str(ZAGROS))
    lines = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert [line["file"] for line in lines] == [str(BASNEWS), str(bad), str(ZAGROS)]
    assert "error" in lines[1] and lines[0]["title"] and lines[2]["title"]
    assert proc.returncode != 0

    manifest = tmp_path / "manifest.jsonl"
    manifest.write_text(json.dumps({"file": str(ZAGROS), "url": "https://zagrosnews.net/ar/news/21874"}) + "\n")
    proc = cli("--jsonl", str(manifest))
    line = json.loads(proc.stdout)
    assert proc.returncode == 0 and line["file"] == str(ZAGROS) and line["outlet"] == "zagros"


def test_stdin_and_unreadable_input() -> None:
    proc = cli("-", "--url", "https://zagrosnews.net/ar/news/21874", stdin=ZAGROS.read_bytes())
    assert proc.returncode == 0 and json.loads(proc.stdout)["outlet"] == "zagros"
    missing = cli("/nonexistent/page.html")
    assert missing.returncode != 0
    message = missing.stderr.decode().strip()
    assert "/nonexistent/page.html" in message and len(message.splitlines()) == 1


def test_fetched_at_anchors_relative_dates_and_canonical_is_what_the_crawl_stores(tmp_path: Path) -> None:
    from newscrawler.article import Article
    from newscrawler.normalise.article import normalise_article

    body = "".join(f"<p>{'جملة من نص الخبر عن مشروع المياه في البصرة. ' * 4}{n}</p>" for n in range(3))
    page = tmp_path / "page.html"
    page.write_text(f"<html><head><title>مشروع المياه</title><link rel='canonical' href='https://news.example/'>"
                    f"</head><body><h1>مشروع المياه</h1><span class='date'>منذ 3 ساعات</span>{body}</body></html>",
                    "utf-8")
    url = "https://news.example/local/water-project?utm_source=x"
    proc = cli(str(page), "--url", url, "--fetched-at", "2025-01-10T09:00:00Z")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["published_at"] == "2025-01-10T06:00:00Z"
    stored = normalise_article(Article(url=url, outlet=None, title="t", text="x", canonical_url=data["canonical_url"]))
    assert data["canonical_url"] == stored.canonical_url == "https://news.example/local/water-project"
    assert cli(str(page), "--fetched-at", "yesterday").returncode == 2

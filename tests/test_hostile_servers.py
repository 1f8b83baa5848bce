"""Hostile or overloaded servers, as real `scrapy crawl` runs against a replica that misbehaves:
Retry-After, slow robots.txt, redirect loops and chains, off-site and private redirect targets."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from newscrawler.replica import ReplicaServer, ReplicaSite
from newscrawler.scrapy_ext.middlewares import _is_private_host, retry_after_seconds
from newscrawler.store import ArticleStore
from tests.conftest import FAST, PROJECT_DIR, REPLICAS

Answer = tuple[int, dict[str, str], bytes | None]
Rule = Callable[[int], Answer | None]  # n-th request of the path -> answer, or None for the normal one


class HostileSite(ReplicaSite):
    """A replica whose listed paths answer what a rule says; also answers absolute-form requests
    (as an HTTP proxy sees them) and can serve robots.txt slowly."""

    def __init__(self, root: Path, rules: dict[str, Rule], robots_delay: float = 0.0) -> None:
        super().__init__(root)
        self.rules = rules
        self.robots_delay = robots_delay
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def resolve(self, raw_path: str) -> Answer:
        if raw_path.startswith(("http://", "https://")):
            parts = urlsplit(raw_path)
            raw_path = parts.path + (f"?{parts.query}" if parts.query else "")
        if raw_path == "/robots.txt" and self.robots_delay:
            time.sleep(self.robots_delay)  # in the server's handler thread: a slow robots.txt
        rule = self.rules.get(raw_path)
        if rule:
            with self._lock:
                self.counts[raw_path] += 1
                n = self.counts[raw_path]
            answer = rule(n)
            if answer is not None:
                return answer
        return super().resolve(raw_path)


class HostileServer(ReplicaServer):
    def __init__(self, root: Path, rules: dict[str, Rule], robots_delay: float = 0.0,
                 public_origin: str | None = None) -> None:
        super().__init__(root)
        self.site = HostileSite(root, rules, robots_delay)
        self.public_origin = public_origin  # pages link to this origin; the crawler reaches it through us as proxy

    @property
    def address(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    @property
    def origin(self) -> str:
        return self.public_origin or self.address

    def statuses(self, path: str) -> list[int]:
        with self._lock:
            return [r.status for r in self.log if _path(r.path) == path]


def _path(raw: str) -> str:
    parts = urlsplit(raw)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def redirect(location: str, status: int = 302) -> Rule:
    return lambda n: (status, {"Location": location}, b"")


@pytest.fixture
def hostile() -> Iterator[Callable[..., HostileServer]]:
    started: list[HostileServer] = []

    def start(outlet: str, rules: dict[str, Rule], **options: Any) -> HostileServer:
        server = HostileServer(REPLICAS / outlet, rules, **options)
        server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def crawl(outlet: str, origin: str, mongo_uri: str, db_name: str, tmp_path: Path, *extra: str,
          env: dict[str, str] | None = None) -> tuple[int, str]:
    full_env = {**os.environ, "MONGO_URI": mongo_uri, "MONGO_DATABASE": db_name,
                "NEWSCRAWLER_DATA_DIR": str(tmp_path / "data"), **(env or {})}
    command = [sys.executable, "-m", "scrapy", "crawl", outlet, "-a", f"base_url={origin}", *FAST, *extra]
    proc = subprocess.run(command, cwd=PROJECT_DIR, env=full_env, capture_output=True, text=True, timeout=180)
    return proc.returncode, proc.stdout + proc.stderr


def stat(output: str, name: str) -> int:
    """A counter from Scrapy's final stats dump in the crawl's log (0 if absent)."""
    found = re.findall(rf"'{re.escape(name)}': (\d+)", output)
    return int(found[-1]) if found else 0


def test_retry_after_values() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("120") == 120
    assert retry_after_seconds(b" 0 ") == 0
    assert retry_after_seconds("Thu, 01 Jan 2026 12:01:30 GMT", now=now) == 90
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now=now) == 0  # in the past: now
    assert retry_after_seconds("soon") is None and retry_after_seconds("-5") is None
    assert retry_after_seconds(None) is None


def test_private_hosts() -> None:
    for host in ("10.1.2.3", "169.254.169.254", "192.168.1.1", "172.16.0.1", "127.0.0.1", "[::1]", "::1", "fe80::1",
                 "localhost", "0.0.0.0", "100.64.0.1", "::ffff:10.0.0.1"):
        assert _is_private_host(host), host
    for host in ("8.8.8.8", "zagrosnews.net", "2001:4860:4860::8888"):
        assert not _is_private_host(host), host


def test_retry_after_is_honoured_capped_and_counted_without_blocking(
        hostile, mongo_uri: str, db_name: str, tmp_path: Path, store: ArticleStore) -> None:
    server = hostile("zagros", {
        # The feed asks for 3 s: meanwhile the listing and its articles are fetched (reactor not blocked).
        "/ar/rss": lambda n: (429, {"Retry-After": "3"}, None) if n == 1 else None,
        # An absurd Retry-After is capped at RETRY_AFTER_MAX (3 s here) and counted.
        "/sitemap-news.xml": lambda n: (503, {"Retry-After": "99999"}, None) if n == 1 else None,
        # Always unavailable (an HTTP-date in the past: retry now): retried RETRY_TIMES, then an error.
        "/ar/news/62874": lambda n: (503, {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, None),
    })
    code, output = crawl("zagros", server.origin, mongo_uri, db_name, tmp_path, "-s", "RETRY_AFTER_MAX=3")
    assert code == 0, output[-3000:]

    assert server.statuses("/ar/rss") == [429, 200]
    assert server.statuses("/sitemap-news.xml") == [503, 200]
    assert server.statuses("/ar/news/62874") == [503, 503, 503]  # 1 + RETRY_TIMES (2)
    paths = [_path(p) for p in server.requested_paths()]
    first, retry = [i for i, p in enumerate(paths) if p == "/ar/rss"]
    assert any(p.startswith("/ar/news/") for p in paths[first + 1:retry]), \
        "articles found on the listing were fetched while the feed's retry waited"

    assert stat(output, "retry_after/count") == 5
    assert stat(output, "retry_after/status/429") == 1 and stat(output, "retry_after/status/503") == 4
    assert stat(output, "retry_after/capped") == 1
    assert stat(output, "retry_after/gave_up") == 1
    record = store.runs.find_one()
    assert record["errors"].get("http_503") == 1
    feed_articles = {"/ar/news/64127", "/ar/news/65248"}  # only in the feed: fetched after its retry
    stored = {urlsplit(d["url"]).path.rstrip("/") for d in store.articles.find()}
    assert feed_articles <= stored


def test_robots_txt_applies_to_every_start_request_while_it_is_slow(
        hostile, mongo_uri: str, db_name: str, tmp_path: Path, store: ArticleStore) -> None:
    """The listing is the third start request; robots.txt (served after 2 s) disallows it."""
    robots = b"User-agent: *\nDisallow: /ar/news$\nDisallow: /ar/news?\n"
    server = hostile("zagros", {"/robots.txt": lambda n: (200, {"Content-Type": "text/plain"}, robots)},
                     robots_delay=2.0)
    code, output = crawl("zagros", server.origin, mongo_uri, db_name, tmp_path)
    assert code == 0, output[-3000:]
    paths = [_path(p) for p in server.requested_paths()]
    assert paths.count("/robots.txt") == 1
    assert paths[0] == "/robots.txt", "nothing was fetched before robots.txt answered"
    assert "/ar/news" not in paths and "/ar/news?page=2" not in paths
    record = store.runs.find_one()
    assert record["robots_forbidden"] >= 1
    # Feed and sitemap were allowed, and their articles stored.
    assert "/ar/rss" in paths and "/sitemap-news.xml" in paths
    assert store.articles.count_documents({}) > 0


def test_redirect_loops_chains_and_offsite_targets_are_refused_and_counted(
        hostile, mongo_uri: str, db_name: str, tmp_path: Path, store: ArticleStore) -> None:
    chain = {f"/r/{n}": redirect(f"/r/{n + 1}") for n in range(1, 10)}
    server = hostile("zagros", {
        "/ar/news/64127": redirect("/ar/news/64127?hop=1"),  # a loop: back to where it started
        "/ar/news/64127?hop=1": redirect("/ar/news/64127", 301),
        "/ar/news/64602": redirect("http://10.1.2.3/ar/news/64602"),  # another host (private)
        "/ar/news/65248": redirect("https://example.org/news/65248", 301),  # another site
        "/ar/news/62874": redirect("/r/1"),  # longer than REDIRECT_MAX_TIMES
        **chain,
    })
    code, output = crawl("zagros", server.origin, mongo_uri, db_name, tmp_path, "-s", "REDIRECT_MAX_TIMES=3")
    assert code == 0, output[-3000:]
    errors = store.runs.find_one()["errors"]
    assert errors.get("redirect_loop") == 1, errors
    assert errors.get("redirect_offsite") == 2, errors
    assert errors.get("redirect_max_exceeded") == 1, errors
    paths = [_path(p) for p in server.requested_paths()]
    assert paths.count("/ar/news/64127") == 1 and paths.count("/ar/news/64127?hop=1") == 1
    assert "/r/3" in paths and "/r/4" not in paths  # three redirects followed, the fourth refused
    assert "redirect_loop: refused redirect from" in output
    # The site's own redirect (/ar/news-ar/19243 -> /ar/news/19243) is still followed.
    stored = {urlsplit(d["url"]).path.rstrip("/") for d in store.articles.find()}
    assert "/ar/news/19243" in stored and "/ar/news/64127" not in stored


def test_public_outlet_redirects_to_private_addresses_are_refused_and_counted(
        hostile, mongo_uri: str, db_name: str, tmp_path: Path, store: ArticleStore) -> None:
    """The outlet at its real (public) host name, reached through this server as HTTP proxy, so
    nothing leaves the machine: its redirects to private, link-local and loopback addresses are
    refused before any connection, and counted."""
    server = hostile("zagros", {
        "/ar/news": redirect("http://10.0.0.7/ar/news"),
        "/sitemap-news.xml": redirect("http://169.254.169.254/latest/meta-data/"),
        "/ar/news/64127": redirect("http://[::1]:8080/admin"),
        "/ar/news/65248": redirect("http://192.168.1.1/", 301),
    }, public_origin="http://zagrosnews.net")
    proxy_env = {"http_proxy": server.address, "HTTP_PROXY": server.address, "no_proxy": "", "NO_PROXY": ""}
    # Four refused pages of a small site exceed the error-rate monitor: not what is tested here.
    code, output = crawl("zagros", server.origin, mongo_uri, db_name, tmp_path, "-s", "SPIDERMON_MAX_ERROR_RATE=1",
                         env=proxy_env)
    assert code == 0, output[-3000:]
    requested = server.requested_paths()
    assert "http://zagrosnews.net/ar/rss" in requested, requested  # the crawl went through the proxy
    errors = store.runs.find_one()["errors"]
    assert errors.get("redirect_private") == 4, errors
    hosts = {urlsplit(p).hostname for p in requested if p.startswith("http")}
    assert hosts == {"zagrosnews.net"}, hosts  # no request to a private address, even through the proxy
    stored = {urlsplit(d["url"]).path.rstrip("/") for d in store.articles.find()}
    assert "/ar/news/66891" in stored and "/ar/news/64127" not in stored


def test_compressed_body_checks() -> None:
    import gzip
    import zlib

    from newscrawler.scrapy_ext.middlewares import compressed_body_problem

    whole = gzip.compress(("<p>" + "نص الخبر " * 500 + "</p>").encode())
    assert compressed_body_problem(whole, "gzip", 10**7) is None
    assert compressed_body_problem(whole[: len(whole) // 3], "gzip", 10**7) == "truncated"
    assert compressed_body_problem(whole[:20] + b"\x00" * 40 + whole[60:], "gzip", 10**7).startswith("corrupt")
    assert "more than" in compressed_body_problem(gzip.compress(b"\0" * 10**6), "gzip", 10**5)
    raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    assert compressed_body_problem(raw.compress(b"abc" * 100) + raw.flush(), "deflate", 10**7) is None
    assert compressed_body_problem(b"anything", "br", 10) is None  # not checked here


def test_a_truncated_gzip_article_is_retried_counted_and_never_stored_cut(
        hostile, mongo_uri: str, db_name: str, tmp_path: Path, store: ArticleStore) -> None:
    import gzip

    page = (REPLICAS / "zagros" / "site" / "ar" / "news" / "66891.html").read_bytes()
    cut = gzip.compress(page)[:400]
    server = hostile("zagros", {
        "/ar/news/66891": lambda n: (200, {"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip"},
                                     cut),
    })
    code, output = crawl("zagros", server.origin, mongo_uri, db_name, tmp_path)
    assert stat(output, "download/corrupt_body") == 3, output[-3000:]  # first try + 2 retries
    assert server.statuses("/ar/news/66891") == [200, 200, 200]
    assert all("66891" not in d["url"] for d in store.articles.find()), "never stored cut"
    assert stat(output, "errors/download/corrupt_body") == 1 and stat(output, "items/failed") == 1
    assert code == 1, "a run that lost a page to a corrupt body is not clean"
    kept = [json.loads(line) for f in (tmp_path / "data" / "quarantine").glob("*.jsonl")
            for line in f.read_text("utf-8").splitlines()]
    assert [k["failure"]["stage"] for k in kept if "66891" in k["url"]] == ["download"]
    assert store.articles.count_documents({}) >= 5, "the rest of the site is stored"


def test_a_page_over_its_extraction_budget_is_quarantined_and_the_crawl_goes_on(
        hostile, mongo_uri: str, db_name: str, tmp_path: Path, store: ArticleStore) -> None:
    """Extraction runs in worker processes with a time budget: a page that needs ~3 s (7,900 short
    paragraphs, under every size cap) against a 0.5 s budget has its worker replaced, is counted and
    kept with its raw bytes; every other page of the site is extracted by the replacement workers."""
    paragraphs = "".join(f"<p>فقرة رقم {i} عن الأحداث في بغداد وأربيل والبصرة والموصل وكركوك</p>"
                         for i in range(7_900))
    slow = f"<html><body><h1>عنوان</h1><div class='content'>{paragraphs}</div></body></html>".encode()
    server = hostile("zagros", {
        "/ar/news/66891": lambda n: (200, {"Content-Type": "text/html; charset=utf-8"}, slow),
    })
    code, output = crawl("zagros", server.origin, mongo_uri, db_name, tmp_path, "-s", "EXTRACT_TIMEOUT=0.5",
                         "-s", "EXTRACT_WORKERS=2")
    assert stat(output, "errors/extract/ExtractionTimeout") == 1, output[-3000:]
    assert stat(output, "items/failed") == 1 and code == 1, "a page lost to the budget is not a clean run"
    kept = [json.loads(line) for f in (tmp_path / "data" / "quarantine").glob("*.jsonl")
            for line in f.read_text("utf-8").splitlines()]
    [line] = [k for k in kept if "66891" in k["url"]]
    assert line["failure"]["stage"] == "extract" and "html_base64" in line
    fetched = {_path(r.path).rstrip("/") for r in server.log
               if r.status == 200 and _path(r.path).startswith("/ar/news/") and "66891" not in r.path}
    stored = {urlsplit(d["url"]).path.rstrip("/") for d in store.articles.find()}
    assert fetched and stored >= fetched, "every other article page was extracted and stored"

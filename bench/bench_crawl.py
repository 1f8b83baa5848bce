"""`make bench`: crawl throughput on a generated Al-Mada-shaped site, against what extraction allows.

The site. A child process serves, on 127.0.0.1 (ThreadingHTTPServer, pages rendered before the crawl
starts), N article pages at `/<id>/` built from the markup of a real replica page
(tests/replicas/almada/site/358214/): the same head, menus, sidebar, related list and footer; only
the ids, title, dates and 5-9 body paragraphs change, made of seeded random sentences drawn from the
words of the replica's articles, so every story is distinct. About 3% of the N pages are syndicated
near-copies of an earlier story (the same body under a different first line): dedup has work.
Also robots.txt (allow all), `/wp-sitemap.xml` (an index of sitemaps of <= 2,000 URLs with lastmod),
`/feed/` (the latest 20) and an empty category listing. Every 200 carries ETag/Last-Modified and a
matching If-None-Match gets 304, so re-crawling an unchanged site can fetch nothing. The server logs
each request (arrival, end, status, kind) for the figures below.

Figures (printed, never asserted; other work on the machine shows in them):
- site: pages/s the site serves to 2 keep-alive client processes, and its CPU cost per page (the
  capacity of one core); it must be far above the crawl's rate or the crawl measures the server.
- extraction ceiling: pages/s of `extract_article` on 300 generated pages in 1 process and in a
  2-process pool (the crawl's 2 workers can do no better), and vanilla `trafilatura.extract` (1 proc);
  the best of 2 runs each. First, a check that the generated pages extract as intended.
- Scrapy alone: a bare Scrapy crawl of the same N = 2,000 pages with the crawls' concurrency flags
  (default middlewares, no extraction, no pipeline, no database): pages/s and its CPU per page. The
  summary turns it into an upper bound: on 2 CPUs a crawl spends at least the ceiling's extraction CPU
  per page plus Scrapy's own, so end-to-end / ceiling <= extraction / (extraction + Scrapy alone).
- end-to-end crawl into a fresh embedded database, N = 2,000 and 20,000, with and without dedup.
  Throughput: stored/s = articles in the database / wall time of the `scrapy crawl` process;
  active/s = the same over first request -> last response at the site (start-up and shut-down
  excluded); x ceil = either over the 2-process ceiling; start = launch -> first request; tail =
  last response -> exit; stored, duplicates linked, items failed and finish reason (the crawl's
  final stats); the site's CPU share (it must stay small). Resources: peak RSS (VmHWM) of the crawl
  process, of the largest extraction worker and of the forkserver they are forked from (the crawl's
  child), sampled while it runs; CPU of the crawl process and of its descendants as a share of one
  core; peak RSS and CPU seconds of the database server over the crawl. Time budget: 10 minutes in all. The
  N = 2,000 crawls run to the end (the re-crawl needs a complete first crawl); the N = 20,000 crawls
  share what is left (less the store figures' reserve) as CLOSESPIDER_TIMEOUT: a crawler at the goal
  (>= 0.8x ceiling) finishes them about within it; a slower one is stopped by Scrapy's graceful close
  (finish reason closespider_timeout) and its rates cover what it stored. --no-cap: no limit.
- re-crawl of the unchanged N = 2,000 site into the same database: article pages fetched (goal 0),
  discovery pages answered 304, wall time.
- store: docs/s of ArticleWriter(store, dedup=False).write() in batches of 100 for 5,000 new
  articles, then the same articles again (revisits, unchanged), against a raw pymongo
  bulk_write(UpdateOne(_id, $set doc, upsert)) of the same documents into another database of the
  same server (with the same indexes): the writer's own cost.
- --profile (instead of the above): the N = 2,000 crawl under py-spy if installed (all threads of
  the crawl process, sampled), else cProfile (its main thread, which runs the reactor), and the
  functions it spends its time in. BENCH_SPY_ARGS adds py-spy options (`--gil`: only the thread
  holding the GIL, i.e. CPU); BENCH_PROFILE_OUT keeps the raw samples at that path. --quick: N = 200 and 600 and smaller samples, to try it out.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import pstats
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from email.utils import format_datetime, formatdate
from hashlib import sha1
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.procstats import peak_rss_mb  # noqa: E402
from newscrawler.article import Article, to_document  # noqa: E402
from newscrawler.replica import render_today  # noqa: E402
from newscrawler.store import ArticleStore, connect  # noqa: E402
from newscrawler.store.embedded import EmbeddedServer  # noqa: E402
from tests.conftest import free_port  # noqa: E402

REPLICA = ROOT / "tests" / "replicas" / "almada"
TEMPLATE_PAGE = REPLICA / "site" / "358214" / "index.html"
OUTLET = "almada"
SEED = 20_240_101

# Relaxed politeness: the benchmark measures the crawler, not the delays it owes a real site.
BENCH_SETTINGS = {"AUTOTHROTTLE_ENABLED": "False", "DOWNLOAD_DELAY": "0", "CONCURRENT_REQUESTS": "32",
                  "CONCURRENT_REQUESTS_PER_DOMAIN": "32", "LOG_LEVEL": "INFO", "INCREMENTAL": "True"}
RECRAWL_SETTINGS = {"SPIDERMON_MIN_ARTICLES": "0"}  # nothing new is the expected outcome there

# --- the generated site ---------------------------------------------------------------------------
BAGHDAD = timezone(timedelta(hours=3))
FIRST_ID = 410_000
ID_STEP = 7  # WordPress post ids skip (pages, revisions, attachments)
EPOCH = datetime(2024, 1, 1, 8, 0, tzinfo=BAGHDAD)  # the first story; later ones follow
MINUTES_APART = 13
COPY_EVERY = 33  # every 33rd page (~3%) is a syndicated near-copy of an earlier story
SITEMAP_PAGE = 2_000
FEED_ITEMS = 20
SERVED_DAY = date(2025, 10, 1)  # the header date strip: fixed, so pages never change between runs
LAST_MODIFIED = formatdate(1_700_000_000, usegmt=True)
EGYPTIAN_MONTHS = ("يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر",
                   "أكتوبر", "نوفمبر", "ديسمبر")
LEADS = ("وقال", "وأضاف", "وأوضح", "وأشار", "وبين", "وأكد", "من جهته", "في غضون ذلك", "إلى ذلك", "وكان")
SOURCES = ("نقلاً عن وكالة الأنباء العراقية", "متابعة المدى عن وكالات", "نقلاً عن مصادر صحفية")
DATELINES = ("بغداد/ المدى", "البصرة/ المدى", "أربيل/ المدى", "الموصل/ المدى", "النجف/ المدى")
CATEGORY = "/category/%D9%85%D8%AD%D9%84%D9%8A%D8%A7%D8%AA/"
EMPTY_LISTING = ("<!DOCTYPE html><html lang=\"ar\" dir=\"rtl\"><head><meta charset=\"UTF-8\">"
                 "<title>محليات - جريدة المدى</title></head><body><h1>محليات</h1>"
                 "<p>لا توجد مقالات.</p></body></html>")

HTML = "text/html; charset=UTF-8"
XML = "application/xml; charset=UTF-8"
RSS = "application/rss+xml; charset=UTF-8"


def word_pool() -> list[str]:
    """Arabic words of the replica's real articles (sorted: the same pool on every run)."""
    expected = json.loads((REPLICA / "expected.json").read_text("utf-8"))
    text = " ".join(a.get("title", "") + " " + a.get("text", "") for a in expected["articles"])
    return sorted(set(re.findall(r"[\u0621-\u064A]{2,}", text)))


@dataclass(frozen=True)
class Story:
    number: int  # 0 .. N-1, oldest first
    post_id: int
    title: str
    published: datetime
    paragraphs: tuple[str, ...]  # the first is the dateline/byline, as on the real site
    copy_of: int | None = None  # the number of the story this page syndicates


class StoryMaker:
    """Story number i, the same on every run and in every process (seeded by (seed, i))."""

    def __init__(self, seed: int = SEED) -> None:
        self.seed = seed
        self.words = word_pool()

    @staticmethod
    def is_copy(number: int) -> bool:
        return number % COPY_EVERY == COPY_EVERY - 1

    def story(self, number: int) -> Story:
        rng = random.Random(f"{self.seed}:{number}")
        post_id = FIRST_ID + ID_STEP * number
        published = EPOCH + timedelta(minutes=MINUTES_APART * number)
        if self.is_copy(number):
            original = self.story(self._original_of(number, rng))
            lead = f"{rng.choice(SOURCES)}: {self._sentence(rng)}"
            return Story(number, post_id, original.title, published,
                         (original.paragraphs[0], lead, *original.paragraphs[1:]), original.number)
        paragraphs = [self._paragraph(rng) for _ in range(rng.randint(5, 9))]
        return Story(number, post_id, self._title(rng), published, (rng.choice(DATELINES), *paragraphs))

    def _original_of(self, number: int, rng: random.Random) -> int:
        original = max(0, number - rng.randint(1, 40))
        return original - 1 if self.is_copy(original) else original

    def _title(self, rng: random.Random) -> str:
        return " ".join(rng.choices(self.words, k=rng.randint(6, 11)))

    def _sentence(self, rng: random.Random) -> str:
        words = rng.choices(self.words, k=rng.randint(9, 20))
        if rng.random() < 0.4:
            words.insert(rng.randrange(len(words)), str(rng.randint(2, 950)))
        return " ".join(words) + "."

    def _paragraph(self, rng: random.Random) -> str:
        sentences = [self._sentence(rng) for _ in range(rng.randint(1, 3))]
        if rng.random() < 0.5:
            sentences[0] = f"{rng.choice(LEADS)} {sentences[0]}"
        return " ".join(sentences)


class PageTemplate:
    """The replica article page with its article-specific parts cut out (rendering = one join)."""

    def __init__(self, parts: list[str]) -> None:
        self.parts = parts  # literal, slot name, literal, slot name, ...

    @classmethod
    def from_replica(cls, path: Path = TEMPLATE_PAGE) -> PageTemplate:
        page = re.sub(r"\{\{TODAY:([^}]*)\}\}", lambda m: render_today(m[1], SERVED_DAY), path.read_text("utf-8"))
        found = {
            "TITLE": _one(r'<h1 class="article__title">(.*?)</h1>', page),
            "DESCRIPTION": _one(r'<meta name="description" content="(.*?)">', page),
            "ISO": _one(r'<meta property="article:published_time" content="(.*?)">', page),
            "DATELINE": _one(r'<span class="article__date">[^<]*<span class="text-en">(.*?)</span>', page),
            "UPLOADS": _one(r"/wp-content/uploads/(\d{4}/\d{2})/\d+\.png", page),
        }
        body = re.search(r'(<div class="article__entry">\n)(.*?)(\n\s*</div>\s*<div class="article__share">)', page,
                         re.S)
        if body is None:
            raise ValueError(f"{path}: no article__entry block (has the replica page changed?)")
        page = page[:body.start(2)] + "\0BODY\0" + page[body.end(2):]
        page = page.replace("{{ORIGIN}}", "\0ORIGIN\0")
        for slot, value in found.items():
            page = page.replace(value, f"\0{slot}\0")
        page = page.replace(_one(r"postid-(\d+)", page), "\0ID\0")
        return cls(page.split("\0"))

    def render(self, values: dict[str, str]) -> str:
        return "".join(values[part] if i % 2 else part for i, part in enumerate(self.parts))


def _one(pattern: str, text: str) -> str:
    match = re.search(pattern, text, re.S)
    if match is None:
        raise ValueError(f"the replica page has no match for {pattern!r} (has it changed?)")
    return match[1]


def dateline(moment: datetime) -> str:
    hour = moment.hour % 12 or 12
    return (f"{moment.day} {EGYPTIAN_MONTHS[moment.month - 1]}, {moment.year}: {hour}:{moment.minute:02d} "
            f"{'ص' if moment.hour < 12 else 'م'}")


def article_html(template: PageTemplate, story: Story, origin: str) -> str:
    paragraphs = [f'          <p style="text-align: justify;"><strong>{escape(story.paragraphs[0])}</strong></p>']
    paragraphs += [f'          <p style="text-align: justify;">{escape(p)}</p>' for p in story.paragraphs[1:]]
    paragraphs.insert(3, '          <div class="inline-ad"><span>مساحة إعلانية</span></div>')
    return template.render({
        "ORIGIN": origin, "ID": str(story.post_id), "TITLE": escape(story.title),
        "DESCRIPTION": escape(story.paragraphs[1][:150], {'"': "&quot;"}), "ISO": story.published.isoformat(),
        "DATELINE": dateline(story.published), "UPLOADS": f"{story.published:%Y/%m}", "BODY": "\n".join(paragraphs),
    })


def sitemap_index(origin: str, stories: list[Story]) -> str:
    chunks = [stories[i:i + SITEMAP_PAGE] for i in range(0, len(stories), SITEMAP_PAGE)]
    entries = "".join(f"<sitemap><loc>{origin}/wp-sitemap-posts-post-{k}.xml</loc>"
                      f"<lastmod>{chunk[-1].published.isoformat()}</lastmod></sitemap>"
                      for k, chunk in enumerate(chunks, 1))
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"{entries}</sitemapindex>")


def sitemap_page(origin: str, stories: list[Story]) -> str:
    urls = "".join(f"<url><loc>{origin}/{s.post_id}/</loc><lastmod>{s.published.isoformat()}</lastmod></url>"
                   for s in stories)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'


def feed(origin: str, stories: list[Story]) -> str:
    items = "".join(
        f"<item><title>{escape(s.title)}</title><link>{origin}/{s.post_id}/</link>"
        f"<pubDate>{format_datetime(s.published)}</pubDate><guid isPermaLink=\"false\">{origin}/?p={s.post_id}</guid>"
        f"<description>{escape(s.paragraphs[1][:200])} [&#8230;]</description></item>"
        for s in reversed(stories[-FEED_ITEMS:]))
    return ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>جريدة المدى</title>'
            f"<link>{origin}</link><description>يومية سياسية ثقافية مستقلة</description><language>ar</language>"
            f"<lastBuildDate>{format_datetime(stories[-1].published)}</lastBuildDate>{items}</channel></rss>")


def robots(origin: str) -> str:
    return f"User-agent: *\nAllow: /\n\nSitemap: {origin}/wp-sitemap.xml\n"


# --- serving it -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Resource:
    kind: str  # article | sitemap | feed | listing | robots
    body: bytes
    etag: str
    head_200: bytes
    head_304: bytes

    @classmethod
    def of(cls, kind: str, text: str, content_type: str) -> Resource:
        body = text.encode("utf-8")
        etag = '"' + sha1(body).hexdigest()[:16] + '"'
        validators = f"ETag: {etag}\r\nLast-Modified: {LAST_MODIFIED}\r\n"
        head_200 = (f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
                    f"{validators}\r\n").encode("latin-1")
        return cls(kind, body, etag, head_200, f"HTTP/1.1 304 Not Modified\r\n{validators}\r\n".encode("latin-1"))


NOT_FOUND = b"HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\nContent-Length: 9\r\n\r\nnot found"


def build_site(n: int, seed: int, origin: str) -> dict[str, Resource]:
    maker, template = StoryMaker(seed), PageTemplate.from_replica()
    stories = [maker.story(i) for i in range(n)]
    site = {f"/{s.post_id}/": Resource.of("article", article_html(template, s, origin), HTML) for s in stories}
    for k, start in enumerate(range(0, n, SITEMAP_PAGE), 1):
        site[f"/wp-sitemap-posts-post-{k}.xml"] = Resource.of(
            "sitemap", sitemap_page(origin, stories[start:start + SITEMAP_PAGE]), XML)
    site["/wp-sitemap.xml"] = Resource.of("sitemap", sitemap_index(origin, stories), XML)
    site["/feed/"] = Resource.of("feed", feed(origin, stories), RSS)
    site[CATEGORY] = Resource.of("listing", EMPTY_LISTING, HTML)
    site["/robots.txt"] = Resource.of("robots", robots(origin), "text/plain; charset=UTF-8")
    return site


Record = tuple[float, float, int, str]  # arrived, answered (time.monotonic: one clock for all processes), status, kind


class SiteServer(ThreadingHTTPServer):
    request_queue_size = 256  # 32 concurrent connections must not wait for a SYN retry
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), SiteHandler)
        self.pages: dict[str, Resource] = {}
        self.log: list[Record] = []

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class SiteHandler(BaseHTTPRequestHandler):
    """Pre-rendered responses in one write each: the site must cost far less than the crawl."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # TCP_NODELAY, like real servers: no 40 ms delayed-ACK stalls
    server: SiteServer

    def do_GET(self) -> None:  # noqa: N802 (http.server naming)
        self._respond(send_body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._respond(send_body=False)

    def _respond(self, send_body: bool) -> None:
        arrived = time.monotonic()
        page = self.server.pages.get(self.path)
        if page is None:
            status, data, kind = 404, NOT_FOUND, "other"
        elif self.headers.get("If-None-Match") == page.etag:
            status, data, kind = 304, page.head_304, page.kind
        else:
            status, data, kind = 200, page.head_200 + page.body if send_body else page.head_200, page.kind
        self.wfile.write(data)
        self.server.log.append((arrived, time.monotonic(), status, kind))

    def log_message(self, format: str, *args: Any) -> None:
        pass


def serve_site(n: int, seed: int, conn: Connection) -> None:
    """The site's process: render, serve, answer the parent's requests for the access log."""
    server = SiteServer()
    server.pages = build_site(n, seed, server.origin)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    conn.send(server.origin)
    while (command := conn.recv()) != "stop":
        if command == "log":
            records, server.log = server.log, []
            conn.send(records)
    server.shutdown()


class SiteProcess:
    """The generated site in a child process (its CPU is not the crawl's)."""

    def __init__(self, n: int, seed: int = SEED) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=serve_site, args=(n, seed, child), daemon=True)
        self.process.start()
        self.origin: str = self.conn.recv()
        self.n = n

    def take_log(self) -> list[Record]:
        self.conn.send("log")
        return self.conn.recv()

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.process.pid or 0)

    def stop(self) -> None:
        self.conn.send("stop")
        self.process.join(10)


@dataclass
class AccessSummary:
    requests: int = 0
    by_kind_status: Counter[tuple[str, int]] = field(default_factory=Counter)
    first: float | None = None
    last: float | None = None

    @classmethod
    def of(cls, records: list[Record]) -> AccessSummary:
        if not records:
            return cls()
        return cls(len(records), Counter((kind, status) for _, _, status, kind in records),
                   min(r[0] for r in records), max(r[1] for r in records))

    def count(self, kind: str, status: int) -> int:
        return self.by_kind_status[(kind, status)]


# --- /proc ------------------------------------------------------------------------------------------
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str]:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return []
    return text[text.rindex(")") + 2:].split()  # fields from 3 (state) on: the name may hold spaces


def cpu_seconds(pid: int) -> float:
    fields = _stat_fields(pid)
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS if fields else 0.0  # utime + stime


def descendants(pid: int) -> dict[int, int]:
    """The processes under `pid`: pid -> depth (1: its children, 2: theirs, ...)."""
    parents: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit() and (fields := _stat_fields(int(entry.name))):
            parents[int(entry.name)] = int(fields[1])
    found: dict[int, int] = {}
    frontier, depth = {pid}, 0
    while frontier:
        depth += 1
        frontier = {child for child, parent in parents.items() if parent in frontier}
        found.update(dict.fromkeys(frontier, depth))
    return found


@dataclass
class ProcessWatch:
    """Peak RSS and CPU of a process and its descendants, sampled until it exits. The crawl's children
    are the forkserver and the resource tracker ("helpers"); the forkserver's are the extraction workers."""

    pid: int
    peak_mb: float = 0.0
    helpers_peak_mb: float = 0.0
    workers_peak_mb: float = 0.0
    cpu: float = 0.0
    children_cpu: dict[int, float] = field(default_factory=dict)

    def sample(self) -> None:
        self.peak_mb = max(self.peak_mb, peak_rss_mb(self.pid))
        self.cpu = max(self.cpu, cpu_seconds(self.pid))
        for child, depth in descendants(self.pid).items():
            if depth == 1:
                self.helpers_peak_mb = max(self.helpers_peak_mb, peak_rss_mb(child))
            else:
                self.workers_peak_mb = max(self.workers_peak_mb, peak_rss_mb(child))
            self.children_cpu[child] = max(self.children_cpu.get(child, 0.0), cpu_seconds(child))

    def wait(self, interval: float = 0.3) -> int:
        while True:
            self.sample()
            done, status = os.waitpid(self.pid, os.WNOHANG)
            if done:
                return os.waitstatus_to_exitcode(status)
            time.sleep(interval)


# --- extraction ceiling -----------------------------------------------------------------------------
def sample_pages(count: int, origin: str = "http://127.0.0.1:8000") -> list[tuple[bytes, str]]:
    maker, template = StoryMaker(), PageTemplate.from_replica()
    stories = [maker.story(i) for i in range(count)]
    return [(article_html(template, s, origin).encode("utf-8"), f"{origin}/{s.post_id}/") for s in stories]


def _extract(page: tuple[bytes, str]) -> Article:
    from newscrawler.extract import extract_article

    return extract_article(page[0], page[1], OUTLET)


def _trafilatura(page: tuple[bytes, str]) -> str | None:
    import trafilatura

    return trafilatura.extract(page[0].decode("utf-8"))


def _warm(_: int) -> None:
    _extract(sample_pages(1)[0])


def rate(function: Callable[[], object], items: int, repeat: int = 1) -> float:
    """items/s of function(); the best of `repeat` runs (the least disturbed by other work)."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - started)
    return items / best


def extraction_ceiling(pages: list[tuple[bytes, str]], repeat: int = 2) -> dict[str, float]:
    _extract(pages[0])  # imports and caches outside the timing
    _trafilatura(pages[0])
    one = rate(lambda: [_extract(p) for p in pages], len(pages), repeat)
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("forkserver")) as pool:
        list(pool.map(_warm, range(4)))
        two = rate(lambda: list(pool.map(_extract, pages, chunksize=1)), len(pages), repeat)
    vanilla = rate(lambda: [_trafilatura(p) for p in pages], len(pages), repeat)
    return {"ours, 1 process": one, "ours, 2 processes": two, "trafilatura.extract, 1 process": vanilla}


def check_sample(pages: list[tuple[bytes, str]]) -> str:
    """The generated pages extract as intended: title, date and all of the body, nothing else."""
    maker = StoryMaker()
    bad = 0
    for number, page in enumerate(pages[:50]):
        story, article = maker.story(number), _extract(page)
        if article.title != story.title or article.published_at != story.published.astimezone(UTC) or \
                any(p not in article.text for p in story.paragraphs[1:]) or "مساحة إعلانية" in article.text:
            bad += 1
    return f"{50 - bad}/50 generated pages extract exactly (title, date, every body paragraph, no widgets)"


# --- site capacity ---------------------------------------------------------------------------------
def _fetch_many(args: tuple[str, list[str]]) -> int:
    """GET every path over one keep-alive connection, 16 requests pipelined at a time (a cheap client:
    the figure is the site's, not http.client's)."""
    origin, paths = args
    host, port = origin.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as sock:
        reader = sock.makefile("rb")
        for start in range(0, len(paths), 16):
            chunk = paths[start:start + 16]
            sock.sendall(b"".join(f"GET {p} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode() for p in chunk))
            for _ in chunk:
                length = 0
                while (line := reader.readline()) not in (b"\r\n", b""):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                reader.read(length)
    return len(paths)


def site_capacity(site: SiteProcess, pages: int) -> tuple[float, float]:
    """(pages/s served to 2 keep-alive client processes, site CPU µs per page)."""
    paths = [f"/{FIRST_ID + ID_STEP * (i % site.n)}/" for i in range(pages)]
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        list(pool.map(_fetch_many, [(site.origin, paths[:10])] * 2))
        cpu_before = site.cpu_seconds()
        served = rate(lambda: list(pool.map(_fetch_many, [(site.origin, paths[0::2]), (site.origin, paths[1::2])])),
                      pages)
    cpu = site.cpu_seconds() - cpu_before
    site.take_log()
    return served, cpu / pages * 1e6


# --- crawls -----------------------------------------------------------------------------------------
def settings_args(settings: dict[str, str]) -> list[str]:
    return [arg for key, value in settings.items() for arg in ("-s", f"{key}={value}")]


def crawl_command(origin: str, crawl_id: str, extra: dict[str, str]) -> list[str]:
    return ["-m", "scrapy", "crawl", OUTLET, "-a", f"base_url={origin}", "-a", f"crawl_id={crawl_id}",
            *settings_args({**BENCH_SETTINGS, **extra})]


@dataclass
class Database:
    """A fresh embedded server in its own folder, one database in it."""

    folder: Path
    name: str = "bench"

    def __post_init__(self) -> None:
        self.server = EmbeddedServer(self.folder, free_port())
        self.uri = self.server.start()
        self.client = connect(self.uri)
        self.store = ArticleStore(self.client[self.name])

    @property
    def pid(self) -> int:
        return self.server.pid() or 0

    def env(self, data_dir: Path) -> dict[str, str]:
        return {**os.environ, "MONGO_URI": self.uri, "MONGO_DATABASE": self.name, "NEWSCRAWLER_DATA_DIR": str(data_dir)}

    def close(self) -> None:
        self.client.close()
        # A throwaway database: stop() waits `timeout` for SIGTERM, then kills. (The embedded server
        # does not exit on SIGTERM at present, so the default 15 s would be spent on every stop.)
        self.server.stop(timeout=2.0)


@dataclass
class CrawlResult:
    label: str
    n: int
    wall: float
    exit_code: int
    access: AccessSummary
    started_at: float
    ended_at: float
    stats: dict[str, str]
    stored: int = 0
    duplicates: int = 0
    peak_mb: float = 0.0
    helpers_peak_mb: float = 0.0
    workers_peak_mb: float = 0.0
    crawl_cpu: float = 0.0
    workers_cpu: float = 0.0
    db_peak_mb: float = 0.0
    db_cpu: float = 0.0
    site_cpu: float = 0.0

    @property
    def active(self) -> float:
        if self.access.first is None or self.access.last is None:
            return self.wall
        return self.access.last - self.access.first

    @property
    def startup(self) -> float:
        return (self.access.first or self.started_at) - self.started_at

    @property
    def tail(self) -> float:
        return self.ended_at - (self.access.last or self.ended_at)

    def stat(self, key: str) -> int:
        return int(self.stats.get(key, 0))


STATS_LINE = re.compile(r"'([\w/.\-]+)': ('?[\w.\-]+'?)")


def final_stats(log_text: str) -> dict[str, str]:
    dump = log_text.rsplit("Dumping Scrapy stats:", 1)
    return {k: v.strip("'") for k, v in STATS_LINE.findall(dump[1])} if len(dump) == 2 else {}


def run_crawl(label: str, site: SiteProcess, db: Database, work: Path, extra: dict[str, str]) -> CrawlResult:
    site.take_log()
    log_path = work / f"{label.replace(' ', '_').replace(',', '')}.log"
    db_cpu, site_cpu = cpu_seconds(db.pid), site.cpu_seconds()
    started = time.monotonic()
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen([sys.executable, *crawl_command(site.origin, label.replace(" ", "-"), extra)],
                                   cwd=ROOT, env=db.env(work), stdout=log_file, stderr=subprocess.STDOUT)
        watch = ProcessWatch(process.pid)
        process.returncode = exit_code = watch.wait()
    ended = time.monotonic()
    result = CrawlResult(label, site.n, ended - started, exit_code, AccessSummary.of(site.take_log()), started,
                         ended, final_stats(log_path.read_text("utf-8", "replace")))
    result.stored = db.store.articles.count_documents({})
    result.duplicates = db.store.articles.count_documents({"duplicate_of": {"$type": "string"}})
    result.peak_mb, result.helpers_peak_mb, result.workers_peak_mb = (watch.peak_mb, watch.helpers_peak_mb,
                                                                      watch.workers_peak_mb)
    result.crawl_cpu, result.workers_cpu = watch.cpu, sum(watch.children_cpu.values())
    result.db_peak_mb, result.db_cpu = peak_rss_mb(db.pid), cpu_seconds(db.pid) - db_cpu
    result.site_cpu = site.cpu_seconds() - site_cpu
    if exit_code and result.stats.get("finish_reason") != "closespider_timeout":
        print(f"  {label}: exit {exit_code}; its log's last errors:", flush=True)
        errors = [line for line in log_path.read_text("utf-8", "replace").splitlines() if "ERROR" in line]
        print("\n".join(f"    {line[:200]}" for line in errors[-5:]) or "    (none)", flush=True)
    return result


def throughput_row(r: CrawlResult, ceiling: float) -> dict[str, object]:
    stored_rate, active_rate = r.stored / r.wall, r.stored / max(r.active, 1e-9)
    return {
        "crawl": r.label, "stored": r.stored, "dups": r.duplicates, "failed": r.stat("items/failed"),
        "finish": r.stats.get("finish_reason", "?"), "wall s": f"{r.wall:.1f}", "start s": f"{r.startup:.1f}",
        "tail s": f"{r.tail:.1f}", "stored/s": f"{stored_rate:.1f}", "x ceil": f"{stored_rate / ceiling:.2f}",
        "active/s": f"{active_rate:.1f}", "x ceil (active)": f"{active_rate / ceiling:.2f}",
        "site cpu": f"{r.site_cpu / r.wall:.0%}",
    }


def resources_row(r: CrawlResult) -> dict[str, object]:
    return {
        "crawl": r.label, "RSS crawl MB": round(r.peak_mb), "RSS workers MB": round(r.workers_peak_mb),
        "RSS forkserver MB": round(r.helpers_peak_mb),
        "crawl cpu": f"{r.crawl_cpu / r.wall:.0%}", "workers cpu": f"{r.workers_cpu / r.wall:.0%}",
        "DB RSS MB": round(r.db_peak_mb), "DB cpu s": f"{r.db_cpu:.1f}", "DB cpu": f"{r.db_cpu / r.wall:.0%}",
        "DB ms/article": f"{1000 * r.db_cpu / max(r.stored, 1):.1f}",
    }


def recrawl_row(r: CrawlResult) -> dict[str, object]:
    discovery = sum(r.access.count(kind, 304) for kind in ("sitemap", "feed", "listing"))
    return {"re-crawl": r.label, "article pages fetched": r.access.count("article", 200),
            "articles 304": r.access.count("article", 304), "discovery 304": discovery,
            "requests": r.access.requests, "wall s": f"{r.wall:.1f}", "stored after": r.stored,
            "failed": r.stat("items/failed"), "exit": r.exit_code}


# --- Scrapy alone -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BareCrawl:
    pages: int
    wall: float
    cpu: float  # the process's CPU seconds, start-up included (as the crawls' are)

    @property
    def cpu_ms(self) -> float:
        return 1000 * self.cpu / max(self.pages, 1)


def bare_crawl(origin: str, n: int) -> BareCrawl:
    """Scrapy alone on the same pages with the crawls' concurrency flags: default middlewares, a
    callback that yields a small item, no extraction, no pipeline, no database. Its CPU per page is
    a floor under any Scrapy crawl of this site on this machine."""
    out = subprocess.run([sys.executable, __file__, "--bare-crawl", origin, str(n)], cwd=ROOT, capture_output=True,
                         text=True, timeout=600, check=True)
    return BareCrawl(**json.loads(out.stdout.strip().splitlines()[-1]))


def _bare_crawl_main(origin: str, n: int) -> None:
    import resource

    import scrapy
    from scrapy.crawler import CrawlerProcess

    class Bare(scrapy.Spider):
        name = "bare"
        fetched = 0

        async def start(self):  # type: ignore[no-untyped-def]
            for number in range(n):
                yield scrapy.Request(f"{origin}/{FIRST_ID + ID_STEP * number}/")

        def parse(self, response):  # type: ignore[no-untyped-def]
            Bare.fetched += 1
            yield {"url": response.url, "bytes": len(response.text)}

    started = time.perf_counter()
    process = CrawlerProcess({
        "LOG_LEVEL": "WARNING", "TELNETCONSOLE_ENABLED": False, "ROBOTSTXT_OBEY": False,
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
        **{k: v for k, v in BENCH_SETTINGS.items() if k.startswith(("CONCURRENT", "AUTOTHROTTLE", "DOWNLOAD_DELAY"))},
    })
    process.crawl(Bare)
    process.start()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"pages": Bare.fetched, "wall": time.perf_counter() - started,
                      "cpu": usage.ru_utime + usage.ru_stime}))


# --- store ------------------------------------------------------------------------------------------
def store_articles(count: int) -> list[Article]:
    from pipelines.normalise import NormalisePipeline

    maker, normalise, now = StoryMaker(seed=SEED + 1), NormalisePipeline(), datetime.now(UTC)
    articles = []
    for number in range(count):
        story = maker.story(number)
        item = Article(url=f"https://almadapaper.net/{story.post_id}/", outlet=OUTLET, title=story.title,
                       text="\n".join(story.paragraphs[1:]), published_at=story.published.astimezone(UTC),
                       fetched_at=now, crawl_id="bench-store")
        articles.append(normalise.process_item(item))
    return articles


def batches(items: list[Any], size: int = 100) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def store_rates(db: Database, articles: list[Article]) -> dict[str, float]:
    from pymongo import UpdateOne

    from newscrawler.store.writer import ArticleWriter

    db.store.ensure_indexes()
    raw_store = ArticleStore(db.client["bench_raw"])
    raw_store.ensure_indexes()  # the same indexes: the comparison is the writer's cost, not theirs
    writer = ArticleWriter(db.store, dedup=False)
    docs = [to_document(a) for a in articles]

    def write_all() -> None:
        for batch in batches(articles):
            report = writer.write(batch)
            if report.failed:
                raise RuntimeError(f"{len(report.failed)} articles failed: {report.failed[0].error}")

    def raw_all() -> None:
        for batch in batches(docs):
            ops = [UpdateOne({"_id": d["_id"]}, {"$set": {k: v for k, v in d.items() if k != "_id"}}, upsert=True)
                   for d in batch]
            raw_store.articles.bulk_write(ops, ordered=False)

    n = len(articles)
    return {"writer new": rate(write_all, n), "raw new": rate(raw_all, n),
            "writer revisit": rate(write_all, n), "raw revisit": rate(raw_all, n)}


# --- profile ------------------------------------------------------------------------------------------
def py_spy() -> str | None:
    return shutil.which("py-spy") or next((str(p) for p in [Path(sys.executable).with_name("py-spy")] if p.exists()),
                                          None)


SPY_RATE = 200  # samples/s


def profile_crawl(site: SiteProcess, db: Database, work: Path, top: int = 25) -> None:
    spy, out = py_spy(), Path(os.environ.get("BENCH_PROFILE_OUT", work / "profile.out"))
    command = crawl_command(site.origin, "bench-profile", {})
    if spy:
        argv = [spy, "record", "--format", "raw", "--rate", str(SPY_RATE), "--function", "--threads",
                "--nonblocking", *os.environ.get("BENCH_SPY_ARGS", "").split(), "-o", str(out), "--", sys.executable, *command]
    else:
        argv = [sys.executable, "-m", "cProfile", "-o", str(out), *command]
    site.take_log()
    started = time.monotonic()
    with open(work / "profile.log", "wb") as log_file:
        subprocess.run(argv, cwd=ROOT, env=db.env(work), stdout=log_file, stderr=subprocess.STDOUT, check=False)
    wall, stored = time.monotonic() - started, db.store.articles.count_documents({})
    access = AccessSummary.of(site.take_log())
    print(f"\nProfile of the N={site.n:,} crawl under {'py-spy' if spy else 'cProfile'}: {stored:,} stored in "
          f"{wall:.1f} s wall ({stored / wall:.1f}/s, {access.requests:,} requests; a profiler slows the crawl: "
          "compare shares, not rates)")
    if spy:
        note, rows = py_spy_top(out, top, access.last - access.first if access.first and access.last else wall)
        print(note + "\n")
    else:
        print("cProfile sees the main thread only: the reactor (and start-up); extraction workers and the database "
              "thread are not in it. Self = time in the function itself, incl = with what it calls.\n")
        rows = cprofile_top(out, top)
    print_table(rows)


def py_spy_top(path: Path, top: int, active: float) -> tuple[str, list[dict[str, object]]]:
    """Top functions of the reactor thread (the thread whose stacks run the asyncio loop), by samples
    in the function itself and in it or what it calls; idle threads are not sampled."""
    threads: dict[str, list[tuple[list[str], int]]] = {}
    for line in path.read_text("utf-8", "replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            frames = stack.split(";")
            threads.setdefault(frames[0], []).append((frames[1:], int(count)))
    if not threads:
        return "py-spy recorded nothing", []

    def loop_samples(stacks: list[tuple[list[str], int]]) -> int:
        return sum(n for frames, n in stacks if any("_run_once" in f for f in frames))

    reactor = max(threads, key=lambda t: loop_samples(threads[t]))
    in_loop = [(frames, n) for frames, n in threads[reactor] if any("_run_once" in f for f in frames)]
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for frames, n in in_loop:
        own[frames[-1]] += n
        for frame in set(frames):
            total[frame] += n
    samples = sum(own.values()) or 1
    others = sum(n for t, stacks in threads.items() if t != reactor for _, n in stacks)
    note = (f"the reactor thread was busy in its loop for {samples / SPY_RATE:.1f} s (its first request to last "
            f"response took {active:.1f} s; the loop also runs before and after); the crawl process's other threads "
            f"for {others / SPY_RATE:.1f} s. Shares below: of the reactor's busy loop samples.")
    rows = [{"self %": f"{100 * n / samples:.1f}", "incl %": f"{100 * total[f] / samples:.1f}", "function": f[:110]}
            for f, n in own.most_common(top)]
    return note, rows


def cprofile_top(path: Path, top: int) -> list[dict[str, object]]:
    stats = pstats.Stats(str(path)).stats  # type: ignore[attr-defined]
    total = sum(tt for _, _, tt, _, _ in stats.values()) or 1.0
    by_self = sorted(stats.items(), key=lambda item: item[1][2], reverse=True)[:top]
    ours = sorted(((k, v) for k, v in stats.items() if _is_ours(k[0])), key=lambda item: item[1][3], reverse=True)
    rows = [{"by": "self", "self s": f"{tt:.2f}", "self %": f"{100 * tt / total:.1f}", "incl s": f"{ct:.2f}",
             "calls": nc, "function": _where(key)} for key, (_, nc, tt, ct, _) in by_self]
    rows += [{"by": "incl, project", "self s": f"{tt:.2f}", "self %": f"{100 * tt / total:.1f}",
              "incl s": f"{ct:.2f}", "calls": nc, "function": _where(key)}
             for key, (_, nc, tt, ct, _) in ours[:top // 2]]
    return rows


def _is_ours(file: str) -> bool:
    return file.startswith(str(ROOT)) and "site-packages" not in file


def _where(key: tuple[str, int, str]) -> str:
    file, line, name = key
    if file == "~":
        return name
    parts = Path(file).parts
    if "site-packages" in parts:
        parts = parts[parts.index("site-packages") + 1:]
    elif _is_ours(file):
        parts = Path(file).relative_to(ROOT).parts
    else:
        parts = parts[-2:]
    return f"{'/'.join(parts)}:{line}({name})"


# --- output -------------------------------------------------------------------------------------------
def print_table(rows: list[dict[str, object]]) -> None:
    if not rows:
        print("(nothing)")
        return
    headers = list(rows[0])
    widths = [max(len(h), *(len(str(r.get(h, ""))) for r in rows)) for h in headers]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(str(row.get(h, "")).ljust(w) for h, w in zip(headers, widths, strict=True)))
    sys.stdout.flush()


def section(title: str) -> None:
    print(f"\n== {title} ==", flush=True)


def verdict(ok: bool) -> str:
    return "yes" if ok else "NO"


def summary(crawls: list[CrawlResult], ceiling: float, recrawl: CrawlResult | None,
            store: dict[str, float] | None, bare: BareCrawl | None = None) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    if bare:
        # The 2-process ceiling spends 2 CPUs / ceiling per page on extraction; a crawl spends at least
        # that plus Scrapy's own CPU per page, on the same 2 CPUs.
        extraction_ms = 2000 / ceiling
        bound = extraction_ms / (extraction_ms + bare.cpu_ms)
        rows.append({"figure": f"bound on 2 CPUs: extraction {extraction_ms:.1f} / (it + Scrapy alone "
                     f"{bare.cpu_ms:.1f}) ms per page", "goal": ">= 0.80 possible?",
                     "measured": f"{bound:.2f}", "met": verdict(bound >= 0.8)})
    for r in crawls:
        wall, active = r.stored / r.wall / ceiling, r.stored / max(r.active, 1e-9) / ceiling
        capped = " (stopped at the cap)" if r.stats.get("finish_reason") == "closespider_timeout" else ""
        rows.append({"figure": f"end-to-end {r.label}{capped}: stored/s / 2-proc ceiling", "goal": ">= 0.80",
                     "measured": f"{wall:.2f} wall, {active:.2f} active", "met": verdict(active >= 0.8)})
    for what, peak in (("crawl process", max((r.peak_mb for r in crawls), default=0.0)),
                       ("an extraction worker", max((r.workers_peak_mb for r in crawls), default=0.0))):
        rows.append({"figure": f"peak RSS of {what} (all crawls)", "goal": "<= 400 MB",
                     "measured": f"{peak:.0f} MB", "met": verdict(peak <= 400)})
    if recrawl:
        fetched = recrawl.access.count("article", 200)
        rows.append({"figure": f"re-crawl {recrawl.label}: article pages fetched", "goal": "0",
                     "measured": fetched, "met": verdict(fetched == 0)})
    if store:
        for kind in ("new", "revisit"):
            writer, raw = store[f"writer {kind}"], store[f"raw {kind}"]
            rows.append({"figure": f"store, {kind}: ArticleWriter docs/s", "goal": ">= 2000",
                         "measured": f"{writer:.0f}", "met": verdict(writer >= 2000)})
            rows.append({"figure": f"store, {kind}: writer / raw bulk_write", "goal": ">= 0.80",
                         "measured": f"{writer / raw:.2f}", "met": verdict(writer / raw >= 0.8)})
    return rows


def header(plan: Plan, capped: bool) -> None:
    print(f"bench_crawl{' --quick' if plan.quick else ''}: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} at start")
    print(f"site: generated Al-Mada pages (seed {SEED}), N = {', '.join(f'{n:,}' for n in plan.sizes)} article pages, "
          f"1 in {COPY_EVERY} a syndicated near-copy of an earlier one")
    print(f"crawl flags: {' '.join(settings_args(BENCH_SETTINGS))}")
    print("  (ROBOTSTXT_OBEY, EXTRACT_WORKERS=-1 = one per CPU, STORE_BATCH_SIZE and the rest: project defaults)")
    print(f"re-crawl adds: {' '.join(settings_args(RECRAWL_SETTINGS))}; dedup-off crawls add: -s DEDUP_ENABLED=False")
    if capped:
        print(f"budget {plan.budget_s} s: the N={plan.sizes[-1]:,} crawls share what is left of it as "
              "-s CLOSESPIDER_TIMEOUT=<s> (Scrapy's graceful close; finish reason closespider_timeout); a stopped "
              "crawl's rates cover what it stored (--no-cap: every crawl to the end)")
    print("figures are approximate when other work runs on the machine; none is asserted", flush=True)


# --- main ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Plan:
    quick: bool
    sizes: tuple[int, ...]
    sample: int  # pages for the extraction ceiling
    store_n: int  # articles for the store figures
    load_pages: int  # pages for the site's capacity
    budget_s: int  # the whole run; the largest size's crawls share what is left of it


PLANS = {False: Plan(False, (2_000, 20_000), 300, 5_000, 20_000, 600),
         True: Plan(True, (200, 600), 150, 500, 4_000, 150)}
STORE_RESERVE_S = 45  # kept out of the budget for the store figures (5,000 articles)
CRAWL_OVERHEAD_S = 15  # a crawl's start-up and graceful close, outside CLOSESPIDER_TIMEOUT


@contextmanager
def started_site(n: int) -> Iterator[SiteProcess]:
    site = SiteProcess(n)
    try:
        yield site
    finally:
        site.stop()


def crawl_all(plan: Plan, work: Path, deadline: float | None) -> tuple[list[CrawlResult], CrawlResult | None,
                                                                      BareCrawl | None]:
    """Each size with and without dedup, each into a fresh database; the first size re-crawled. The
    largest size's crawls share the time left before `deadline` (CLOSESPIDER_TIMEOUT); None: no limit."""
    crawls: list[CrawlResult] = []
    recrawl: CrawlResult | None = None
    bare: BareCrawl | None = None
    for n in plan.sizes:
        with started_site(n) as site:
            if n == plan.sizes[0]:
                served, cpu_us = site_capacity(site, plan.load_pages)
                section("Site")
                print(f"{served:,.0f} pages/s served to 2 keep-alive client processes (they share the 2 CPUs with "
                      f"it); site CPU {cpu_us:.0f} µs/page: ≈ {1e6 / cpu_us:,.0f} pages/s on one core", flush=True)
                section("Scrapy alone: the same pages, no extraction, pipeline or database")
                bare = bare_crawl(site.origin, n)
                print(f"{bare.pages:,} pages in {bare.wall:.1f} s ({bare.pages / bare.wall:,.0f} pages/s); CPU "
                      f"{bare.cpu_ms:.1f} ms/page (start-up included, as in the crawls' figures)", flush=True)
                section("End-to-end crawls")
            for left, dedup in ((2, True), (1, False)):
                label = f"N={n:,} dedup {'on' if dedup else 'off'}"
                extra = {} if dedup else {"DEDUP_ENABLED": "False"}
                if deadline is not None and n == plan.sizes[-1]:
                    extra |= crawl_cap(deadline, left)
                db = Database(work / f"db-{n}-{dedup}")
                try:
                    crawls.append(run_crawl(label, site, db, work, extra))
                    progress(crawls[-1], extra)
                    if dedup and n == plan.sizes[0]:
                        recrawl = run_crawl(f"N={n:,} unchanged", site, db, work, RECRAWL_SETTINGS)
                        progress(recrawl, RECRAWL_SETTINGS)
                finally:
                    db.close()
    return crawls, recrawl, bare


def crawl_cap(deadline: float, crawls_left: int) -> dict[str, str]:
    share = (deadline - time.monotonic()) / crawls_left - CRAWL_OVERHEAD_S
    return {"CLOSESPIDER_TIMEOUT": str(max(30, int(share)))}


def progress(r: CrawlResult, extra: dict[str, str]) -> None:
    flags = f" ({' '.join(settings_args(extra))})" if extra else ""
    print(f"  {r.label}{flags}: {r.stored:,} stored in {r.wall:.1f} s, {r.access.count('article', 200):,} article "
          f"pages fetched, finish reason {r.stats.get('finish_reason', '?')}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="small N, to try it out (about two minutes)")
    parser.add_argument("--profile", action="store_true",
                        help="only the N=2,000 crawl (--quick: the smallest), under py-spy or cProfile")
    parser.add_argument("--no-cap", action="store_true",
                        help="no time budget: every crawl runs to the end (about 25 minutes at present)")
    parser.add_argument("--bare-crawl", nargs=2, metavar=("ORIGIN", "N"), help=argparse.SUPPRESS)  # internal
    args = parser.parse_args()
    if args.bare_crawl:
        _bare_crawl_main(args.bare_crawl[0], int(args.bare_crawl[1]))
        return
    plan = PLANS[args.quick]
    begun = time.monotonic()
    deadline = None if args.no_cap else begun + plan.budget_s - STORE_RESERVE_S
    with tempfile.TemporaryDirectory(prefix="bench-crawl-") as tmp:
        work = Path(tmp)
        if args.profile:
            with started_site(plan.sizes[0]) as site:
                db = Database(work / "db-profile")
                try:
                    profile_crawl(site, db, work)
                finally:
                    db.close()
            return
        header(plan, deadline is not None)
        section(f"Extraction ceiling ({plan.sample} generated pages; best of 2 runs)")
        pages = sample_pages(plan.sample)
        print(check_sample(pages))
        ceilings = extraction_ceiling(pages)
        print_table([{"extractor": k, "pages/s": f"{v:.1f}"} for k, v in ceilings.items()])
        ceiling = ceilings["ours, 2 processes"]
        crawls, recrawl, bare = crawl_all(plan, work, deadline)
        section(f"Throughput (x ceil: over the 2-process ceiling of {ceiling:.1f} pages/s; active: first request "
                "-> last response)")
        print_table([throughput_row(r, ceiling) for r in crawls])
        section("Resources (peak RSS = VmHWM; cpu = share of one core over the crawl's wall time)")
        print_table([resources_row(r) for r in crawls])
        section("Re-crawl of the unchanged site, same database")
        print_table([recrawl_row(recrawl)] if recrawl else [])
        section(f"Store: {plan.store_n:,} articles in batches of 100, fresh embedded server")
        db = Database(work / "db-store")
        try:
            store = store_rates(db, store_articles(plan.store_n))
        finally:
            db.close()
        print_table([{"write": k, "docs/s": f"{v:.0f}"} for k, v in store.items()])
        section(f"Summary (total {time.monotonic() - begun:.0f} s)")
        print_table(summary(crawls, ceiling, recrawl, store, bare))


if __name__ == "__main__":
    main()

"""`make bench-faults`: real crawls of local replicas under faults, one row per fault.

tried: article pages the site served (200); stored: articles in the database after the crawl;
quarantined: items kept for `newscrawler replay` (by stage); lost = tried - stored - kept (must be
0); peak RSS of the crawl process; longest stall: the longest gap between two requests reaching the
site while the crawl ran (a blocked reactor shows here). Figures are printed, never asserted.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.procstats import peak_rss_mb  # noqa: E402
from newscrawler.outlets import get_outlet  # noqa: E402
from newscrawler.store import ArticleStore, connect  # noqa: E402
from newscrawler.store.embedded import EmbeddedServer  # noqa: E402
from tests.conftest import FAST, REPLICAS, free_port  # noqa: E402
from tests.test_hostile_servers import HostileServer  # noqa: E402

GZIP_HTML = {"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip"}


def run(name: str, outlet: str, rules: dict, outage: float | None = None, stop_db: bool = False,
        extra: tuple[str, ...] = ()) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        db = EmbeddedServer(tmp_path / "db", free_port())
        uri = db.start()
        client = connect(uri)
        store = ArticleStore(client["faults"])
        site = HostileServer(REPLICAS / outlet, rules)
        site.delay = 0.2
        site.start()
        env = {**os.environ, "MONGO_URI": uri, "MONGO_DATABASE": "faults", "NEWSCRAWLER_DATA_DIR": str(tmp_path)}
        command = [sys.executable, "-m", "scrapy", "crawl", outlet, "-a", f"base_url={site.origin}", *FAST,
                   "-s", f"QUARANTINE_DIR={tmp_path / 'q'}", "-s", "STORE_BATCH_SIZE=1",
                   "-s", "MONGO_SERVER_SELECTION_TIMEOUT_MS=1500", "-s", "STORE_WRITE_RETRIES=1", *extra]
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        peak, times, restarted = 0.0, [], False
        stopped_at = None
        while proc.poll() is None:
            peak = max(peak, peak_rss_mb(proc.pid))
            if stop_db and stopped_at is None and store.articles.count_documents({}) > 0:
                db.stop()
                stopped_at = time.monotonic()
            if stopped_at and outage is not None and not restarted and time.monotonic() - stopped_at > outage:
                db.start()
                restarted = True
            time.sleep(0.1)
        site.stop()
        if stop_db and not restarted:
            db.start()
        rule = get_outlet(outlet)
        with site._lock:
            log = list(site.log)
            times = sorted(r.at for r in log)
        fetched = {urlsplit(r.path).path.rstrip("/") for r in log
                   if r.status == 200 and rule.is_article_url(f"http://x{r.path}")}
        stored = {urlsplit(d["url"]).path.rstrip("/") for d in store.articles.find()}
        kept = [json.loads(line) for f in (tmp_path / "q").glob("*.jsonl") for line in f.read_text().splitlines()]
        kept_paths = {urlsplit(k["url"]).path.rstrip("/") for k in kept}
        stages = Counter(k["failure"]["stage"] for k in kept)
        client.close()
        db.stop()
        gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
        return {"fault": name, "tried": len(fetched), "stored": len(stored & fetched),
                "quarantined": " ".join(f"{s}:{n}" for s, n in sorted(stages.items())) or "0",
                "lost": len(fetched - stored - kept_paths), "peak_rss_mb": round(peak), "exit": proc.returncode,
                "longest_stall_s": round(max(gaps), 1) if gaps else 0.0}


def bomb() -> bytes:
    return gzip.compress(b"\0" * (200 * 1024 * 1024), compresslevel=9)


def slow_page() -> bytes:
    """~3 s of extraction (7,900 short paragraphs, under every size cap)."""
    paragraphs = "".join(f"<p>فقرة رقم {i} عن الأحداث في بغداد وأربيل والبصرة والموصل وكركوك</p>" for i in range(7_900))
    return f"<html><body><h1>عنوان</h1><div class='content'>{paragraphs}</div></body></html>".encode()


def main() -> None:
    page = (REPLICAS / "zagros" / "site" / "ar" / "news" / "66891.html").read_bytes()
    cut = gzip.compress(page)[:400]
    big = bomb()
    slow = slow_page()
    html = {"Content-Type": "text/html; charset=utf-8"}
    scenarios: list[tuple] = [
        ("none (baseline)", "almada", {}, None, False),
        ("database away 10 s", "almada", {}, 10.0, True),
        ("database away 10 s, default timeouts", "almada", {}, 10.0, True, (
            "-s", "MONGO_SERVER_SELECTION_TIMEOUT_MS=30000", "-s", "STORE_WRITE_RETRIES=3")),
        ("database away for good", "almada", {}, None, True),
        ("truncated gzip article", "zagros", {"/ar/news/66891": lambda n: (200, GZIP_HTML, cut)}, None, False),
        ("200 MB gzip bomb sitemap", "almada", {"/wp-sitemap.xml": lambda n: (200, {"Content-Type": "application/xml"},
                                                                              big)}, None, False),
        ("3 s page, 1 s extraction budget", "zagros", {"/ar/news/66891": lambda n: (200, html, slow)}, None, False,
         ("-s", "EXTRACT_TIMEOUT=1")),
        ("429 Retry-After: 3 on an article", "zagros",
         {"/ar/news/66891": lambda n: (429, {"Retry-After": "3"}, b"slow down") if n == 1 else None}, None, False),
    ]
    rows = [run(*s) for s in scenarios]
    headers = list(rows[0])
    widths = [max(len(h), *(len(str(r[h])) for r in rows)) for h in headers]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(str(row[h]).ljust(w) for h, w in zip(headers, widths, strict=True)))


if __name__ == "__main__":
    main()

"""An outlet's own feed is never silently discarded: WordPress date permalinks are articles, and a
feed whose entries the article URL rule mostly rejects is counted, warned about and flagged."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from newscrawler.outlets import get_outlet
from newscrawler.store import ArticleStore
from tests.conftest import PROJECT_DIR, REPLICAS

FEED_IDS = ("403655", "387412", "370981", "370980")


def almada_copy(tmp_path: Path, link_for: dict[str, str]) -> Path:
    """The Al-Mada replica with its feed's article links rewritten (id -> new path) and the feed
    as its only source (sitemap and listing answer 404)."""
    root = tmp_path / "almada"
    shutil.copytree(REPLICAS / "almada", root)
    outlet = get_outlet("almada")
    feed = root / "site" / "feed.xml"
    text = feed.read_text("utf-8")
    routes = json.loads((root / "routes.json").read_text("utf-8"))
    for article_id, path in link_for.items():
        text = text.replace(f"<link>{{{{ORIGIN}}}}/{article_id}/</link>", f"<link>{{{{ORIGIN}}}}{path}</link>")
        routes[path] = {"file": f"{article_id}/index.html"}
    for path in (*outlet.sitemaps, *outlet.listings):
        routes[path] = {"status": 404}
    feed.write_text(text, "utf-8")
    (root / "routes.json").write_text(json.dumps(routes), "utf-8")
    return root


def status(mongo_uri: str, db_name: str) -> subprocess.CompletedProcess[str]:
    env = {"MONGO_URI": mongo_uri, "MONGO_DATABASE": db_name, "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "newscrawler.cli", "status", "almada"], cwd=PROJECT_DIR, env=env,
                          capture_output=True, text=True, timeout=120)


def test_wordpress_date_permalinks_in_the_feed_are_crawled(tmp_path: Path, replica, run_crawl,
                                                           store: ArticleStore) -> None:
    links = {i: f"/2025/09/{10 + n}/story-{i}/" for n, i in enumerate(FEED_IDS)}
    server = replica("almada", almada_copy(tmp_path, links))
    run = run_crawl("almada", server.origin)
    fetched = set(server.requested_paths())
    assert set(links.values()) <= fetched, "the feed's date permalinks are article URLs"
    record = store.runs.find_one({"outlet": "almada"})
    assert record["url_rule_mismatch"] == 0 and record["articles"]["new"] == len(FEED_IDS), run.output[-3000:]


def test_a_feed_the_url_rule_rejects_is_flagged(tmp_path: Path, replica, run_crawl, store: ArticleStore,
                                                mongo_uri: str, db_name: str) -> None:
    links = {i: f"/news/{i}.html" for i in FEED_IDS}  # the outlet changed its URL scheme
    server = replica("almada", almada_copy(tmp_path, links))
    run = run_crawl("almada", server.origin)
    assert "article URL rule rejects 4 of 4 entries of feed" in run.output
    record = store.runs.find_one({"outlet": "almada"})
    assert record["url_rule_mismatch"] == 1 and record["discovery_rejected"]["feed"] == 4
    report = status(mongo_uri, db_name)
    assert report.returncode == 1 and "URL-RULE" in report.stdout, report.stdout + report.stderr

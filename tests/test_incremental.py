"""Incremental re-crawls: a re-run fetches discovery pages but no stored, unchanged article; after
the site adds 3 articles and edits 1, the next run fetches exactly those 4."""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from newscrawler.store import ArticleStore
from tests.conftest import REPLICAS

NEW_IDS = ("410001", "410002", "410003")
EDITED = "387412"


def article_paths(server, since: int = 0) -> list[str]:  # type: ignore[no-untyped-def]
    return [r.path for r in server.log[since:] if re.fullmatch(r"/\d+/", r.path)]


def publish_changes(root: Path) -> None:
    """Add three articles (feed + listing) and edit one (its sitemap lastmod moves)."""
    site = root / "site"
    expected = json.loads((root / "expected.json").read_text("utf-8"))
    template_article = next(a for a in expected["articles"] if a["path"] == "/370981/")
    template = (site / "370981" / "index.html").read_text("utf-8")
    feed = (site / "feed.xml").read_text("utf-8")
    listing = (site / "category" / "local.html").read_text("utf-8")
    for n, new_id in enumerate(NEW_IDS):
        page = template.replace("370981", new_id).replace(template_article["title"], f"خبر جديد رقم {n} من المدى")
        for p_index, paragraph in enumerate(template_article["text"].split("\n")):
            page = page.replace(paragraph, f"فقرة {p_index} من الخبر الجديد {new_id}: " + " ".join(
                f"كلمة{(int(new_id) * 7 + i * 13 + p_index) % 997}" for i in range(30)))
        (site / new_id).mkdir()
        (site / new_id / "index.html").write_text(page, "utf-8")
        item = (f"<item><title>خبر جديد رقم {n}</title><link>{{{{ORIGIN}}}}/{new_id}/</link>"
                f"<pubDate>Fri, 20 Nov 2026 10:0{n}:00 +0300</pubDate></item>")
        feed = feed.replace("<item>", item + "\n\t<item>", 1)
        listing = listing.replace("</h1>", f'</h1><a href="{{{{ORIGIN}}}}/{new_id}/">خبر جديد رقم {n}</a>', 1)
    (site / "feed.xml").write_text(feed, "utf-8")
    (site / "category" / "local.html").write_text(listing, "utf-8")

    edited = site / EDITED / "index.html"
    edited_article = next(a for a in expected["articles"] if a["path"] == f"/{EDITED}/")
    first = edited_article["text"].split("\n")[1]
    edited.write_text(edited.read_text("utf-8").replace(first, first + " (تحديث: أضيفت تفاصيل جديدة)"), "utf-8")
    sitemap = site / "wp-sitemap-posts-post-1.xml"
    later = (datetime.now(UTC) + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    sitemap.write_text(re.sub(rf"(<loc>[^<]*/{EDITED}/</loc><lastmod>)[^<]+", rf"\g<1>{later}",
                              sitemap.read_text("utf-8")), "utf-8")
    index = site / "wp-sitemap.xml"  # WordPress moves the index's lastmod of the changed sitemap too
    index.write_text(re.sub(r"(posts-post-1.xml</loc><lastmod>)[^<]+", rf"\g<1>{later}", index.read_text("utf-8")),
                     "utf-8")


def test_unchanged_rerun_fetches_no_article_then_only_the_changes(replica, run_crawl, store: ArticleStore,
                                                                  tmp_path: Path) -> None:
    root = tmp_path / "almada"
    shutil.copytree(REPLICAS / "almada", root)
    server = replica("almada", root)
    assert run_crawl("almada", server.origin).returncode == 0
    stored = store.articles.count_documents({})
    first_run = len(server.log)
    assert len(article_paths(server)) >= stored

    assert run_crawl("almada", server.origin).returncode == 0
    assert article_paths(server, first_run) == [], "an unchanged site: no article page fetched"
    assert any(r.status == 304 for r in server.log[first_run:]), "discovery pages asked conditionally"

    publish_changes(root)
    second_end = len(server.log)
    assert run_crawl("almada", server.origin, "-a", "crawl_id=third").returncode == 0
    fetched = sorted(article_paths(server, second_end))
    assert fetched == sorted([f"/{i}/" for i in NEW_IDS] + [f"/{EDITED}/"])
    edited = store.articles.find_one({"url": {"$regex": f"/{EDITED}/"}})
    assert edited["version"] == 2 and "أضيفت تفاصيل جديدة" in edited["text"]
    assert store.articles.count_documents({}) == stored + 3
    record = store.runs.find_one({"_id": "third"})
    assert record["articles"]["new"] == 3 and record["articles"]["updated"] == 1

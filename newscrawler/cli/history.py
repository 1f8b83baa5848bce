"""`newscrawler history ARTICLE_ID|URL`: every stored version of an article."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from newscrawler.cli.common import project_settings


def run(args: argparse.Namespace) -> int:
    from newscrawler.dedup.canonical import article_key, canonical_url
    from newscrawler.outlets import outlet_for_url
    from newscrawler.scrapy_ext.connection import resolve_mongo_uri
    from newscrawler.store import ArticleStore

    settings = project_settings()
    store = ArticleStore.open(resolve_mongo_uri(settings), settings.get("MONGO_DATABASE"))
    key = args.article
    if key.startswith(("http://", "https://")):
        url = canonical_url(key, None)
        key = article_key(url, outlet_for_url(url))
    current = store.articles.find_one({"_id": key})
    if current is None:
        print(f"newscrawler history: no article {args.article}", file=sys.stderr)
        return 1
    for old in [*store.history(key), current]:
        when = old.get("archived_at") or old.get("last_seen_at")
        print(json.dumps({"version": old.get("version"), "title": old.get("title"), "text": old.get("text"),
                          "fetched_at": str(old.get("fetched_at")), "until": str(when)}, ensure_ascii=False))
    return 0


def register(sub: Any) -> None:
    parser = sub.add_parser("history", help="every stored version of an article (by _id or URL)")
    parser.add_argument("article")
    parser.set_defaults(func=run)

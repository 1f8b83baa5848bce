"""`newscrawler ingest FILE.jsonl`: articles from JSON lines through normalise -> dedup -> store."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from newscrawler.cli.common import project_settings


def run(args: argparse.Namespace) -> int:
    from newscrawler.ingest import ingest
    from newscrawler.scrapy_ext.connection import resolve_mongo_uri
    from newscrawler.store import ArticleStore

    settings = project_settings()
    path = Path(args.file)
    if not path.is_file():
        print(f"newscrawler ingest: {path}: no such file", file=sys.stderr)
        return 2
    store = ArticleStore.open(resolve_mongo_uri(settings), settings.get("MONGO_DATABASE"))
    report = ingest(path, store, drop_duplicates=args.drop_duplicates or settings.get("DEDUP_MODE") == "drop")
    print(json.dumps(report, ensure_ascii=False))
    return 0


def register(sub: Any) -> None:
    parser = sub.add_parser("ingest", help="store JSON-lines articles through normalise -> dedup -> store")
    parser.add_argument("file", help='lines of {"url", "title", "text", "published_at", "outlet", "html"?}')
    parser.add_argument("--drop-duplicates", action="store_true", help="do not store duplicates (default: link)")
    parser.set_defaults(func=run)

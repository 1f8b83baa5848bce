"""`newscrawler replay [DIR]`: re-process quarantined items (idempotent)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from newscrawler.cli.common import project_settings


def run(args: argparse.Namespace) -> int:
    from newscrawler.ingest import replay
    from newscrawler.scrapy_ext.connection import resolve_mongo_uri
    from newscrawler.store import ArticleStore

    settings = project_settings()
    store = ArticleStore.open(resolve_mongo_uri(settings), settings.get("MONGO_DATABASE"))
    store.ensure_indexes()
    report = replay(Path(args.directory or settings.get("QUARANTINE_DIR")), store)
    print(json.dumps(report, ensure_ascii=False))
    return 0


def register(sub: Any) -> None:
    parser = sub.add_parser("replay", help="re-process quarantined items (failed extraction, dedup or store)")
    parser.add_argument("directory", nargs="?", help="quarantine folder (default: QUARANTINE_DIR, data/quarantine)")
    parser.set_defaults(func=run)

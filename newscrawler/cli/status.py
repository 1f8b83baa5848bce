"""`newscrawler status [OUTLET …]`: the last run per outlet, flagging outlets that broke (exit 1)."""

from __future__ import annotations

import argparse
from typing import Any

from newscrawler.cli.common import project_settings


def run(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from newscrawler.outlets import all_outlets
    from newscrawler.scheduler import parse_interval
    from newscrawler.scrapy_ext.connection import resolve_mongo_uri
    from newscrawler.status import alarmed, format_status, status_rows
    from newscrawler.store import ArticleStore

    settings = project_settings()
    store = ArticleStore.open(resolve_mongo_uri(settings), settings.get("MONGO_DATABASE"))
    names = args.outlets or sorted(set(all_outlets()) | set(store.runs.distinct("outlet")))
    rows = status_rows(store, names, max_error_rate=settings.getfloat("SPIDERMON_MAX_ERROR_RATE", 0.5),
                       max_run=timedelta(seconds=parse_interval(args.max_run)))
    print(format_status(rows))
    return 1 if alarmed(rows) else 0


def register(sub: Any) -> None:
    parser = sub.add_parser("status", help="last run per outlet, flagging outlets that broke (exit 1 if any)")
    parser.add_argument("outlets", nargs="*")
    parser.add_argument("--max-run", default="6h",
                        help="a run still 'running' after this long is ABANDONED (default 6h)")
    parser.set_defaults(func=run)

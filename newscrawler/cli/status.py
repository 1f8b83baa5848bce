"""`newscrawler status [OUTLET …]`: the last run per outlet, flagging outlets that broke (exit 1).
`newscrawler status --history [--limit N] [OUTLET …]`: each outlet's runs over time, newest first."""

from __future__ import annotations

import argparse
from typing import Any

from newscrawler.cli.common import CliError, project_settings


def run(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from newscrawler.cli.db import database_uri
    from newscrawler.outlets import all_outlets
    from newscrawler.scheduler import parse_interval
    from newscrawler.status import alarmed, format_history, format_status, history_rows, status_rows
    from newscrawler.store import ArticleStore

    try:
        max_run = timedelta(seconds=parse_interval(args.max_run))
    except ValueError as exc:
        raise CliError(f"--max-run: {exc}") from None
    if args.limit < 1:
        raise CliError("--limit must be at least 1")
    settings = project_settings()
    store = ArticleStore.open(database_uri(settings), settings.get("MONGO_DATABASE"))
    recorded = set(store.runs.distinct("outlet"))
    known = set(all_outlets()) | recorded
    unknown = [n for n in args.outlets if n not in known]
    if unknown:  # an outlet no longer in the registry is still known by its runs
        raise CliError(f"unknown outlet{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
                       f"known: {', '.join(sorted(known))}")
    names = args.outlets or sorted(known)
    if args.history:
        blocks = []
        for name in names:
            runs = history_rows(store, name, args.limit)
            blocks.append(f"{name}: {len(runs)} run{'s' if len(runs) != 1 else ''}"
                          f"{' (newest first)' if len(runs) > 1 else ''}"
                          + (f"\n{format_history(runs)}" if runs else ""))
        print("\n\n".join(blocks))
        return 0
    rows = status_rows(store, names, max_error_rate=settings.getfloat("SPIDERMON_MAX_ERROR_RATE", 0.5),
                       max_run=max_run)
    print(format_status(rows))
    return 1 if alarmed(rows) else 0


def register(sub: Any) -> None:
    parser = sub.add_parser("status", help="last run per outlet, flagging outlets that broke (exit 1 if any); "
                                           "--history: every run")
    parser.add_argument("outlets", nargs="*")
    parser.add_argument("--max-run", default="6h",
                        help="a run still 'running' after this long is ABANDONED (default 6h)")
    parser.add_argument("--history", action="store_true", help="each outlet's runs over time, newest first")
    parser.add_argument("--limit", type=int, default=20, help="runs per outlet with --history (default 20)")
    parser.set_defaults(func=run)

"""`newscrawler report [-o report.html] [--days N] [--now INSTANT] [OUTLET …]`: a static HTML page of
the crawl history per outlet (charts per day) and the latest run per outlet with its flags."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newscrawler.cli.common import CliError, instant, project_settings


def run(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from newscrawler.cli.db import database_uri
    from newscrawler.outlets import all_outlets
    from newscrawler.report import build_report, render_html
    from newscrawler.scheduler import parse_interval
    from newscrawler.store import ArticleStore

    if not 1 <= args.days <= 3660:
        raise CliError("--days must be between 1 and 3660")
    try:
        max_run = timedelta(seconds=parse_interval(args.max_run))
    except ValueError as exc:
        raise CliError(f"--max-run: {exc}") from None
    output = Path(args.output)
    if not output.parent.is_dir():
        raise CliError(f"-o {output}: no folder {output.parent}")
    settings = project_settings()
    store = ArticleStore.open(database_uri(settings), settings.get("MONGO_DATABASE"))
    registry = all_outlets()
    known = sorted(set(registry) | set(store.runs.distinct("outlet")))
    unknown = [n for n in args.outlets if n not in known]
    if unknown:
        raise CliError(f"unknown outlet{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
                       f"known: {', '.join(known)}")
    names = list(dict.fromkeys(args.outlets)) or known
    report = build_report(store, names, args.now or datetime.now(UTC), args.days,
                          display_names={n: o.display_name for n, o in registry.items()},
                          max_error_rate=settings.getfloat("SPIDERMON_MAX_ERROR_RATE", 0.5), max_run=max_run)
    output.write_text(render_html(report), encoding="utf-8")
    print(f"wrote {output} ({len(names)} outlets, {report.days[0]} to {report.days[-1]}, "
          f"{sum(sum(s.runs) for s in report.series)} runs)")
    return 0


def register(sub: Any) -> None:
    parser = sub.add_parser("report", help="static HTML page: per-outlet charts per day and the latest runs")
    parser.add_argument("outlets", nargs="*", help="outlet names (default: all, and any with run records)")
    parser.add_argument("-o", "--output", default="report.html", help="the HTML file to write (default report.html)")
    parser.add_argument("--days", type=int, default=30, help="UTC days shown, ending with --now's (default 30)")
    parser.add_argument("--now", type=instant, help="the moment the report is for (ISO 8601; default: now)")
    parser.add_argument("--max-run", default="6h", help="as in `newscrawler status` (default 6h)")
    parser.set_defaults(func=run)

"""`newscrawler reextract [--outlet X] [--since D] [--until D] [--workers N]`: the current extractor
over the latest archived raw page of each URL (newscrawler/archive/reextract.py); a JSON summary."""

from __future__ import annotations

import argparse
import json
from typing import Any

from newscrawler.cli.common import CliError, instant, open_store, project_settings


def run(args: argparse.Namespace) -> int:
    from newscrawler.archive.reextract import latest_pages, reextract
    from newscrawler.archive.work import default_workers
    from newscrawler.outlets import all_outlets
    from newscrawler.progress import counter as progress
    from newscrawler.scrapy_ext.archive import warc_dir

    if args.outlet and args.outlet not in all_outlets():
        raise CliError(f"unknown outlet {args.outlet!r}; known: {', '.join(all_outlets())}")
    if args.since and args.until and args.since >= args.until:
        raise CliError("--since must be before --until")
    if args.workers is not None and args.workers < 0:
        raise CliError("--workers must be 0 or more")
    settings = project_settings()
    store = open_store(settings)
    root = warc_dir(settings)
    pages = latest_pages(store, root, args.outlet, args.since, args.until)
    workers = default_workers(settings.getint("EXTRACT_WORKERS", -1) if args.workers is None else args.workers)
    with progress("re-extracting", len(pages)) as advance:
        summary = reextract(store, root, workers=workers, timeout=settings.getfloat("EXTRACT_TIMEOUT", 20.0),
                            advance=advance, pages=pages)
    print(json.dumps(summary, ensure_ascii=False, default=str))
    return 1 if summary["failed"] else 0


def register(sub: Any) -> None:
    parser = sub.add_parser("reextract", help="re-run the extractor over the archived raw pages (WARC)")
    parser.add_argument("--outlet", help="only this outlet's pages")
    parser.add_argument("--since", type=instant, help="only pages fetched at or after this ISO date-time (UTC)")
    parser.add_argument("--until", type=instant, help="only pages fetched before this ISO date-time (UTC)")
    parser.add_argument("--workers", type=int, help="extraction processes (default EXTRACT_WORKERS; 0: in this process)")
    parser.set_defaults(func=run)

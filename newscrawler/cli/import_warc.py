"""`newscrawler import-warc FILE.warc.gz [...]`: articles from WARC files (CC-NEWS, Common Crawl,
our own archive) through extraction -> dedup -> store, indexed for reextract; a JSON summary."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from newscrawler.cli.common import CliError, open_store, project_settings


def run(args: argparse.Namespace) -> int:
    from newscrawler.archive.importer import import_warcs
    from newscrawler.archive.work import default_workers
    from newscrawler.progress import counter as progress
    from newscrawler.scrapy_ext.archive import warc_dir

    paths = [Path(f) for f in args.files]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise CliError(f"no such file: {', '.join(missing)}")
    if args.workers is not None and args.workers < 0:
        raise CliError("--workers must be 0 or more")
    settings = project_settings()
    store = open_store(settings)
    workers = default_workers(settings.getint("EXTRACT_WORKERS", -1) if args.workers is None else args.workers)
    with progress("importing", sum(p.stat().st_size for p in paths), unit="bytes") as advance:
        summary = import_warcs(paths, store, warc_dir(settings), workers=workers,
                               timeout=settings.getfloat("EXTRACT_TIMEOUT", 20.0), advance=advance)
    print(json.dumps(summary, ensure_ascii=False, default=str))
    return 1 if summary["failed"] or summary["file_errors"] else 0


def register(sub: Any) -> None:
    parser = sub.add_parser("import-warc", help="store the articles of WARC files (CC-NEWS …), index them for reextract")
    parser.add_argument("files", nargs="+", metavar="FILE", help="WARC files (.warc.gz per-record gzip, or .warc)")
    parser.add_argument("--workers", type=int, help="extraction processes (default EXTRACT_WORKERS; 0: in this process)")
    parser.set_defaults(func=run)

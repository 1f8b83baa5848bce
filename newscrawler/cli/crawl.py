"""`newscrawler crawl [OUTLET …] [--replicas DIR]`: spiders one after another, then a summary table."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newscrawler.cli.common import PROJECT_DIR, project_settings
from newscrawler.replica import REPLICA_SETTINGS
from newscrawler.scrapy_ext.redact import redact


def format_table(rows: list[dict[str, Any]]) -> str:
    from newscrawler.tables import render_table

    headers = ["outlet", "pages", "new", "updated", "unchanged", "duplicate", "errors", "elapsed", "finish"]
    return render_table(headers, [[
        r["outlet"], str(r.get("pages_fetched", 0)), *(str(r.get("articles", {}).get(k, 0))
                                                       for k in ("new", "updated", "unchanged", "duplicate")),
        str(r.get("error_count", 0)), f"{r.get('elapsed_s', 0):.1f}s", str(r.get("failed") or r.get("finish_reason")),
    ] for r in rows])


def run(args: argparse.Namespace) -> int:
    from newscrawler.outlets import all_outlets
    from newscrawler.replica import ReplicaServer
    from newscrawler.scrapy_ext.connection import resolve_mongo_uri
    from newscrawler.store import ArticleStore

    settings = project_settings()
    names = args.outlets or list(all_outlets())
    uri = resolve_mongo_uri(settings)  # starts the embedded server once, shared by every crawl
    env = {**os.environ, "MONGO_URI": uri}
    batch = f"{datetime.now(UTC):%Y%m%dT%H%M%S}"
    servers: dict[str, ReplicaServer] = {}
    failed = 0
    try:
        if args.replicas:
            for name in names:
                root = Path(args.replicas) / name
                if not (root / "site").is_dir():
                    print(f"{name}: no replica at {root}; skipped", file=sys.stderr)
                    continue
                servers[name] = ReplicaServer(root).start()
            names = [n for n in names if n in servers]
        redis_url = settings.get("NEWSCRAWLER_REDIS_URL")
        if args.workers > 1 and not redis_url:
            print("newscrawler crawl: --workers needs NEWSCRAWLER_REDIS_URL (the shared frontier)", file=sys.stderr)
            return 2
        for name in names:
            base = [sys.executable, "-m", "scrapy", "crawl", name]
            if name in servers:
                base += ["-a", f"base_url={servers[name].origin}"]
                for key, value in REPLICA_SETTINGS.items():
                    base += ["-s", f"{key}={value}"]
            print(f"crawling {name}{' (replica ' + servers[name].origin + ')' if name in servers else ''}"
                  f"{f' with {args.workers} workers' if args.workers > 1 else ''} …", flush=True)
            if args.workers > 1:
                from newscrawler.scrapy_ext.distributed import clear_frontier

                clear_frontier(redis_url, [name])
                workers = [subprocess.Popen([*base, "-a", f"crawl_id={name}-{batch}-w{n}"], cwd=PROJECT_DIR, env=env)
                           for n in range(1, args.workers + 1)]
                failed += sum(w.wait() != 0 for w in workers)
            else:
                failed += subprocess.call([*base, "-a", f"crawl_id={name}-{batch}"], cwd=PROJECT_DIR, env=env) != 0
    finally:
        for server in servers.values():
            server.stop()
    store = ArticleStore.open(uri, settings.get("MONGO_DATABASE"))
    suffixes = [f"-w{n}" for n in range(1, args.workers + 1)] if args.workers > 1 else [""]
    rows = [r for name in names for suffix in suffixes if (r := store.runs.find_one({"_id": f"{name}-{batch}{suffix}"}))]
    print()
    print(format_table(rows))
    total = store.articles.count_documents({})
    print(f"\n{total} articles in {settings.get('MONGO_DATABASE')} at {redact(uri)}")
    missing = set(names) - {r["outlet"] for r in rows}
    if failed:
        print(f"{failed} crawl process(es) failed", file=sys.stderr)
    return 1 if failed or missing else 0


def register(sub: Any) -> None:
    parser = sub.add_parser("crawl", help="run outlet spiders one after another and print a summary")
    parser.add_argument("outlets", nargs="*", help="outlet names (default: all)")
    parser.add_argument("--replicas", metavar="DIR", help="crawl the local replicas under DIR instead of the real sites")
    parser.add_argument("--workers", type=int, default=1,
                       help="worker processes per outlet sharing a Redis frontier (needs NEWSCRAWLER_REDIS_URL)")
    parser.set_defaults(func=run)

"""`newscrawler crawl [OUTLET …] [--replicas DIR] [-a NAME=VALUE] [-s NAME=VALUE]`: spiders one after
another, a row per outlet as it ends (with a bar on a terminal), then a summary table."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from contextlib import ExitStack
from datetime import UTC, datetime
from typing import Any

from newscrawler.cli.common import PROJECT_DIR, CliError, known_outlets, project_settings, replica_roots
from newscrawler.replica import REPLICA_SETTINGS
from newscrawler.scrapy_ext.redact import redact

# Spider arguments the command sets itself: the run record of each crawl is found by its crawl_id.
_RESERVED_ARGS = {"crawl_id"}


def format_table(rows: list[dict[str, Any]]) -> str:
    from newscrawler.progress import COLUMNS, summary_cells
    from newscrawler.tables import render_table

    return render_table(COLUMNS, [summary_cells(r) for r in rows])




def passthrough(spider_args: list[str], settings: list[str]) -> list[str]:
    """`-a NAME=VALUE` / `-s NAME=VALUE` for every `scrapy crawl`, checked here rather than failing
    in each crawl process."""
    out: list[str] = []
    for flag, values in (("-a", spider_args), ("-s", settings)):
        for value in values:
            name, sep, _ = value.partition("=")
            if not sep or not name.strip():
                raise CliError(f"{flag} {value!r}: expected NAME=VALUE")
            if flag == "-a" and name.strip() in _RESERVED_ARGS:
                raise CliError(f"-a {name.strip()} is set per crawl by this command")
            out += [flag, value]
    return out




def replica_args(origin: str) -> list[str]:
    out = ["-a", f"base_url={origin}"]
    for key, value in REPLICA_SETTINGS.items():
        out += ["-s", f"{key}={value}"]
    return out


def add_passthrough_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-a", dest="spider_arg", action="append", default=[], metavar="NAME=VALUE",
                        help="spider argument for every crawl, as in scrapy crawl (repeatable)")
    parser.add_argument("-s", dest="set", action="append", default=[], metavar="NAME=VALUE",
                        help="Scrapy setting for every crawl, as in scrapy crawl (repeatable)")


def run(args: argparse.Namespace) -> int:
    from newscrawler.cli.db import database_uri
    from newscrawler.progress import Progress
    from newscrawler.replica import ReplicaServer

    # Every misuse is refused before anything starts.
    names = known_outlets(args.outlets)
    passed = passthrough(args.spider_arg, args.set)
    if args.workers < 1:
        raise CliError("--workers must be at least 1")
    settings = project_settings()
    redis_url = settings.get("NEWSCRAWLER_REDIS_URL")
    if args.workers > 1 and not redis_url:
        raise CliError("--workers needs NEWSCRAWLER_REDIS_URL (the shared frontier)")
    roots = replica_roots(args.replicas, names) if args.replicas else {}

    uri = database_uri(settings)  # starts the embedded server once, shared by every crawl
    env = {**os.environ, "MONGO_URI": uri}
    batch = f"{datetime.now(UTC):%Y%m%dT%H%M%S}"
    suffixes = [f"-w{n}" for n in range(1, args.workers + 1)] if args.workers > 1 else [""]
    servers: dict[str, ReplicaServer] = {}
    rows: list[dict[str, Any]] = []
    failed = missing = 0
    try:
        with Progress() as progress:
            progress.begin(len(names))
            for name in names:
                base = [sys.executable, "-m", "scrapy", "crawl", name]
                if name in roots:
                    servers[name] = ReplicaServer(roots[name]).start()
                    base += replica_args(servers[name].origin)
                base += passed  # after the replica's: an explicit -s/-a wins
                progress.started(name, (f" (replica {servers[name].origin})" if name in servers else "")
                                 + (f" with {args.workers} workers" if args.workers > 1 else ""))
                if args.workers > 1:
                    from newscrawler.scrapy_ext.distributed import clear_frontier

                    clear_frontier(redis_url, [name])
                codes = run_processes([[*base, "-a", f"crawl_id={name}-{batch}{s}"] for s in suffixes], env, progress)
                failed += sum(code != 0 for code in codes)
                records, problem = read_records(uri, settings.get("MONGO_DATABASE"),
                                                [f"{name}-{batch}{s}" for s in suffixes])
                missing += len(suffixes) - len(records)
                if problem is None and len(records) < len(suffixes):
                    problem = f"no run record (exit status {', '.join(map(str, codes))})"
                progress.finished(name, records, problem)
                rows += records
                if name in servers:
                    servers.pop(name).stop()
    finally:
        for server in servers.values():
            server.stop()
    print()
    print(format_table(rows))
    print(f"\n{count_articles(uri, settings.get('MONGO_DATABASE'))} in {settings.get('MONGO_DATABASE')} "
          f"at {redact(uri)}")
    if failed:
        print(f"{failed} crawl process(es) failed", file=sys.stderr)
    return 1 if failed or missing else 0


def run_processes(commands: list[list[str]], env: dict[str, str], progress: Any) -> list[int]:
    """Run the crawl processes (one, or the workers of one outlet) together; their exit statuses.
    On a terminal their output is read and printed above the bar; otherwise they write directly."""
    pipe = subprocess.PIPE if progress.live else None
    procs = [subprocess.Popen(command, cwd=PROJECT_DIR, env=env, stdout=pipe,
                              stderr=subprocess.STDOUT if pipe else None, text=True) for command in commands]
    with ExitStack() as forwarding:
        for proc in procs:  # every pipe read at once: a worker never waits on a full pipe
            forwarding.enter_context(progress.forwarding(proc.stdout))
        return [proc.wait() for proc in procs]


def read_records(uri: str, database: str, ids: list[str]) -> tuple[list[dict[str, Any]], str | None]:
    """The run records `ids` (those that exist), or the reason they could not be read."""
    from pymongo.errors import PyMongoError

    from newscrawler.store import ArticleStore

    try:
        store = ArticleStore.open(uri, database, serverSelectionTimeoutMS=10_000)
        try:
            return [r for i in ids if (r := store.runs.find_one({"_id": i}))], None
        finally:
            store.db.client.close()
    except PyMongoError as exc:
        return [], f"run record not read ({redact(str(exc)).splitlines()[0][:200]})"


def count_articles(uri: str, database: str) -> str:
    from pymongo.errors import PyMongoError

    from newscrawler.store import ArticleStore

    try:
        store = ArticleStore.open(uri, database, serverSelectionTimeoutMS=10_000)
        try:
            return f"{store.articles.count_documents({})} articles"
        finally:
            store.db.client.close()
    except PyMongoError as exc:
        return f"? articles (not counted: {redact(str(exc)).splitlines()[0][:200]})"


def register(sub: Any) -> None:
    parser = sub.add_parser("crawl", help="run outlet spiders one after another and print a summary")
    parser.add_argument("outlets", nargs="*", help="outlet names (default: all)")
    parser.add_argument("--replicas", metavar="DIR", help="crawl the local replicas under DIR instead of the real sites")
    parser.add_argument("--workers", type=int, default=1,
                        help="worker processes per outlet sharing a Redis frontier (needs NEWSCRAWLER_REDIS_URL)")
    add_passthrough_options(parser)
    parser.set_defaults(func=run)

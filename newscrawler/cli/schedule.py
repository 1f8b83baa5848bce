"""`newscrawler schedule --every 30m [OUTLET …]`: crawls on an interval in a long-lived process; a row
per outlet as its crawl ends (with a bar per round on a terminal)."""

from __future__ import annotations

import argparse
import os
from typing import Any

from newscrawler.cli.common import CliError, known_outlets, project_settings, replica_roots
from newscrawler.cli.crawl import add_passthrough_options, passthrough, replica_args
from newscrawler.scrapy_ext.redact import install_log_filter


def run(args: argparse.Namespace) -> int:
    import logging

    from newscrawler.cli.db import database_uri
    from newscrawler.progress import Progress
    from newscrawler.replica import ReplicaServer
    from newscrawler.scheduler import Scheduler, parse_interval
    from newscrawler.store import ArticleStore

    # Every misuse is refused before anything starts.
    names = known_outlets(args.outlets)
    passed = passthrough(args.spider_arg, args.set)
    try:
        every = parse_interval(args.every)
    except ValueError as exc:
        raise CliError(f"--every: {exc}") from None
    if args.rounds is not None and args.rounds < 1:
        raise CliError("--rounds must be at least 1")
    roots = replica_roots(args.replicas, names) if args.replicas else {}

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    install_log_filter()
    settings = project_settings()
    uri = database_uri(settings)
    servers = {n: ReplicaServer(root, delay=args.replica_delay).start() for n, root in roots.items()}

    def crawl_args(outlet: str) -> list[str]:
        # The replica's first: an explicit -a/-s wins.
        return (replica_args(servers[outlet].origin) if outlet in servers else []) + passed

    try:
        with Progress() as progress:
            scheduler = Scheduler(ArticleStore.open(uri, settings.get("MONGO_DATABASE")), names, every, crawl_args,
                                  max_rounds=args.rounds, env={**os.environ, "MONGO_URI": uri}, progress=progress)
            scheduler.install_signal_handlers()
            return scheduler.run()
    finally:
        for server in servers.values():
            server.stop()


def register(sub: Any) -> None:
    parser = sub.add_parser("schedule", help="crawl outlets on an interval in a long-lived process")
    parser.add_argument("outlets", nargs="*", help="outlet names (default: all)")
    parser.add_argument("--every", required=True, help="interval: 30m, 2h, 45s …")
    parser.add_argument("--rounds", type=int, help="stop after N rounds (default: run until SIGTERM)")
    parser.add_argument("--replicas", metavar="DIR", help="crawl the local replicas under DIR")
    parser.add_argument("--replica-delay", type=float, default=0.0, help="seconds per replica response (tests)")
    add_passthrough_options(parser)
    parser.set_defaults(func=run)

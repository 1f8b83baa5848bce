"""`newscrawler schedule --every 30m [OUTLET …]`: crawls on an interval in a long-lived process."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from newscrawler.cli.common import project_settings
from newscrawler.replica import REPLICA_SETTINGS
from newscrawler.scrapy_ext.redact import install_log_filter


def run(args: argparse.Namespace) -> int:
    import logging

    from newscrawler.outlets import all_outlets
    from newscrawler.replica import ReplicaServer
    from newscrawler.scheduler import Scheduler, parse_interval
    from newscrawler.scrapy_ext.connection import resolve_mongo_uri
    from newscrawler.store import ArticleStore

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    install_log_filter()
    settings = project_settings()
    names = args.outlets or list(all_outlets())
    uri = resolve_mongo_uri(settings)
    servers = {n: ReplicaServer(Path(args.replicas) / n, delay=args.replica_delay).start()
               for n in names} if args.replicas else {}

    passed = [arg for value in args.spider_arg for arg in ("-a", value)] + [
        arg for value in args.set for arg in ("-s", value)]

    def crawl_args(outlet: str) -> list[str]:
        if outlet not in servers:
            return passed
        extra = ["-a", f"base_url={servers[outlet].origin}"]
        for key, value in REPLICA_SETTINGS.items():
            extra += ["-s", f"{key}={value}"]
        return extra + passed

    scheduler = Scheduler(ArticleStore.open(uri, settings.get("MONGO_DATABASE")), names, parse_interval(args.every),
                          crawl_args, max_rounds=args.rounds, env={**os.environ, "MONGO_URI": uri})
    scheduler.install_signal_handlers()
    try:
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
    parser.add_argument("-a", dest="spider_arg", action="append", default=[], metavar="NAME=VALUE",
                          help="spider argument for every crawl, as in scrapy crawl (repeatable)")
    parser.add_argument("-s", dest="set", action="append", default=[], metavar="NAME=VALUE",
                          help="Scrapy setting for every crawl, as in scrapy crawl (repeatable)")
    parser.set_defaults(func=run)

"""`newscrawler check [OUTLET …] [--replicas DIR]`: `scrapy check`, the outlets' spider contracts
(each fetches its sample article and checks the article extracted), against the real sites or,
with --replicas, against local replicas (served here, passed as OUTLET_BASE_URLS)."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from typing import Any

from newscrawler.cli.common import PROJECT_DIR, known_outlets, replica_roots


def run(args: argparse.Namespace) -> int:
    from newscrawler.replica import REPLICA_SETTINGS, ReplicaServer

    names = known_outlets(args.outlets)
    # One page per outlet: extraction on the reactor thread, no worker processes to start.
    command = [sys.executable, "-m", "scrapy", "check", *names, "-s", "EXTRACT_WORKERS=0"]
    if args.verbose:
        command.append("-v")
    servers: dict[str, ReplicaServer] = {}
    try:
        if args.replicas:
            servers = {name: ReplicaServer(root).start() for name, root in replica_roots(args.replicas, names).items()}
            origins = {name: server.origin for name, server in servers.items()}
            command += ["-s", f"OUTLET_BASE_URLS={json.dumps(origins)}"]
            command += [arg for key, value in REPLICA_SETTINGS.items() if key != "LOG_LEVEL"
                        for arg in ("-s", f"{key}={value}")]
        return subprocess.call(command, cwd=PROJECT_DIR)
    finally:
        for server in servers.values():
            server.stop()


def register(sub: Any) -> None:
    parser = sub.add_parser("check", help="scrapy check: fetch each outlet's sample article, check the extraction",
                            description=__doc__)
    parser.add_argument("outlets", nargs="*", help="outlet names (default: all)")
    parser.add_argument("--replicas", metavar="DIR", help="check the local replicas under DIR instead of the real sites")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every contract")
    parser.set_defaults(func=run)

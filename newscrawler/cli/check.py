"""`newscrawler check [OUTLET …] [--replicas DIR]`: `scrapy check`, the outlets' spider contracts
(each fetches its sample article and checks the article extracted), against the real sites or,
with --replicas, against local replicas (served here, passed as OUTLET_BASE_URLS)."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from newscrawler.cli.common import PROJECT_DIR, CliError


def run(args: argparse.Namespace) -> int:
    from newscrawler.outlets import all_outlets
    from newscrawler.replica import REPLICA_SETTINGS, ReplicaServer

    known = all_outlets()
    unknown = [name for name in args.outlets if name not in known]
    if unknown:
        raise CliError(f"unknown outlet(s) {', '.join(unknown)}; known: {', '.join(known)}")
    names = args.outlets or list(known)
    # One page per outlet: extraction on the reactor thread, no worker processes to start.
    command = [sys.executable, "-m", "scrapy", "check", *names, "-s", "EXTRACT_WORKERS=0"]
    if args.verbose:
        command.append("-v")
    servers: dict[str, ReplicaServer] = {}
    try:
        if args.replicas:
            for name in names:
                root = Path(args.replicas) / name
                if not (root / "site").is_dir():
                    raise CliError(f"no replica of {name} at {root}")
                servers[name] = ReplicaServer(root).start()
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

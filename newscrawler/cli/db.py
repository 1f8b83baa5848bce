"""`newscrawler db start|stop|status`: the embedded database (used when MONGO_URI is unset)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from newscrawler.cli.common import project_settings
from newscrawler.scrapy_ext.redact import redact


def embedded_server(project_settings: Any) -> Any:
    from newscrawler.store.embedded import EmbeddedServer

    return EmbeddedServer(Path(project_settings.get("NEWSCRAWLER_DATA_DIR")),
                          project_settings.getint("EMBEDDED_DB_PORT"))


def run(args: argparse.Namespace) -> int:
    server = embedded_server(project_settings())
    if args.action == "start":
        print(f"embedded database running at {redact(server.start())} (data: {server.data_dir})")
    elif args.action == "stop":
        print("stopped" if server.stop() else "not running")
    else:
        running = server.running()
        print(f"{'running' if running else 'stopped'}: {redact(server.uri)} pid={server.pid()} data={server.data_dir}")
        return 0 if running else 3
    return 0


def register(sub: Any) -> None:
    parser = sub.add_parser("db", help="manage the embedded database (used when MONGO_URI is unset)")
    parser.add_argument("action", choices=["start", "stop", "status"])
    parser.set_defaults(func=run)

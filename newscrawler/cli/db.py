"""`newscrawler db start|stop|status`: the embedded database (used when MONGO_URI is unset).

The server is the one of NEWSCRAWLER_DATA_DIR, on whatever port it listens: `status` and `stop`
find it by its data dir, so they work whatever EMBEDDED_DB_PORT says now."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from newscrawler.cli.common import CliError, project_settings
from newscrawler.scrapy_ext.redact import redact


def embedded_server(project_settings: Any) -> Any:
    from newscrawler.store.embedded import EmbeddedServer

    return EmbeddedServer(Path(project_settings.get("NEWSCRAWLER_DATA_DIR")),
                          project_settings.getint("EMBEDDED_DB_PORT"))


def database_uri(settings: Any) -> str:
    """MONGO_URI, or the embedded server's (started on demand); its failures as one-line CliErrors."""
    from newscrawler.scrapy_ext.connection import resolve_mongo_uri
    from newscrawler.store.embedded import EmbeddedServerError

    try:
        return str(resolve_mongo_uri(settings))
    except EmbeddedServerError as exc:
        raise CliError(str(exc), exit_code=1) from None


def run(args: argparse.Namespace) -> int:
    import logging

    from newscrawler.store.embedded import EmbeddedServerError

    logging.getLogger().addHandler(logging.NullHandler())  # the notice is printed below, once
    server = embedded_server(project_settings())
    try:
        if args.action == "start":
            uri = server.start()
            if server.notice:
                print(f"note: {server.notice}", file=sys.stderr)
            print(f"embedded database running at {redact(uri)} (data: {server.data_dir})")
        elif args.action == "stop":
            print("stopped" if server.stop() else "not running")
        else:
            process = server.process()
            if process is not None and server.ping(uri=process.uri):
                print(f"running: {redact(process.uri)} pid={process.pid} data={server.data_dir}")
                return 0
            state = f"not answering: {process.uri} pid={process.pid}" if process else f"stopped: {server.uri} pid=None"
            print(f"{state} data={server.data_dir}")
            return 3
    except EmbeddedServerError as exc:
        raise CliError(str(exc), exit_code=1) from None
    return 0


def register(sub: Any) -> None:
    parser = sub.add_parser("db", help="manage the embedded database (used when MONGO_URI is unset)")
    parser.add_argument("action", choices=["start", "stop", "status"])
    parser.set_defaults(func=run)

"""`newscrawler` command line. One module per command in this package, each with `register(sub)`;
run `newscrawler --help` for the list."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from newscrawler.cli.common import CliError
from newscrawler.scrapy_ext.redact import redact
from newscrawler.store.embedded import EmbeddedServerError

_NOT_COMMANDS = {"common", "__main__"}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newscrawler", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name not in _NOT_COMMANDS and not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except CliError as exc:
        print(f"newscrawler {args.command}: {redact(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except EmbeddedServerError as exc:  # the embedded database cannot start: its own message says why
        print(f"newscrawler {args.command}: embedded database: {redact(str(exc))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"newscrawler {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception:  # an unexpected failure: the traceback, with passwords redacted
        import traceback

        print(redact(traceback.format_exc()), file=sys.stderr, end="")
        return 1

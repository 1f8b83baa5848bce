"""`newscrawler outlets [--markdown | --update-readme]`: the outlets covered, from the registry.

One row per registered outlet: name, display name, home, editions, discovery (feeds, sitemaps,
listings), which pages need JavaScript, aggregator or not, and whether a replica is present.
`--update-readme` rewrites README.md between `<!-- outlets:begin -->` and `<!-- outlets:end -->`
and nothing else (tests/test_new_outlet.py fails when the README's table is stale).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from newscrawler.cli.common import PROJECT_DIR, CliError
from newscrawler.outlets import Outlet

BEGIN, END = "<!-- outlets:begin -->", "<!-- outlets:end -->"
HEADERS = ["outlet", "name", "home", "editions", "discovery", "needs JS", "aggregator", "replica"]


def _editions(outlet: Outlet) -> str:
    others = [e for e in outlet.editions if e not in outlet.default_editions]
    default = ", ".join(outlet.default_editions)
    return f"{default} (+ {', '.join(others)})" if others else default


def _discovery(outlet: Outlet) -> str:
    kinds = [(len(paths), kind) for kind, paths in (("feed", outlet.feeds), ("sitemap", outlet.sitemaps),
                                                    ("listing", outlet.listings)) if paths]
    return ", ".join(kind if n == 1 else f"{n} {kind}s" for n, kind in kinds) or "none"


def _needs_js(outlet: Outlet) -> str:
    pages = [kind for kind, needed in (("listing", outlet.listing_needs_js), ("article", outlet.article_needs_js))
             if needed]
    return ", ".join(pages) or "no"


def outlet_rows(outlets: dict[str, Outlet], replicas: Path) -> list[list[str]]:
    return [[name, o.display_name, o.home, _editions(o), _discovery(o), _needs_js(o),
             "yes" if o.is_aggregator else "no", "yes" if (replicas / name / "site").is_dir() else "no"]
            for name, o in sorted(outlets.items())]


def markdown_table(rows: list[list[str]]) -> str:
    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    return "\n".join([line(HEADERS), line(["---"] * len(HEADERS)), *(line(r) for r in rows)])


def with_table(readme: str, table: str) -> str:
    """README text with the text between the markers replaced by the table."""
    start, end = readme.find(BEGIN), readme.find(END)
    if start < 0 or end < start:
        raise CliError(f"README has no {BEGIN} … {END} section to update")
    return readme[: start + len(BEGIN)] + "\n" + table + "\n" + readme[end:]


def table_in(readme: str) -> str:
    """The text between the markers, as with_table writes it."""
    start, end = readme.find(BEGIN), readme.find(END)
    if start < 0 or end < start:
        raise CliError(f"README has no {BEGIN} … {END} section")
    return readme[start + len(BEGIN): end].strip("\n")


def run(args: argparse.Namespace) -> int:
    from newscrawler.outlets import all_outlets
    from newscrawler.tables import render_table

    rows = outlet_rows(all_outlets(), Path(args.replicas))
    if args.update_readme:
        readme = Path(args.readme)
        text = readme.read_text("utf-8")
        updated = with_table(text, markdown_table(rows))
        if updated != text:
            readme.write_text(updated, "utf-8")
        print(f"{readme}: {'updated' if updated != text else 'already up to date'} ({len(rows)} outlets)")
    elif args.markdown:
        print(markdown_table(rows))
    else:
        print(render_table(HEADERS, rows))
    return 0


def register(sub: Any) -> None:
    parser = sub.add_parser("outlets", help="the outlets covered (from the registry); --markdown, --update-readme",
                            description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    output.add_argument("--update-readme", action="store_true",
                        help="rewrite the table between the outlets markers in README.md")
    parser.add_argument("--readme", default=str(PROJECT_DIR / "README.md"), help=argparse.SUPPRESS)
    parser.add_argument("--replicas", default=str(PROJECT_DIR / "tests" / "replicas"),
                        help="where replicas are looked for (default tests/replicas)")
    parser.set_defaults(func=run)

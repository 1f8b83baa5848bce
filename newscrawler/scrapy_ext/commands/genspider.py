"""`scrapy genspider` in this project: spiders are not files here (spiders/outlets.py makes one per
outlet declaration), so a generated spider would be unrelated to the crawler. It points to the
scaffold that writes an outlet declaration and its replica instead."""

from __future__ import annotations

import argparse
import sys

from scrapy.commands.genspider import Command as ScrapyGenspiderCommand


class Command(ScrapyGenspiderCommand):
    def short_desc(self) -> str:
        return "Refused here: add an outlet with `newscrawler new-outlet NAME --home URL`"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        name = args[0] if args else "NAME"
        home = args[1] if len(args) > 1 else "https://example.com"
        if home and "://" not in home:
            home = f"https://{home}"
        print(f"scrapy genspider: spiders are made from outlet declarations in this project; run\n"
              f"  newscrawler new-outlet {name} --home {home}\n"
              f"(README: Adding an outlet)", file=sys.stderr)
        self.exitcode = 2

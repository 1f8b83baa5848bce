"""`scrapy crawl` that exits non-zero when the crawl failed (Scrapy's own exits 0 whatever the
finish reason): a refused database write, a failed monitor, or items that failed a stage (kept in
the quarantine) must be visible to cron/CI."""

from __future__ import annotations

import argparse

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

from newscrawler.scrapy_ext.monitoring import FAILED_STAT as FAILURE_STAT


class Command(ScrapyCrawlCommand):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give exactly one spider name")
        assert self.crawler_process
        crawler = self._create_crawler(args[0])
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        if (self.crawler_process.bootstrap_failed or crawler.stats.get_value(FAILURE_STAT)
                or crawler.stats.get_value("items/failed")):
            self.exitcode = 1  # items quarantined: not a clean run, although nothing was lost

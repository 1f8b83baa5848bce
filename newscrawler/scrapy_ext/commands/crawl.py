"""`scrapy crawl` that exits non-zero when the crawl failed (Scrapy's own exits 0 whatever the
finish reason): a refused database write, a failed monitor, or items that failed a stage (kept in
the quarantine) must be visible to cron/CI.

It is also the only command that writes `crawl_runs` records (RUN_RECORDS_SETTING): fetch, parse,
shell, bench … run spiders but are not crawls. A crawl that fails before its spider exists (a bad
spider argument) still gets a failed record, written here.

Scrapyd runs `scrapy crawl <spider> -a _job=<job id>` and lists every job as "finished", whatever its
exit status (scrapyd 1.6 launcher): the job id becomes the run's crawl_id when none is given, so
`newscrawler status` shows the failure under the id Scrapyd reports.
"""

from __future__ import annotations

import argparse
import logging
from datetime import UTC, datetime
from typing import Any

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError
from twisted.internet.defer import Deferred

from newscrawler.scrapy_ext.monitoring import FAILED_STAT as FAILURE_STAT
from newscrawler.scrapy_ext.run_record import RUN_RECORDS_SETTING, note_start_failure, record_failed_start

log = logging.getLogger(__name__)


def spider_arguments(spargs: dict[str, Any]) -> dict[str, Any]:
    """`-a` arguments as given, with Scrapyd's `_job` as the crawl_id when none is given."""
    if spargs.get("_job") and not spargs.get("crawl_id"):
        return {**spargs, "crawl_id": spargs["_job"]}
    return dict(spargs)


class Command(ScrapyCrawlCommand):
    # Command priority, below the project's: the settings module must not set it (it would turn run
    # records on for fetch, parse …); `-s NEWSCRAWLER_RUN_RECORDS=False` turns them off for one crawl.
    default_settings = {**ScrapyCrawlCommand.default_settings, RUN_RECORDS_SETTING: True}

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give exactly one spider name")
        assert self.crawler_process
        crawler = self._create_crawler(args[0])
        spargs = spider_arguments(opts.spargs)
        started_at = datetime.now(UTC)
        errors: list[BaseException] = []

        def failed(error: BaseException) -> None:
            # Retrieved here, so asyncio/Twisted do not print it again as "never retrieved".
            log.error("the crawl failed: %s: %s", type(error).__name__, error, exc_info=error)
            errors.append(error)
            note_start_failure(crawler, error)

        done = self.crawler_process.crawl(crawler, **spargs)
        if isinstance(done, Deferred):  # CrawlerProcess (FORCE_CRAWLER_PROCESS or another reactor)
            done.addErrback(lambda failure: failed(failure.value))
        else:  # AsyncCrawlerProcess: an asyncio task
            done.add_done_callback(
                lambda task: None if task.cancelled() or task.exception() is None else failed(task.exception()))
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed or errors:
            record_failed_start(crawler, spargs, errors[0] if errors else None, started_at)
        if (self.crawler_process.bootstrap_failed or errors or crawler.stats.get_value(FAILURE_STAT)
                or crawler.stats.get_value("items/failed")):
            self.exitcode = 1  # items quarantined: not a clean run, although nothing was lost


"""Spidermon: article validation against newscrawler/schemas/article.json and close-spider monitors.

The schema is package data read with importlib.resources (it is inside the egg when Scrapyd runs
the crawl); SPIDERMON_VALIDATION_SCHEMAS names ARTICLE_SCHEMA by its object path.

Monitors (thresholds are settings): articles found per run (stored, updated, unchanged or
skipped as already stored) >= SPIDERMON_MIN_ARTICLES, errors per request <= SPIDERMON_MAX_ERROR_RATE,
the expected finish reason, no item validation errors. Spidermon itself only logs a failure; the
MarkRunFailed action records it in the stats, so the run record shows it and `scrapy crawl` exits 1.
"""

from __future__ import annotations

import json
from dataclasses import fields, is_dataclass
from datetime import datetime
from importlib import resources
from typing import Any

from spidermon import Monitor, MonitorSuite, monitors
from spidermon.contrib.scrapy.monitors import FinishReasonMonitor, ItemValidationMonitor
from spidermon.contrib.scrapy.pipelines import ItemValidationPipeline
from spidermon.core.actions import Action

ARTICLE_SCHEMA: dict[str, Any] = json.loads(
    (resources.files("newscrawler") / "schemas" / "article.json").read_text("utf-8"))
FAILED_STAT = "newscrawler/failed"


def json_view(item: Any) -> dict[str, Any]:
    # A shallow view: validation only reads it (asdict's deep copy cost more than the validation).
    data = ({f.name: getattr(item, f.name) for f in fields(item)} if is_dataclass(item) and not isinstance(item, type)
            else dict(item))
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in data.items()}


class ArticleValidationPipeline(ItemValidationPipeline):
    """Spidermon's validation pipeline on the article's JSON view (dates as ISO strings)."""

    def process_item(self, item: Any, spider: Any = None) -> Any:
        super().process_item(json_view(item), spider)
        return item


def _stat(monitor: Monitor, key: str) -> int:
    return int(monitor.data.stats.get(key, 0) or 0)


@monitors.name("Outlet yield")
class ArticleYieldMonitor(Monitor):
    @monitors.name("Articles found >= SPIDERMON_MIN_ARTICLES")
    def test_articles_found(self) -> None:
        minimum = self.data.crawler.settings.getint("SPIDERMON_MIN_ARTICLES", 1)
        found = sum(_stat(self, f"articles/{k}") for k in ("new", "updated", "unchanged")) + sum(
            _stat(self, f"incremental/{k}") for k in ("skipped_stored", "article_not_modified"))
        # Discovery pages that answered 304 mean "nothing new": not a broken outlet.
        unchanged_pages = sum(_stat(self, f"incremental/{k}_not_modified") for k in ("feed", "sitemap", "listing"))
        if found == 0 and unchanged_pages:
            return
        self.assertGreaterEqual(found, minimum, f"only {found} articles found (layout change or outage?)")


@monitors.name("Errors")
class ErrorRateMonitor(Monitor):
    @monitors.name("Errors per request <= SPIDERMON_MAX_ERROR_RATE")
    def test_error_rate(self) -> None:
        limit = self.data.crawler.settings.getfloat("SPIDERMON_MAX_ERROR_RATE", 0.5)
        requests = max(1, _stat(self, "downloader/request_count"))
        errors = sum(int(v) for k, v in self.data.stats.items() if k.startswith("errors/"))
        self.assertLessEqual(errors / requests, limit, f"{errors} errors in {requests} requests")


class MarkRunFailed(Action):
    def run_action(self) -> None:
        failed = sorted({r.monitor.name for r in self.result.monitors_failed_results})
        stats = self.data.crawler.stats
        stats.set_value("newscrawler/failed_monitors", failed)
        if not stats.get_value(FAILED_STAT):
            stats.set_value(FAILED_STAT, "monitors: " + ", ".join(failed))


class CloseSpiderMonitors(MonitorSuite):
    monitors = [ArticleYieldMonitor, ErrorRateMonitor, FinishReasonMonitor, ItemValidationMonitor]
    monitors_failed_actions = [MarkRunFailed]

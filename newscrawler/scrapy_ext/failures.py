"""Per-item failures in a crawl: counted, logged with the URL, kept in the quarantine.

Every stage (extract, normalise, validate, dedup, store) calls `record_failure` instead of letting
an exception escape: the item is counted under `errors/<stage>/<kind>`, logged with its URL, and
written with its raw page or its fields to QUARANTINE_DIR/<crawl_id>.jsonl, from which
`newscrawler replay` re-processes it. The run record counts `items_failed`, and `newscrawler status`
flags the run (ITEM-FAILURES), so a lost article never looks like success.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from newscrawler.article import Article
from newscrawler.quarantine import Quarantine, failure_line

log = logging.getLogger(__name__)


def quarantine_for(crawler: Any) -> Quarantine:
    quarantine = getattr(crawler, "_newscrawler_quarantine", None)
    if quarantine is None:
        spider = getattr(crawler, "spider", None)
        run_id = getattr(spider, "crawl_id", None) or getattr(spider, "name", None) or "crawl"
        quarantine = Quarantine(crawler.settings.get("QUARANTINE_DIR"), run_id)
        crawler._newscrawler_quarantine = quarantine
    return quarantine


def record_failure(crawler: Any, stage: str, error: BaseException | str, url: str, outlet: str | None = None,
                   html: bytes | None = None, content_type: str | None = None, article: Article | None = None,
                   fetched_at: datetime | None = None, verdict: bool = False) -> None:
    """`verdict`: the stage judged the item (a page with no article text), it did not fail on it:
    kept and counted as quarantined, but not as a failed item."""
    kind = error if isinstance(error, str) else type(error).__name__
    crawler.stats.inc_value("items/quarantined")
    if not verdict:
        crawler.stats.inc_value(f"errors/{stage}/{kind}")
        crawler.stats.inc_value("items/failed")
    path = quarantine_for(crawler).add(failure_line(stage, error, url, outlet, html, content_type, article, fetched_at))
    log.log(logging.WARNING if verdict else logging.ERROR, "%s failed at %s (%s: %s); kept in %s for "
            "`newscrawler replay`", url, stage, kind, error, path,
            exc_info=error if isinstance(error, BaseException) and not verdict else None)

"""`newscrawler status`: the last run per outlet, and alarms for outlets that silently broke.

Flags: FAILED (finish reason or monitors), NO-YIELD (the run found no article while earlier runs
did: a layout or URL change, or a block), WARNINGS (extraction warnings per article page jumped
against the outlet's earlier runs: the article template changed), ERRORS (more errors per page than SPIDERMON_MAX_ERROR_RATE).
"""

from __future__ import annotations

from statistics import median
from typing import Any

from newscrawler.store import ArticleStore
from newscrawler.tables import render_table

HISTORY = 10


def found(run: dict[str, Any]) -> int:
    articles = run.get("articles", {})
    return int(sum(articles.get(k, 0) for k in ("new", "updated", "unchanged")) + run.get("skipped_stored", 0))


def warning_rate(run: dict[str, Any]) -> float:
    warnings = sum(run.get("extraction_warnings", {}).values()) + run.get("errors", {}).get("extraction_failed", 0)
    return warnings / max(1, run.get("article_pages", 0))


def flags(last: dict[str, Any], earlier: list[dict[str, Any]], max_error_rate: float = 0.5) -> list[str]:
    out = []
    if last.get("failed") or last.get("finish_reason") != "finished":
        out.append("FAILED")
    quiet = last.get("discovery_not_modified", 0) > 0  # the site answered "nothing changed"
    if found(last) == 0 and not quiet and (not earlier or any(found(r) > 0 for r in earlier)):
        out.append("NO-YIELD")
    if earlier and last.get("article_pages", 0) >= 3:
        before = median(warning_rate(r) for r in earlier)
        if warning_rate(last) >= 0.3 and warning_rate(last) > 2 * before + 0.05:
            out.append("WARNINGS")
    if last.get("error_count", 0) > max_error_rate * max(1, last.get("pages_fetched", 0)):
        out.append("ERRORS")
    return out


def status_rows(store: ArticleStore, outlets: list[str], max_error_rate: float = 0.5) -> list[dict[str, Any]]:
    rows = []
    for outlet in outlets:
        runs = list(store.runs.find({"outlet": outlet}).sort("started_at", -1).limit(HISTORY + 1))
        if not runs:
            rows.append({"outlet": outlet, "flags": ["NEVER-RUN"]})
            continue
        last, earlier = runs[0], runs[1:]
        rows.append({"outlet": outlet, "last": last, "flags": flags(last, earlier, max_error_rate)})
    return rows


def format_status(rows: list[dict[str, Any]]) -> str:
    headers = ["outlet", "last run (UTC)", "finish", "found", "new", "updated", "dup", "errors", "warn/page", "flags"]
    lines = []
    for row in rows:
        last = row.get("last")
        if last is None:
            lines.append([row["outlet"], "-", "-", "-", "-", "-", "-", "-", "-", " ".join(row["flags"])])
            continue
        started = last.get("started_at")
        lines.append([
            row["outlet"], started.strftime("%Y-%m-%d %H:%M") if hasattr(started, "strftime") else str(started),
            str(last.get("failed") or last.get("finish_reason")), str(found(last)),
            str(last.get("articles", {}).get("new", 0)), str(last.get("articles", {}).get("updated", 0)),
            str(last.get("articles", {}).get("duplicate", 0)), str(last.get("error_count", 0)),
            f"{warning_rate(last):.2f}", " ".join(row["flags"]) or "ok",
        ])
    return render_table(headers, lines)

"""`newscrawler status`: the last run per outlet, and alarms for outlets that silently broke.

Each outlet's newest run record is in one of these states:
- running: finish_reason "running" (written when the spider opened) and started less than
  `max_run` ago: flag RUNNING, not an alarm.
- abandoned: still "running" but started more than `max_run` ago: its crawl died without finishing
  its record (SIGKILL, lost machine): flag ABANDONED, an alarm. The rule compares the run's own
  `started_at` with `now` (injectable), never calendar dates.
- stopped: finish_reason "shutdown", a graceful stop by a signal (systemd stop, Ctrl-C): flag
  STOPPED, not an alarm. Monitors that judged the cut-short run ("monitors: …") are not a failure;
  any other failure recorded on it (a refused database write) still flags FAILED.
- ended: any other finish reason.

Alarms judge the newest run that ended (so a broken outlet keeps alarming while its next crawl runs
or after a stop), against earlier ended runs: FAILED (finish reason or monitors), NO-YIELD (the
run found no article while earlier runs did: a layout or URL change, or a block), WARNINGS
(extraction warnings per article page jumped against the outlet's earlier runs: the article
template changed), ERRORS (more errors per page than SPIDERMON_MAX_ERROR_RATE), URL-RULE (the
article URL rule rejected most entries of the outlet's own feed: it changed its URLs),
ITEM-FAILURES (items failed a stage and were quarantined: `newscrawler replay` re-processes them).

`newscrawler status --history` lists each outlet's runs, newest first (`history_rows`, `format_history`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from statistics import median
from typing import Any

from newscrawler.store import ArticleStore
from newscrawler.tables import render_table

HISTORY = 10
# crawl_runs finish reasons beyond Scrapy's own ("finished", …); the one definition, used by the
# run record extension and the scheduler.
RUNNING = "running"  # the crawl has not ended (yet)
SHUTDOWN = "shutdown"  # Scrapy's finish reason for a graceful stop by a signal
CRASHED = "crashed"  # the crawl process ended without finishing its record
DEFAULT_MAX_RUN = timedelta(hours=6)
# Flags that describe a state and are not alarms: `newscrawler status` exits 0 with only these.
INFO_FLAGS = frozenset({"NEVER-RUN", "RUNNING", "STOPPED"})


def found(run: dict[str, Any]) -> int:
    articles = run.get("articles", {})
    return int(sum(articles.get(k, 0) for k in ("new", "updated", "unchanged")) + run.get("skipped_stored", 0))


def warning_rate(run: dict[str, Any]) -> float:
    warnings = sum(run.get("extraction_warnings", {}).values()) + run.get("errors", {}).get("extraction_failed", 0)
    return warnings / max(1, run.get("article_pages", 0))


def run_state(run: dict[str, Any], now: datetime, max_run: timedelta = DEFAULT_MAX_RUN) -> str:
    """'running', 'abandoned', 'stopped' or 'ended' (see the module docstring)."""
    reason = run.get("finish_reason")
    if reason == RUNNING:
        started = run.get("started_at")
        if isinstance(started, datetime) and now - started <= max_run:
            return "running"
        return "abandoned"  # too old, or no readable start: its crawl is gone
    return "stopped" if reason == SHUTDOWN else "ended"


def stop_failure(run: dict[str, Any]) -> str | None:
    """What failed in a stopped run, beyond monitors judging a run that was cut short."""
    failed = run.get("failed")
    return None if not failed or str(failed).startswith("monitors:") else str(failed)


def flags(last: dict[str, Any], earlier: list[dict[str, Any]], max_error_rate: float = 0.5) -> list[str]:
    """Alarms for `last`, an ended run, against `earlier` ended runs (newest first)."""
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
    if last.get("url_rule_mismatch"):
        out.append("URL-RULE")
    if last.get("items_failed"):
        out.append("ITEM-FAILURES")
    return out


def outlet_flags(runs: list[dict[str, Any]], max_error_rate: float = 0.5, now: datetime | None = None,
                 max_run: timedelta = DEFAULT_MAX_RUN) -> list[str]:
    """Flags for one outlet from its run records, newest first."""
    if not runs:
        return ["NEVER-RUN"]
    now = now or datetime.now(UTC)
    states = [run_state(r, now, max_run) for r in runs]
    out = {"running": ["RUNNING"], "abandoned": ["ABANDONED"], "stopped": ["STOPPED"], "ended": []}[states[0]]
    if states[0] == "stopped" and stop_failure(runs[0]):
        out = [*out, "FAILED"]
    ended = [r for r, s in zip(runs, states, strict=True) if s == "ended"]
    if ended:
        out += [f for f in flags(ended[0], ended[1:HISTORY + 1], max_error_rate) if f not in out]
    return out


def status_rows(store: ArticleStore, outlets: list[str], max_error_rate: float = 0.5, now: datetime | None = None,
                max_run: timedelta = DEFAULT_MAX_RUN) -> list[dict[str, Any]]:
    now = now or datetime.now(UTC)
    rows = []
    for outlet in outlets:
        # Newest first; room for runs that did not end among the history the alarms compare with.
        runs = list(store.runs.find({"outlet": outlet}).sort("started_at", -1).limit(2 * HISTORY + 1))
        row: dict[str, Any] = {"outlet": outlet, "flags": outlet_flags(runs, max_error_rate, now, max_run)}
        if runs:
            row["last"] = runs[0]
        rows.append(row)
    return rows


def alarmed(rows: list[dict[str, Any]]) -> bool:
    """True when a row carries an alarm (`newscrawler status` then exits 1)."""
    return any(set(r["flags"]) - INFO_FLAGS for r in rows)


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
            finish_label(last), str(found(last)),
            str(last.get("articles", {}).get("new", 0)), str(last.get("articles", {}).get("updated", 0)),
            str(last.get("articles", {}).get("duplicate", 0)), str(last.get("error_count", 0)),
            f"{warning_rate(last):.2f}", " ".join(row["flags"]) or "ok",
        ])
    return render_table(headers, lines)


def warning_count(run: dict[str, Any]) -> int:
    return int(sum(run.get("extraction_warnings", {}).values()))


def finish_label(run: dict[str, Any]) -> str:
    """How a run ended, as the tables show it: a failure recorded on it, else its finish reason."""
    reason = run.get("finish_reason")
    if reason in (RUNNING, SHUTDOWN):
        return str(stop_failure(run) or reason)
    return str(run.get("failed") or reason)


def duration(run: dict[str, Any]) -> str:
    seconds = run.get("elapsed_s")
    if not isinstance(seconds, (int, float)):
        return "-"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes}m{secs:02d}s" if minutes < 60 else f"{minutes // 60}h{minutes % 60:02d}m"


def history_rows(store: ArticleStore, outlet: str, limit: int = 20) -> list[dict[str, Any]]:
    """The outlet's runs, newest first (at most `limit`)."""
    return list(store.runs.find({"outlet": outlet}).sort("started_at", -1).limit(limit))


def format_history(runs: list[dict[str, Any]]) -> str:
    headers = ["started (UTC)", "duration", "finish", "pages", "new", "updated", "dup", "errors", "warnings",
               "failed monitors"]
    lines = []
    for run in runs:
        started = run.get("started_at")
        articles = run.get("articles", {})
        lines.append([
            started.strftime("%Y-%m-%d %H:%M:%S") if hasattr(started, "strftime") else str(started),
            duration(run), finish_label(run), str(run.get("pages_fetched", 0)),
            *(str(articles.get(k, 0)) for k in ("new", "updated", "duplicate")), str(run.get("error_count", 0)),
            str(warning_count(run)), ", ".join(run.get("failed_monitors") or []) or "-",
        ])
    return render_table(headers, lines)

"""`newscrawler report`: one static HTML page of the crawl history, from the `crawl_runs` records.

Per outlet, one bar chart per metric over the last N UTC days: new articles, errors, duplicates and
extraction warnings, each the sum over the runs that *started* that UTC day (the run records'
`articles.new`, `error_count`, `articles.duplicate` and `extraction_warnings`; the articles collection
is not read, so the page costs one query whatever the archive's size). A day without any run is
drawn as a grey stub, so "no crawl" is not mistaken for "nothing found". Then a table of the latest
run per outlet with its status flags (the same rules as `newscrawler status`).

The page is self-contained: inline CSS and SVG, no script, no network resource. The window ends at
`now` (a parameter: the page for a given moment is the same whatever day it is made).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from html import escape
from typing import Any

from newscrawler.status import DEFAULT_MAX_RUN, INFO_FLAGS, duration, finish_label, status_rows, warning_count
from newscrawler.store import ArticleStore


@dataclass(frozen=True)
class Metric:
    key: str
    title: str
    value: Callable[[dict[str, Any]], int]
    colour: str


METRICS = (
    Metric("new", "new articles / day", lambda r: int((r.get("articles") or {}).get("new", 0)), "#2b6cb0"),
    Metric("errors", "errors / day", lambda r: int(r.get("error_count", 0)), "#c53030"),
    Metric("duplicates", "duplicates / day", lambda r: int((r.get("articles") or {}).get("duplicate", 0)), "#805ad5"),
    Metric("warnings", "extraction warnings / day", warning_count, "#b7791f"),
)
_FIELDS = {"outlet": 1, "started_at": 1, "articles": 1, "error_count": 1, "extraction_warnings": 1}


@dataclass
class OutletSeries:
    """One outlet's per-day sums over the window (index i is `days[i]`)."""

    outlet: str
    display_name: str
    runs: list[int]
    values: dict[str, list[int]] = field(default_factory=dict)


@dataclass
class Report:
    now: datetime
    days: list[date]
    series: list[OutletSeries]
    latest: list[dict[str, Any]]  # status rows: outlet, flags, last


def utc_day(value: datetime) -> date:
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).date()


def build_report(store: ArticleStore, outlets: list[str], now: datetime, days: int = 30,
                 display_names: dict[str, str] | None = None, max_error_rate: float = 0.5,
                 max_run: timedelta = DEFAULT_MAX_RUN) -> Report:
    """Per-day sums for `outlets` over the `days` UTC days ending with `now`'s, and their latest runs."""
    now = now if now.tzinfo else now.replace(tzinfo=UTC)
    last_day = utc_day(now)
    window = [last_day - timedelta(days=days - 1 - i) for i in range(days)]
    since = datetime(window[0].year, window[0].month, window[0].day, tzinfo=UTC)
    index = {day: i for i, day in enumerate(window)}
    series = {name: OutletSeries(name, (display_names or {}).get(name, name), [0] * days,
                                 {m.key: [0] * days for m in METRICS}) for name in outlets}
    # One range query over the window: run records carry real datetimes (written by insert/replace).
    for run in store.runs.find({"started_at": {"$gte": since, "$lte": now}}, _FIELDS):
        target = series.get(run.get("outlet", ""))
        started = run.get("started_at")
        if target is None or not isinstance(started, datetime) or (i := index.get(utc_day(started))) is None:
            continue
        target.runs[i] += 1
        for metric in METRICS:
            target.values[metric.key][i] += metric.value(run)
    latest = status_rows(store, outlets, max_error_rate=max_error_rate, now=now, max_run=max_run)
    return Report(now, window, [series[name] for name in outlets], latest)


# --- HTML ---------------------------------------------------------------------------------------------------------

_W, _H, _TOP, _BOTTOM, _LEFT = 300, 110, 14, 16, 4

_CSS = """
body { font-family: "DejaVu Sans", "Noto Sans Arabic", "Noto Naskh Arabic", Arial, sans-serif; margin: 1.5rem;
       color: #1a202c; background: #fff; }
h1 { margin-bottom: .2rem; } .note { color: #4a5568; max-width: 60rem; }
table { border-collapse: collapse; margin: 1rem 0 2rem; font-size: .9rem; }
th, td { border-bottom: 1px solid #e2e8f0; padding: .3rem .6rem; text-align: start; white-space: nowrap; }
th { background: #f7fafc; } td.num { text-align: end; font-variant-numeric: tabular-nums; }
.flag { display: inline-block; padding: 0 .4rem; margin-inline-end: .2rem; border-radius: .2rem; font-size: .8rem;
        background: #fed7d7; color: #822727; } .flag.info { background: #edf2f7; color: #2d3748; }
.flag.ok { background: #c6f6d5; color: #22543d; }
section.outlet { margin-bottom: 1.5rem; } section.outlet h3 { margin: .2rem 0; }
.charts { display: flex; flex-wrap: wrap; gap: 1rem; } figure { margin: 0; }
figcaption { font-size: .8rem; color: #4a5568; } svg.chart { background: #fbfbfc; border: 1px solid #edf2f7; }
svg text { font-size: 9px; fill: #4a5568; } rect.norun { fill: #cbd5e0; }
"""


def _name(outlet: str, display: str) -> str:
    """The outlet's key and its own (Arabic or Kurdish) name, isolated right-to-left in the LTR page."""
    if display == outlet:
        return escape(outlet)
    return f'{escape(outlet)} <bdi lang="ar" dir="rtl" class="display-name">{escape(display)}</bdi>'


def chart_svg(series: OutletSeries, metric: Metric, days: list[date]) -> str:
    values, runs = series.values[metric.key], series.runs
    top = max(values) or 1
    width = (_W - _LEFT * 2) / len(days)
    plot = _H - _TOP - _BOTTOM
    bars = []
    for i, (day, value, count) in enumerate(zip(days, values, runs, strict=True)):
        x = _LEFT + i * width
        height = plot * value / top if count else 2.0
        label = f"{day.isoformat()}: {value}" + (f" ({count} run{'s' if count != 1 else ''})" if count else " (no run)")
        style = f'class="bar" fill="{metric.colour}"' if count else 'class="bar norun"'
        bars.append(
            f'<rect {style} data-day="{day.isoformat()}" data-value="{value}" data-runs="{count}" '
            f'x="{x + width * 0.1:.2f}" y="{_TOP + plot - height:.2f}" width="{width * 0.8:.2f}" '
            f'height="{height:.2f}"><title>{escape(label)}</title></rect>')
    return (
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" data-outlet="{escape(series.outlet)}" '
        f'data-metric="{metric.key}" data-total="{sum(values)}" width="{_W}" height="{_H}" '
        f'viewBox="0 0 {_W} {_H}" role="img" aria-label="{escape(series.outlet)}: {escape(metric.title)}">'
        f'<text x="{_LEFT}" y="10">max {max(values)}</text>'
        f'<line x1="{_LEFT}" x2="{_W - _LEFT}" y1="{_TOP + plot}" y2="{_TOP + plot}" stroke="#a0aec0"/>'
        + "".join(bars)
        + f'<text x="{_LEFT}" y="{_H - 3}">{days[0].isoformat()}</text>'
        f'<text x="{_W - _LEFT}" y="{_H - 3}" text-anchor="end">{days[-1].isoformat()}</text></svg>')


def _flags(flags: list[str]) -> str:
    if not flags:
        return '<span class="flag ok">ok</span>'
    return "".join(f'<span class="flag{" info" if f in INFO_FLAGS else ""}">{escape(f)}</span>' for f in flags)


def _latest_table(report: Report, names: dict[str, str]) -> str:
    headers = ["outlet", "last run (UTC)", "duration", "finish", "pages", "new", "updated", "dup", "errors",
               "warnings", "flags"]
    rows = []
    for row in report.latest:
        last = row.get("last") or {}
        started = last.get("started_at")
        articles = last.get("articles") or {}
        cells = [
            f"<td>{_name(row['outlet'], names.get(row['outlet'], row['outlet']))}</td>",
            f"<td>{escape(started.strftime('%Y-%m-%d %H:%M') if isinstance(started, datetime) else '-')}</td>",
            f"<td>{escape(duration(last)) if last else '-'}</td>",
            f"<td>{escape(finish_label(last)) if last else '-'}</td>",
            *(f'<td class="num">{escape(str(v)) if last else "-"}</td>' for v in (
                last.get("pages_fetched", 0), articles.get("new", 0), articles.get("updated", 0),
                articles.get("duplicate", 0), last.get("error_count", 0), warning_count(last))),
            f'<td class="flags">{_flags(row["flags"])}</td>',
        ]
        rows.append(f'<tr data-outlet="{escape(row["outlet"])}" data-flags="{escape(" ".join(row["flags"]))}">'
                    + "".join(cells) + "</tr>")
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    return f'<table id="latest"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def render_html(report: Report) -> str:
    names = {s.outlet: s.display_name for s in report.series}
    sections = []
    for series in report.series:
        charts = "".join(f"<figure><figcaption>{escape(m.title)}</figcaption>{chart_svg(series, m, report.days)}"
                         "</figure>" for m in METRICS)
        sections.append(f'<section class="outlet" data-outlet="{escape(series.outlet)}">'
                        f'<h3>{_name(series.outlet, series.display_name)} <small>{sum(series.runs)} runs</small></h3>'
                        f'<div class="charts">{charts}</div></section>')
    first, last = report.days[0].isoformat(), report.days[-1].isoformat()
    return f"""<!doctype html>
<html lang="en" dir="ltr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>newscrawler report {escape(first)} – {escape(last)}</title>
<style>{_CSS}</style>
</head>
<body>
<h1>newscrawler report</h1>
<p class="note">UTC days {escape(first)} to {escape(last)} ({len(report.days)} days), as of
<time datetime="{escape(report.now.isoformat())}">{escape(report.now.strftime('%Y-%m-%d %H:%M'))} UTC</time>.
Every figure comes from the <code>crawl_runs</code> records: a day's bar is the sum over the runs that
started that UTC day (new articles = the runs' <code>articles.new</code>). A grey stub: no run that day.
Flags as in <code>newscrawler status</code>.</p>
<h2>Latest run per outlet</h2>
{_latest_table(report, names)}
<h2>Per outlet, per day</h2>
{"".join(sections)}
</body>
</html>
"""

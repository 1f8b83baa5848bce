"""`newscrawler report`: the static HTML page, checked in a real headless Chromium (Debian's), against
run records seeded at dates relative to a fixed reference (the page is for `--now`, never today)."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, sync_playwright

from newscrawler.outlets import all_outlets
from newscrawler.store import ArticleStore
from tests.conftest import PROJECT_DIR

NOW = datetime(2026, 3, 31, 18, 0, tzinfo=UTC)  # the report's reference moment, passed as --now
DAYS = 10
WINDOW = [(NOW - timedelta(days=DAYS - 1 - i)).date().isoformat() for i in range(DAYS)]


def run_doc(outlet: str, day_offset: int, hour: int, new: int, errors: int = 0, duplicate: int = 0,
            warnings: int = 0, **extra: Any) -> dict[str, Any]:
    """A finished run started `day_offset` days before NOW's day, at `hour` UTC."""
    day = (NOW - timedelta(days=day_offset)).replace(hour=hour, minute=5)
    return {"_id": f"{outlet}-{day:%Y%m%dT%H%M}", "outlet": outlet, "started_at": day,
            "finished_at": day + timedelta(minutes=2), "elapsed_s": 120.0, "finish_reason": "finished",
            "failed": None, "failed_monitors": [], "pages_fetched": 20 + new, "article_pages": 10,
            "articles": {"new": new, "updated": 1, "unchanged": 3, "duplicate": duplicate},
            "error_count": errors, "errors": {"http_404": errors} if errors else {},
            "extraction_warnings": {"no_date": warnings} if warnings else {}, **extra}


SEED = [
    run_doc("almada", 0, 6, new=5), run_doc("almada", 0, 12, new=3, errors=1),   # two runs on the last day
    run_doc("almada", 2, 6, new=7, duplicate=2), run_doc("almada", 9, 0, new=4, warnings=3),  # first day, 00:05
    run_doc("almada", 10, 23, new=99),                                          # the day before the window
    run_doc("basnews", 1, 8, new=6, errors=2, warnings=1), run_doc("basnews", 5, 8, new=2, duplicate=1),
    run_doc("zagros", 3, 9, new=4), run_doc("zagros", 0, 10, new=0, errors=30, finish_reason="finished",
                                            failed="monitors: Outlet yield", failed_monitors=["Outlet yield"]),
]
# Expected per-day sums in the window (index 0 = WINDOW[0], 9 = NOW's day), written out by hand.
EXPECTED = {
    "almada": {"runs": [1, 0, 0, 0, 0, 0, 0, 1, 0, 2], "new": [4, 0, 0, 0, 0, 0, 0, 7, 0, 8],
               "errors": [0] * 9 + [1], "duplicates": [0, 0, 0, 0, 0, 0, 0, 2, 0, 0],
               "warnings": [3] + [0] * 9},
    "basnews": {"runs": [0, 0, 0, 0, 1, 0, 0, 0, 1, 0], "new": [0, 0, 0, 0, 2, 0, 0, 0, 6, 0],
                "errors": [0] * 8 + [2, 0], "duplicates": [0, 0, 0, 0, 1, 0, 0, 0, 0, 0],
                "warnings": [0] * 8 + [1, 0]},
    "zagros": {"runs": [0, 0, 0, 0, 0, 0, 1, 0, 0, 1], "new": [0, 0, 0, 0, 0, 0, 4, 0, 0, 0],
               "errors": [0] * 9 + [30], "duplicates": [0] * 10, "warnings": [0] * 10},
}
METRICS = ["new", "errors", "duplicates", "warnings"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        yield chromium
        chromium.close()


def make_report(store: ArticleStore, mongo_uri: str, db_name: str, tmp_path: Path, *args: str) -> Path:
    out = tmp_path / "report.html"
    env = {**os.environ, "MONGO_URI": mongo_uri, "MONGO_DATABASE": db_name,
           "NEWSCRAWLER_DATA_DIR": str(tmp_path / "data")}
    proc = subprocess.run([sys.executable, "-m", "newscrawler.cli", "report", "-o", str(out), "--days", str(DAYS),
                           "--now", NOW.isoformat(), *args], cwd=PROJECT_DIR, env=env, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith(f"wrote {out} (3 outlets, {WINDOW[0]} to {WINDOW[-1]}, 8 runs)"), proc.stdout
    return out


def test_report_page_in_chromium(store: ArticleStore, mongo_uri: str, db_name: str, tmp_path: Path,
                                 browser: Browser) -> None:
    store.runs.insert_many(SEED)
    out = make_report(store, mongo_uri, db_name, tmp_path, "almada", "basnews", "zagros")
    assert "<script" not in out.read_text("utf-8") and "http" not in out.read_text("utf-8").replace(
        "http://www.w3.org/2000/svg", ""), "self-contained: no script, no network resource"

    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    problems: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning")
            else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(out.as_uri())
    page.wait_for_load_state("load")
    assert problems == []
    assert requests == [out.as_uri()], "nothing fetched but the page itself"
    assert page.evaluate("document.characterSet") == "UTF-8"

    # One chart per outlet per metric; one bar per day, carrying the seeded sums.
    assert page.locator("svg.chart").count() == 3 * len(METRICS)
    for outlet, expected in EXPECTED.items():
        for metric in METRICS:
            chart = page.locator(f'svg.chart[data-outlet="{outlet}"][data-metric="{metric}"]')
            assert chart.count() == 1
            bars = chart.locator("rect.bar")
            assert bars.evaluate_all("rs => rs.map(r => r.dataset.day)") == WINDOW
            assert bars.evaluate_all("rs => rs.map(r => +r.dataset.value)") == expected[metric], (outlet, metric)
            assert bars.evaluate_all("rs => rs.map(r => +r.dataset.runs)") == expected["runs"], (outlet, metric)
            heights = bars.evaluate_all("rs => rs.map(r => r.getBBox().height)")
            top = max(expected[metric])
            for height, value, runs in zip(heights, expected[metric], expected["runs"], strict=True):
                if runs and top:  # drawn to scale: the day with the most is the tallest bar
                    assert height == pytest.approx(80 * value / top, abs=0.05)
            assert chart.locator("rect.norun").count() == expected["runs"].count(0)

    # The latest run per outlet, with the flags of `newscrawler status`.
    rows = page.locator("#latest tbody tr")
    assert rows.evaluate_all("rs => rs.map(r => [r.dataset.outlet, r.dataset.flags])") == [
        ["almada", ""], ["basnews", ""], ["zagros", "FAILED ERRORS"]]
    zagros = page.locator('#latest tr[data-outlet="zagros"]').inner_text()
    assert "monitors: Outlet yield" in zagros and "30" in zagros
    assert "2026-03-31 12:05" in page.locator('#latest tr[data-outlet="almada"]').inner_text()

    # Arabic display names, isolated right-to-left, rendered with a width.
    for outlet in EXPECTED:
        name = page.locator(f'section.outlet[data-outlet="{outlet}"] bdi.display-name')
        assert name.get_attribute("lang") == "ar" and name.get_attribute("dir") == "rtl"
        assert name.inner_text() == all_outlets()[outlet].display_name
        assert name.bounding_box()["width"] > 10

    # The screenshot has something drawn on it: coloured bar pixels, decoded by the browser itself.
    shot = base64.b64encode(page.screenshot(full_page=True)).decode()
    counts = page.evaluate("""async (png) => {
        const img = new Image(); img.src = 'data:image/png;base64,' + png; await img.decode();
        const c = document.createElement('canvas'); c.width = img.width; c.height = img.height;
        const g = c.getContext('2d'); g.drawImage(img, 0, 0);
        const d = g.getImageData(0, 0, c.width, c.height).data;
        let ink = 0, blue = 0;
        for (let i = 0; i < d.length; i += 4) {
            if (d[i] < 240 || d[i + 1] < 240 || d[i + 2] < 240) ink++;
            if (d[i] === 0x2b && d[i + 1] === 0x6c && d[i + 2] === 0xb0) blue++;  // the new-articles bars
        }
        return {ink, blue, total: d.length / 4};
    }""", shot)
    assert counts["ink"] > 0.01 * counts["total"] and counts["blue"] > 100, counts
    page.close()


def test_report_misuse_is_one_line(store: ArticleStore, mongo_uri: str, db_name: str, tmp_path: Path) -> None:
    env = {**os.environ, "MONGO_URI": mongo_uri, "MONGO_DATABASE": db_name,
           "NEWSCRAWLER_DATA_DIR": str(tmp_path / "data")}
    for args, message in ((["nosuch"], "unknown outlet nosuch; known: "),
                          (["--days", "0"], "--days must be between 1 and 3660"),
                          (["--now", "yesterday"], "not an ISO 8601 date-time"),
                          (["-o", str(tmp_path / "missing" / "r.html")], "no folder")):
        proc = subprocess.run([sys.executable, "-m", "newscrawler.cli", "report", *args], cwd=PROJECT_DIR, env=env,
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 2 and message in proc.stderr, (args, proc.stderr)
        assert "Traceback" not in proc.stderr, proc.stderr

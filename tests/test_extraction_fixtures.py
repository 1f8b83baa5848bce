"""Every stored page under tests/fixtures/extraction against its expected JSON.

Metadata exactly; body by must-contain / must-not-contain snippets and token F1 >= 0.97.
Each page is extracted as if fetched on its recorded day, the next day and 400 days later: no
result may depend on when the crawler runs (only dates written relative to the fetch, such as
"منذ ساعتين", move with it; such fixtures say `"dates_relative_to_fetch": true` in meta.json).
The held-out split (tests/fixtures/heldout) is scored by `make bench-extract`, never tuned on.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from newscrawler.cli.extract import article_json
from newscrawler.dedup.canonical import normalise_url
from newscrawler.evaluation import token_prf
from newscrawler.extract import extract_article
from newscrawler.normalise.text import clean_whitespace

FIXTURES = Path(__file__).parent / "fixtures" / "extraction"
HELDOUT = Path(__file__).parent / "fixtures" / "heldout"
CASES = sorted(p.name for p in FIXTURES.iterdir() if (p / "expected.json").exists())
EXACT_FIELDS = ("title", "published_at", "modified_at", "authors", "language", "source_name")
FETCH_SHIFTS = {"same-day": timedelta(0), "next-day": timedelta(days=1), "400-days-later": timedelta(days=400)}


def iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def load(case: str, shift: timedelta = timedelta(0)) -> tuple[dict[str, Any], dict[str, Any]]:
    folder = FIXTURES / case
    meta = json.loads((folder / "meta.json").read_text("utf-8"))
    expected = json.loads((folder / "expected.json").read_text("utf-8"))
    fetched = parse_iso(meta["fetched_at"]) + shift
    article = extract_article((folder / "page.html").read_bytes(), meta["url"], meta.get("outlet"),
                              content_type=meta.get("content_type"), fetched_at=fetched)
    if meta.get("dates_relative_to_fetch"):
        for field in ("published_at", "modified_at"):
            if expected.get(field):
                expected[field] = iso(parse_iso(expected[field]) + shift)
    return article_json(article), expected


def test_there_are_enough_fixtures() -> None:
    assert len(CASES) >= 30


@pytest.mark.parametrize("shift", list(FETCH_SHIFTS.values()), ids=list(FETCH_SHIFTS))
@pytest.mark.parametrize("case", CASES)
def test_fixture(case: str, shift: timedelta) -> None:
    got, expected = load(case, shift)
    for field in EXACT_FIELDS:
        if field in expected:
            assert got[field] == expected[field], field
    # The canonical URL the crawl would store (normalised), whatever form the page wrote.
    assert got["canonical_url"] == normalise_url(expected["canonical_url"])
    text = got["text"]
    for snippet in expected["must_contain"]:
        assert clean_whitespace(snippet) in text, snippet
    for snippet in expected["must_not_contain"]:
        assert snippet not in text, snippet
    _, _, f1 = token_prf(text, expected["text"])
    assert f1 >= 0.97, f"token F1 {f1:.3f}"
    assert "\ufffc" not in text


def test_heldout_split_is_complete() -> None:
    """The held-out pages exist and are well formed (their scores are printed by the bench)."""
    cases = [p for p in HELDOUT.iterdir() if p.is_dir()]
    assert len(cases) >= 20
    for folder in cases:
        meta = json.loads((folder / "meta.json").read_text("utf-8"))
        expected = json.loads((folder / "expected.json").read_text("utf-8"))
        assert (folder / "page.html").stat().st_size > 1000, folder.name
        assert meta["url"].startswith("http") and parse_iso(meta["fetched_at"]).tzinfo, folder.name
        assert expected["text"] and expected["must_contain"] and expected["must_not_contain"], folder.name

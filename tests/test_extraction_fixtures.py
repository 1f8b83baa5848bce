"""Every stored page under tests/fixtures/extraction against its expected JSON.

Metadata exactly; body by must-contain / must-not-contain snippets and token F1 >= 0.97.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from newscrawler.cli import article_json
from newscrawler.evaluation import token_prf
from newscrawler.extract import extract_article
from newscrawler.normalise.text import clean_whitespace

FIXTURES = Path(__file__).parent / "fixtures" / "extraction"
CASES = sorted(p.name for p in FIXTURES.iterdir() if (p / "expected.json").exists())
EXACT_FIELDS = ("title", "published_at", "modified_at", "authors", "language", "source_name", "canonical_url")


def load(case: str) -> tuple[dict, dict]:
    folder = FIXTURES / case
    meta = json.loads((folder / "meta.json").read_text("utf-8"))
    expected = json.loads((folder / "expected.json").read_text("utf-8"))
    fetched = datetime.fromisoformat(meta["fetched_at"].replace("Z", "+00:00"))
    article = extract_article((folder / "page.html").read_bytes(), meta["url"], meta.get("outlet"),
                              content_type=meta.get("content_type"), fetched_at=fetched)
    return article_json(article), expected


def test_there_are_enough_fixtures() -> None:
    assert len(CASES) >= 30


@pytest.mark.parametrize("case", CASES)
def test_fixture(case: str) -> None:
    got, expected = load(case)
    for field in EXACT_FIELDS:
        if field in expected:
            assert got[field] == expected[field], field
    text = got["text"]
    for snippet in expected["must_contain"]:
        assert clean_whitespace(snippet) in text, snippet
    for snippet in expected["must_not_contain"]:
        assert snippet not in text, snippet
    _, _, f1 = token_prf(text, expected["text"])
    assert f1 >= 0.97, f"token F1 {f1:.3f}"
    assert "\ufffc" not in text

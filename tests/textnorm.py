"""Comparison helpers for tests: stored text is whitespace-normalised by design (NBSP -> space)."""

from newscrawler.normalise.text import clean_whitespace


def same_text(a: str) -> str:
    return clean_whitespace(a)

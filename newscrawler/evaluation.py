"""Extraction quality metrics shared by the fixture tests and the benchmarks."""

from __future__ import annotations

import re
from collections import Counter

_WORD = re.compile(r"\w+", re.UNICODE)


def tokens(text: str) -> list[str]:
    return _WORD.findall((text or "").casefold())


def token_prf(predicted: str, expected: str) -> tuple[float, float, float]:
    """Bag-of-words precision, recall, F1 of predicted against expected text."""
    pred, gold = Counter(tokens(predicted)), Counter(tokens(expected))
    if not pred and not gold:
        return 1.0, 1.0, 1.0
    overlap = sum((pred & gold).values())
    precision = overlap / sum(pred.values()) if pred else 0.0
    recall = overlap / sum(gold.values()) if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    """The Zyte article-extraction benchmark's unit: overlapping n-token shingles (bag)."""
    words = tokens(text)
    if len(words) < n:
        return Counter([tuple(words)]) if words else Counter()
    return Counter(tuple(words[i:i + n]) for i in range(len(words) - n + 1))


def shingle_counts(predicted: str, expected: str) -> tuple[int, int, int]:
    """(tp, fp, fn) over 4-token shingles."""
    pred, gold = shingles(predicted), shingles(expected)
    tp = sum((pred & gold).values())
    return tp, sum(pred.values()) - tp, sum(gold.values()) - tp

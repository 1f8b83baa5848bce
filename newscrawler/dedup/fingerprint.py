"""Content fingerprints over Arabic-normalised text."""

from __future__ import annotations

import hashlib

from newscrawler.normalise.text import match_key


def normalised_text(text: str) -> str:
    """Harakat, tatweel, alef/ya/ta-marbuta/kaf forms, digits, ZWNJ/bidi marks, punctuation and
    whitespace folded: two copies that differ only in those have the same normalised text."""
    return match_key(text)


def content_hash(text: str) -> str:
    return hashlib.blake2b(normalised_text(text).encode(), digest_size=16).hexdigest()

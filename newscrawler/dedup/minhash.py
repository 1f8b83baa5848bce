"""MinHash signatures of Arabic-normalised text, and the near-duplicate decision between two.

Shingles are word 3-grams of the folded text (see normalise.text.match_key), so harakat, tatweel,
alef/ya/ta-marbuta/kaf forms, digit scripts and punctuation do not separate copies. Containment
(not Jaccard) decides, because syndicated copies trim the end or add a header: one text is
(mostly) inside the other.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache

import numpy as np
from datasketch import MinHash

from newscrawler.normalise.text import match_key

NUM_PERM = 128
BANDS, ROWS = 32, 4  # P(candidate) = 1-(1-J^4)^32: 0.87 at J=0.5, 0.99 at J=0.6, 0.17 at J=0.2
SHINGLE = 3
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


@cache
def _template() -> MinHash:
    return MinHash(num_perm=NUM_PERM, seed=1)


@dataclass(frozen=True)
class Signature:
    hashvalues: np.ndarray  # uint32[NUM_PERM]
    size: int  # number of distinct shingles
    numbers: tuple[str, ...]  # the numbers in the text, in order (reports on different days differ here)

    def to_bytes(self) -> bytes:
        return self.hashvalues.astype(np.uint32).tobytes()

    @classmethod
    def from_bytes(cls, data: bytes, size: int, numbers: list[str]) -> Signature:
        return cls(np.frombuffer(data, dtype=np.uint32).copy(), size, tuple(numbers))


def shingles(text: str) -> set[bytes]:
    words = match_key(text).split()
    if len(words) < SHINGLE:
        return {" ".join(words).encode()} if words else set()
    return {" ".join(words[i:i + SHINGLE]).encode() for i in range(len(words) - SHINGLE + 1)}


def signature(text: str) -> Signature:
    grams = shingles(text)
    mh = _template().copy()
    if grams:
        mh.update_batch(list(grams))
    return Signature(mh.hashvalues.astype(np.uint32), len(grams), tuple(_NUMBER.findall(match_key(text))))


def band_keys(sig: Signature) -> list[str]:
    rows = sig.hashvalues.reshape(BANDS, ROWS)
    return [f"{band}:{hashlib.blake2b(rows[band].tobytes(), digest_size=8).hexdigest()}" for band in range(BANDS)]


@dataclass(frozen=True)
class Similarity:
    jaccard: float
    containment: float  # |A ∩ B| / min(|A|, |B|), estimated
    numbers_overlap: float  # share of the shorter text's numbers found in the other (1.0 if few numbers)


def compare(a: Signature, b: Signature) -> Similarity:
    jaccard = float(np.mean(a.hashvalues == b.hashvalues))
    smaller = max(1, min(a.size, b.size))
    intersection = jaccard * (a.size + b.size) / (1 + jaccard)
    containment = min(1.0, intersection / smaller)
    na, nb = Counter(a.numbers), Counter(b.numbers)
    fewer = min(sum(na.values()), sum(nb.values()))
    numbers = sum((na & nb).values()) / fewer if fewer >= 3 else 1.0
    return Similarity(jaccard, containment, numbers)


CONTAINMENT_THRESHOLD = 0.75
NUMBERS_THRESHOLD = 0.6


def is_near_duplicate(sim: Similarity) -> bool:
    """Same story: most of the shorter text is in the longer one and their figures agree (two days
    of a templated market report share the template, not the figures)."""
    return sim.containment >= CONTAINMENT_THRESHOLD and sim.numbers_overlap >= NUMBERS_THRESHOLD

"""What near-duplicate detection keeps of an article's text, and the decision between two texts.

Everything is computed on the Arabic-folded text (normalise.text.match_key), so harakat, tatweel,
alef/ya/ta-marbuta/kaf forms, digit scripts and punctuation never separate copies.

Syndication produces two kinds of copies, and each has its own evidence:
- *verbatim* copies (an aggregator's teaser that keeps the first paragraphs, a copy that trims the end,
  adds a header or a source line, reorders paragraphs): most of the shorter text's word 3-grams and
  sentences are in the longer one (containment, not Jaccard: one text is inside the other);
- *light rewrites* (synonyms swapped for 10-20% of the words, a new headline): 3-grams break at every
  changed word, but the content words and, above all, every figure stay; so most content words of
  the shorter text are in the other, a fair share of its 3-grams too, and its numbers all are.
Same-beat stories on different events share names, places and whole background paragraphs but not
their figures; templated daily reports share their template sentences but not their figures or
the sentences that carry them. Both fail the figure test of a rewrite and the sentence test of a
verbatim copy.

Candidates come from two small sets of index keys per article (newscrawler/store/lsh.py): MinHash-LSH
bands over content words (rewrites and copies alike), and the hashes of the first sentences (the
lead an aggregator's teaser quotes; looked up with the first sentences of the other article).
Keys are filed per week of publication (of fetch, when the page has no date) and looked up in that
week and the two around it: syndication happens within days, and a bucket then holds a few weeks
of articles whatever the size of the archive, so the cost per article stays flat as the store grows
to millions (a later copy with identical text is found in any period: the exact text is a key of its own).
"""

from __future__ import annotations

import base64
import hashlib
import re
import zlib
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING

import numpy as np

from newscrawler.normalise.text import match_key

if TYPE_CHECKING:
    from datasketch import MinHash

BANDS, ROWS = 10, 3  # over content words: P(candidate) = 1-(1-J^3)^10: 0.91 at J=0.6, 0.24 at J=0.3
LEAD_SENTENCES = 2  # first sentences indexed for teasers
LEAD_LOOKUPS = 6  # first sentences looked up (a teaser's own header comes before the lead it quotes)
PERIOD_SECONDS = 7 * 86_400
MIN_SENTENCE_WORDS = 6
SHINGLE = 3
_SENTENCE_END = re.compile(r"(?<!\d)[.!?؟…](?!\d)|\n")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
# Particles and the commonest verbs of attribution: in every article, evidence of nothing.
_STOPWORDS = frozenset(match_key(
    "في من على إلى الى عن أن ان إن مع هذا هذه ذلك تلك التي الذي الذين كان كانت لا ما و او أو ثم قد لم لن "
    "حيث كما بين بعد قبل عند خلال حتى منذ فيما وقال قال وأضاف وأكد وأشار وذكر وأوضح").split())


@cache
def _template() -> MinHash:
    # Imported where sketches are made: datasketch loads scipy (~0.8 s of CPU), which the crawl
    # process, which only compares sketches, never needs (the workers' forkserver loads it once).
    from datasketch import MinHash

    return MinHash(num_perm=BANDS * ROWS, seed=1)


def _hash32(text: str) -> int:
    return zlib.crc32(text.encode())


@dataclass(frozen=True, eq=False)
class Sketch:
    # Hashed sets as sorted unique uint32 arrays: ~2 KB an article (Python sets of ints take ~20x that,
    # and the detector caches thousands of sketches).
    words: np.ndarray  # content words (no particles, no numbers)
    trigrams: np.ndarray  # word 3-grams
    sentences: np.ndarray  # sentences of ≥ MIN_SENTENCE_WORDS words
    lead: tuple[int, ...]  # the first LEAD_SENTENCES of those sentences, in order
    opening: tuple[int, ...]  # the first LEAD_LOOKUPS of them
    numbers: tuple[str, ...]  # the figures of the text, in order
    minhash: np.ndarray  # uint32[BANDS * ROWS] over `words`

    def band_keys(self) -> list[str]:
        rows = self.minhash.reshape(BANDS, ROWS)
        return [f"w{band}:{hashlib.blake2b(rows[band].tobytes(), digest_size=8).hexdigest()}"
                for band in range(BANDS)]

    def index_keys(self, period: int, content_hash: str) -> list[str]:
        """The keys this article is filed under: bands and lead in its period (see period_of),
        and its exact text in no period."""
        return [*(f"{period}/{key}" for key in (*self.band_keys(), *(f"l:{h:08x}" for h in self.lead))),
                f"h:{content_hash}"]

    def query_keys(self, period: int, content_hash: str) -> list[str]:
        """The keys to look up: its bands and its first sentences (one may be another article's
        lead) in its period and the two around it, and its exact text."""
        keys = [*self.band_keys(), *(f"l:{h:08x}" for h in self.opening)]
        return [*(f"{p}/{key}" for p in (period - 1, period, period + 1) for key in keys), f"h:{content_hash}"]

    def to_document(self) -> dict[str, object]:
        return {"w": _pack(self.words), "t": _pack(self.trigrams), "s": _pack(self.sentences),
                "lead": list(self.opening), "numbers": list(self.numbers), "mh": _pack(self.minhash)}

    @classmethod
    def from_document(cls, doc: dict[str, object]) -> Sketch | None:
        """None for an entry written by an older version (no sketch): it is then never a candidate."""
        if "w" not in doc:
            return None
        opening = tuple(doc.get("lead", []))  # type: ignore[call-overload]
        return cls(_unpack(doc["w"]), _unpack(doc["t"]), _unpack(doc["s"]), opening[:LEAD_SENTENCES], opening,
                   tuple(doc.get("numbers", [])), _unpack(doc["mh"]))  # type: ignore[call-overload]


def _hashed(values: set[str]) -> np.ndarray:
    return np.unique(np.fromiter((zlib.crc32(v.encode()) for v in values), dtype=np.uint32, count=len(values)))


def _pack(values: np.ndarray) -> str:
    return base64.b64encode(values.astype(np.uint32).tobytes()).decode()


def _unpack(text: object) -> np.ndarray:
    return np.frombuffer(base64.b64decode(str(text)), dtype=np.uint32).copy()


def sketch(text: str) -> Sketch:
    # Folded once, sentence by sentence (folding drops the punctuation that ends them).
    chunks = [match_key(raw) for raw in _SENTENCE_END.split(text)]
    said = [c for c in chunks if len(c.split()) >= MIN_SENTENCE_WORDS]
    folded = " ".join(c for c in chunks if c)
    words = folded.split()
    content = {w for w in words if w not in _STOPWORDS and not w.isdigit()}
    grams = {" ".join(words[i:i + SHINGLE]) for i in range(len(words) - SHINGLE + 1)} or {folded}
    mh = _template().copy()
    if content:
        mh.update_batch([w.encode() for w in sorted(content)])
    opening = tuple(_hash32(s) for s in said[:LEAD_LOOKUPS])
    return Sketch(_hashed(content), _hashed(grams), _hashed(set(said)), opening[:LEAD_SENTENCES], opening,
                  tuple(_NUMBER.findall(folded)), mh.hashvalues.astype(np.uint32))


def period_of(when: datetime | None) -> int:
    """The week an article is filed under: its publication (or fetch) time; 0 if neither is known."""
    return int(when.timestamp() // PERIOD_SECONDS) if when else 0


@dataclass(frozen=True)
class Similarity:
    trigrams: float  # share of the shorter text's word 3-grams found in the other
    words: float  # share of the shorter text's content words found in the other
    sentences: float  # share of the shorter text's sentences found in the other (1.0 if it has none)
    numbers: float  # share of the shorter text's figures found in the other (1.0 if it has fewer than 3)
    figures: int  # how many figures the shorter text has


def _containment(a: np.ndarray, b: np.ndarray) -> float:
    smaller = min(a.size, b.size)
    return np.intersect1d(a, b, assume_unique=True).size / smaller if smaller else 0.0


def compare(a: Sketch, b: Sketch) -> Similarity:
    na, nb = Counter(a.numbers), Counter(b.numbers)
    figures = min(sum(na.values()), sum(nb.values()))
    numbers = sum((na & nb).values()) / figures if figures >= 3 else 1.0
    said = _containment(a.sentences, b.sentences) if a.sentences.size and b.sentences.size else 1.0
    return Similarity(_containment(a.trigrams, b.trigrams), _containment(a.words, b.words), said, numbers, figures)


VERBATIM_TRIGRAMS = 0.75
VERBATIM_SENTENCES = 0.5
VERBATIM_NUMBERS = 0.6
REWRITE_WORDS = 0.75
REWRITE_TRIGRAMS = 0.45  # with at least 3 figures, all of them shared
REWRITE_TRIGRAMS_WITHOUT_FIGURES = 0.6
REWRITE_NUMBERS = 0.9


# Every rule below needs at least this share of shared word 3-grams.
LEAST_TRIGRAMS = min(VERBATIM_TRIGRAMS, REWRITE_TRIGRAMS, REWRITE_TRIGRAMS_WITHOUT_FIGURES)


def may_be_near_duplicate(a: Sketch, b: Sketch) -> bool:
    """False when `compare` cannot make them near duplicates: one containment instead of four
    measures for the many band-sharing candidates that are not (same decisions, less CPU)."""
    return _containment(a.trigrams, b.trigrams) >= LEAST_TRIGRAMS


def is_near_duplicate(sim: Similarity) -> bool:
    verbatim = (sim.trigrams >= VERBATIM_TRIGRAMS and sim.sentences >= VERBATIM_SENTENCES
                and sim.numbers >= VERBATIM_NUMBERS)
    least_trigrams = REWRITE_TRIGRAMS if sim.figures >= 3 else REWRITE_TRIGRAMS_WITHOUT_FIGURES
    rewrite = sim.words >= REWRITE_WORDS and sim.trigrams >= least_trigrams and sim.numbers >= REWRITE_NUMBERS
    return verbatim or rewrite


# A sketch computed where the CPU is cheap (the extraction worker) travels with its article as a
# plain attribute, not a field: item exporters and the stored document never see it.
_ATTACHED = "_newscrawler_sketch"


def attach(article: object, sk: Sketch, content_hash: str) -> None:
    setattr(article, _ATTACHED, (content_hash, sk))


def sketch_of(article: object, text: str, content_hash: str) -> Sketch:
    """The article's attached sketch if it was made for this text, else one made now."""
    attached = getattr(article, _ATTACHED, None)
    if attached and attached[0] == content_hash:
        return attached[1]
    return sketch(text)

"""Arabic-script text normalisation, for matching and fingerprints (never for stored text)."""

from __future__ import annotations

import re
import unicodedata

TATWEEL = "\u0640"
_HARAKAT = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed]")
# ZWNJ/ZWJ, LRM/RLM/ALM and the bidi embedding/isolate controls, BOM.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\u061c\ufeff\u00ad]")
# For stored text: ZWNJ/ZWJ are orthography in Persian and Sorani, so only bidi controls and
# zero-width spaces go.
_CONTROLS = re.compile("[\u200b\u200e\u200f\u202a-\u202e\u2066-\u2069\u061c\ufeff\u00ad]")
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_LETTERS = str.maketrans(
    {
        "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا",
        "ى": "ي", "ی": "ي", "ې": "ي", "ئ": "ي",
        "ة": "ه", "ۀ": "ه", "ە": "ه",
        "ک": "ك", "ڪ": "ك",
        "ؤ": "و",
    }
)
_PUNCT_OR_SPACE = re.compile(r"[\W_]+", re.UNICODE)


def fold_digits(text: str) -> str:
    """Arabic-Indic and Persian digits -> ASCII digits."""
    return text.translate(_DIGITS)


def strip_marks(text: str) -> str:
    """Remove tatweel, harakat and invisible/bidi controls, keep everything else."""
    return _INVISIBLE.sub("", _HARAKAT.sub("", text.replace(TATWEEL, "")))


def clean_whitespace(text: str) -> str:
    """NFC, invisible controls out, runs of spaces folded (newlines kept)."""
    text = _CONTROLS.sub("", unicodedata.normalize("NFC", text)).replace("\u00a0", " ")
    return "\n".join(re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in text.split("\n"))


def match_key(text: str) -> str:
    """Aggressive folding for comparing phrases: the same words always give the same key.

    Tatweel, harakat, alef/ya/ta-marbuta/kaf variants, digits, case, punctuation and spacing
    are folded, so `أضف تعليقـك` matches `اضف تعليقك`.
    """
    text = strip_marks(unicodedata.normalize("NFKC", text)).translate(_LETTERS)
    text = fold_digits(text).casefold()
    return _PUNCT_OR_SPACE.sub(" ", text).strip()

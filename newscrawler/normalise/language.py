"""Language identification for this region: ar, ckb (Sorani), kmr (Kurmanji), fa, en, tr.

py3langid labels Sorani `sdh`/`ku` and confuses it with Persian on short texts; letters that only
Sorani uses (ڕ ڵ ێ ۆ ە ڤ) decide it first, Persian-only letters (پ چ ژ گ with no Sorani letter)
and Kurmanji's Latin letters (ê î û ş ç) after that, and py3langid for the rest.
"""

from __future__ import annotations

import re
from functools import cache

_SORANI_ONLY = re.compile("[ڕڵێۆەڤ]")
_ARABIC_SCRIPT = re.compile("[\u0600-\u06ff]")
_LATIN = re.compile("[A-Za-zÀ-ž]")
_KURMANJI_LETTERS = re.compile("[êîûşçÊÎÛŞÇ]")
_TURKISH_LETTERS = re.compile("[ğıİöüĞÖÜ]")
_PERSIAN_MARKERS = re.compile("[پچژگ]|\\bمی\\b|\\bاست\\b|\\bرا\\b|ی\\b")
_ARABIC_MARKERS = re.compile("[ةىأإ]|\\bال|\\bفي\\b|\\bمن\\b|\\bعلى\\b")
_KMR_WORDS = re.compile(r"\b(?:û|ji|di|de|ku|bi|li|ya|yê|wî|wê|hat|kir|Kurdistanê|Herêma)\b", re.I)
_TR_WORDS = re.compile(r"\b(?:ve|bir|bu|ile|için|olarak|Kürdistan|Bölgesi|dedi)\b", re.I)

LANGID_TO_OURS = {"ku": "kmr", "sdh": "ckb", "ckb": "ckb"}


@cache
def _identifier():  # type: ignore[no-untyped-def]
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    ident.set_languages(["ar", "fa", "en", "tr", "ku", "ur", "de", "fr"])
    return ident


def detect_language(text: str, hint: str | None = None) -> str | None:
    """ISO code of the body text's language, or `hint` (the page's lang attribute) when unsure."""
    sample = text[:1500]
    arabic = len(_ARABIC_SCRIPT.findall(sample))
    latin = len(_LATIN.findall(sample))
    if arabic + latin < 20:
        return _normalise_hint(hint)
    if arabic >= latin:
        sorani = len(_SORANI_ONLY.findall(sample))
        if sorani >= max(3, arabic * 0.01):
            return "ckb"
        persian = len(_PERSIAN_MARKERS.findall(sample))
        arabic_marks = len(_ARABIC_MARKERS.findall(sample))
        if persian > arabic_marks * 1.5 and persian >= 5:
            return "fa"
        if arabic_marks >= 3:
            return "ar"
    else:
        if _KURMANJI_LETTERS.search(sample) and len(_KMR_WORDS.findall(sample)) >= 3:
            return "kmr"
        if _TURKISH_LETTERS.search(sample) and len(_TR_WORDS.findall(sample)) >= 2:
            return "tr"
    lang, _ = _identifier().classify(sample)
    return LANGID_TO_OURS.get(lang, lang)


def _normalise_hint(hint: str | None) -> str | None:
    if not hint:
        return None
    code = hint.split("-")[0].split("_")[0].lower()
    return {"ku": "kmr", "sdh": "ckb", "so": "ckb"}.get(code, code) or None

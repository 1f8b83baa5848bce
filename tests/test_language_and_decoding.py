"""Language identification on short texts, and charset handling (never mojibake)."""

from __future__ import annotations

import pytest

from newscrawler.extract import ExtractionError, extract_article
from newscrawler.extract.decode import decode_html
from newscrawler.normalise.language import detect_language


@pytest.mark.parametrize(("text", "lang"), [
    ("أعلنت وزارة البيشمركة اليوم نتائج العملية المشتركة مع الجيش العراقي في كرميان.", "ar"),
    ("وەزارەتی پێشمەرگە ئەمڕۆ ئەنجامی ئۆپەراسیۆنی هاوبەشی لەگەڵ سوپای عێراق ڕاگەیاند.", "ckb"),
    ("وزارت پیشمرگه امروز نتایج عملیات مشترک با ارتش عراق را اعلام کرد و گفت که این عملیات ادامه دارد.", "fa"),
    ("Wezareta Pêşmerge îro encamên operasyona hevbeş a bi artêşa Iraqê re ragihand û got ku ew ê berdewam bike.",
     "kmr"),
    ("Peşmerge Bakanlığı bugün Irak ordusu ile ortak operasyonun sonuçlarını açıkladı ve bir açıklama yaptı.", "tr"),
    ("The Peshmerga ministry announced on Monday the results of the joint operation with the Iraqi army.", "en"),
])
def test_short_texts(text: str, lang: str) -> None:
    assert detect_language(text) == lang


ARABIC = "<html><head><title>خبر</title></head><body><h1>عنوان الخبر المحلي</h1>" + "".join(
    f"<p>أعلنت مديرية تربية بابل اليوم عن موعد الامتحانات الوزارية للمرحلة المتوسطة رقم {n} في المحافظة.</p>"
    for n in range(6)) + "</body></html>"


def test_undeclared_windows_1256_is_detected() -> None:
    text, encoding = decode_html(ARABIC.encode("cp1256"))
    assert "مديرية تربية بابل" in text and encoding.lower().replace("-", "").endswith("1256")


def test_header_charset_wins_over_a_wrong_meta() -> None:
    page = ARABIC.replace("<head>", '<head><meta charset="utf-8">').encode("cp1256")
    article = extract_article(page, "https://example.iq/news/1", content_type="text/html; charset=windows-1256")
    assert "مديرية تربية بابل" in article.text


@pytest.mark.parametrize("body", [b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, b"%PDF-1.7\n" + b"\x00" * 100,
                                  b"just some words, no markup", b""])
def test_binary_or_non_html_input_is_a_clear_error(body: bytes) -> None:
    with pytest.raises(ExtractionError):
        extract_article(body, "https://example.iq/file")


def test_malformed_html_still_extracts() -> None:
    broken = ARABIC.replace("</p>", "").replace("</body></html>", "<div><span>").encode()
    assert "مديرية تربية بابل" in extract_article(broken, "https://example.iq/news/2").text

"""Canonical URLs and article keys."""

from __future__ import annotations

import pytest

from newscrawler.dedup.canonical import article_key, canonical_url, normalise_url, url_key
from newscrawler.outlets import get_outlet

BASNEWS = get_outlet("basnews")


@pytest.mark.parametrize("variant", [
    "https://www.basnews.com/ar/babat/919701",
    "HTTPS://WWW.BASNEWS.COM:443/ar/babat/919701/",
    "https://www.basnews.com/ar/babat/919701?utm_source=facebook&utm_medium=social&fbclid=IwAR0",
    "https://www.basnews.com/ar/babat/919701#comments",
    "https://m.basnews.com/ar/babat/919701",
    "http://basnews.com/ar/detail/919701",
])
def test_article_key_is_stable_across_url_variants(variant: str) -> None:
    assert article_key(variant, BASNEWS) == article_key("https://www.basnews.com/ar/babat/919701", BASNEWS)


def test_different_articles_and_editions_have_different_keys() -> None:
    keys = {article_key(u, BASNEWS) for u in (
        "https://www.basnews.com/ar/babat/919701", "https://www.basnews.com/ar/babat/919702",
        "https://www.basnews.com/en/babat/919701")}
    assert len(keys) == 3


def test_percent_encoding_of_arabic_slugs_is_normalised() -> None:
    raw = "https://almadapaper.net/category/محليات/"
    lower = "https://almadapaper.net/category/%d9%85%d8%ad%d9%84%d9%8a%d8%a7%d8%aa/"
    assert normalise_url(raw) == normalise_url(lower) == (
        "https://almadapaper.net/category/%D9%85%D8%AD%D9%84%D9%8A%D8%A7%D8%AA/")


def test_url_key_folds_amp_and_trailing_slash_and_sorts_query() -> None:
    assert url_key("https://amp.example.com/news/1/amp/?b=2&a=1&gclid=x") == url_key("https://example.com/news/1?a=1&b=2")


def test_canonical_from_another_site_is_ignored() -> None:
    page = "https://hathalyoum.net/articles/3211743"
    assert canonical_url(page, "https://almadapaper.net/370980") == page
    assert canonical_url(page, "https://hathalyoum.net/articles/3211743?utm_campaign=x") == page


@pytest.mark.parametrize("declared", [
    "https://almadapaper.net/",  # a template that puts the home page in every canonical
    "https://almadapaper.net/category/%D9%85%D8%AD%D9%84%D9%8A%D8%A7%D8%AA/",  # or the section
])
def test_a_canonical_that_is_not_an_article_url_of_the_outlet_is_not_trusted(declared: str) -> None:
    almada = get_outlet("almada")
    pages = ["https://almadapaper.net/370980", "https://almadapaper.net/370981"]
    keys = {article_key(canonical_url(page, declared, almada), almada) for page in pages}
    assert len(keys) == 2, "two articles must not merge into one _id"
    assert canonical_url(pages[0], declared, almada) == pages[0]


def test_an_article_canonical_of_the_outlet_is_trusted() -> None:
    basnews = get_outlet("basnews")
    page = "https://www.basnews.com/ar/detail/919701?utm_source=x"
    assert canonical_url(page, "https://www.basnews.com/ar/babat/919701", basnews) == (
        "https://www.basnews.com/ar/babat/919701")


@pytest.mark.parametrize(("page", "declared", "expected"), [
    ("https://news.example/politics/2024/vote-count", "https://news.example/", "https://news.example/politics/2024/vote-count"),
    ("https://news.example/politics/2024/vote-count", "https://news.example/politics/",
     "https://news.example/politics/2024/vote-count"),
    ("https://news.example/p/1842?fbclid=x", "https://news.example/politics/vote-count", "https://news.example/politics/vote-count"),
])
def test_without_an_outlet_home_and_section_canonicals_are_not_trusted(page: str, declared: str, expected: str) -> None:
    assert canonical_url(page, declared) == expected


def test_wordpress_outlets_accept_date_permalinks() -> None:
    almada = get_outlet("almada")
    assert almada.is_article_url("https://almadapaper.net/2022/09/14/some-slug/")
    assert almada.is_article_url("https://almadapaper.net/370980")
    assert not almada.is_article_url("https://almadapaper.net/category/x/")
    assert not get_outlet("basnews").is_article_url("https://www.basnews.com/2022/09/14/some-slug/")
    keys = {article_key(u, almada) for u in ("https://almadapaper.net/2022/09/14/a/", "https://almadapaper.net/2022/09/14/b/")}
    assert len(keys) == 2

"""Property-based fuzzing of the parsers that read what outlets send.

Inputs are real pages (tests/fixtures/extraction) and real feeds/sitemaps (tests/replicas) damaged
by mutations: byte flips, truncation, inserted control characters and NULs, deep nesting, JSON-LD
whose values have unexpected types, unparseable canonical/og:image URLs, wrong charsets, gzip.
Property: `extract_article` returns or raises ExtractionError; `parse_feed`/`parse_sitemap`
return or raise NotAFeedError. Nothing else may escape.

Deterministic in CI (derandomize, no example database). To search harder locally:
`FUZZ_EXAMPLES=2000 FUZZ_RANDOM=1 .venv/bin/python -m pytest tests/test_fuzz.py`.
Every input that crashed is kept below as a plain regression test with its minimal input.
"""

from __future__ import annotations

import gzip
import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newscrawler.discovery import NotAFeedError, parse_feed, parse_sitemap
from newscrawler.extract import ExtractionError, extract_article

TESTS = Path(__file__).parent
FETCHED = datetime(2025, 10, 1, tzinfo=UTC)
ORIGIN = "https://example.net"


def _pages() -> list[tuple[str, bytes, str | None, str | None]]:
    pages = []
    for folder in sorted((TESTS / "fixtures" / "extraction").iterdir()):
        if (folder / "page.html").exists():
            meta = json.loads((folder / "meta.json").read_text("utf-8"))
            pages.append((meta["url"], (folder / "page.html").read_bytes(), meta.get("outlet"),
                          meta.get("content_type")))
    return pages


def _discovery_docs() -> list[bytes]:
    return [p.read_bytes().replace(b"{{ORIGIN}}", ORIGIN.encode())
            for p in sorted((TESTS / "replicas").glob("*/site/**/*.xml"))]


PAGES = _pages()
DOCS = _discovery_docs()

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "0")) or None
FUZZ = settings(max_examples=EXAMPLES or 250, deadline=None, derandomize=not os.environ.get("FUZZ_RANDOM"),
                database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# --- mutations ----------------------------------------------------------------------------------
BAD_URLS = ["http://[::1", "http://[::1]:99999/x", "https://host:port/", "http://exa mple.com/\x00", "//[", "::",
            "http://", "javascript:alert(1)", "http://%zz/", "\x00", "https://example.net/\ud800", "http://[v1.x]/",
            "http://a:-1/", "x" * 5000, "https://[::1]/", "file:///etc/passwd", "http://[::ffff:1.2.3.4/x"]
CHARSETS = ["utf-16", "utf-32", "utf-7", "windows-1256", "x-user-defined", "cp037", "bogus-charset", "iso-2022-jp",
            "utf-16le", "latin-1", "", "\x00", "utf-8\x01", "gb18030"]
CONTROL = st.sampled_from(["\x00", "\x01", "\x0b", "\x0c", "\x1b", "\x7f", "\ufeff", "\ufffe", "\ud800", "\x85",
                           "\u2028", "\x00" * 64, "&#0;", "&#x1;", "&#xD800;", "&#1114112;", "]]>", "<![CDATA["])
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats() | st.text(max_size=20)
    | st.sampled_from(BAD_URLS),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["@type", "name", "url", "contentUrl", "@graph", "headline", "x"]), inner, max_size=4),
    max_leaves=10)
JSON_LD_KEYS = ["articleSection", "image", "author", "headline", "keywords", "publisher", "datePublished",
                "dateModified", "dateCreated", "name", "@graph", "url", "mainEntityOfPage"]


@st.composite
def json_ld(draw: st.DrawFn) -> str:
    obj = {"@type": draw(st.sampled_from(["NewsArticle", ["NewsArticle", 3], "WebPage", "Organization", None, 7]))}
    for key in draw(st.lists(st.sampled_from(JSON_LD_KEYS), max_size=6, unique=True)):
        obj[key] = draw(JSON_VALUES)
    wrap = draw(st.sampled_from(["obj", "list", "graph", "raw"]))
    if wrap == "raw":
        return draw(st.sampled_from(["{", "[1,", "null", "1e999", '"x"', "[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]"]))
    data = obj if wrap == "obj" else [obj] if wrap == "list" else {"@graph": [obj, draw(JSON_VALUES)]}
    return json.dumps(data, allow_nan=True)


def _insert(body: bytes, pos: int, piece: bytes) -> bytes:
    pos %= len(body) + 1
    return body[:pos] + piece + body[pos:]


@st.composite
def mutation(draw: st.DrawFn, html: bool):  # type: ignore[no-untyped-def]
    pos = draw(st.integers(0, 2**31))
    kinds = ["flip", "truncate", "control", "nest", "delete", "tag"]
    kinds += ["jsonld", "url", "charset"] if html else ["entry", "doctype"]
    kind = draw(st.sampled_from(kinds))
    if kind == "flip":
        return kind, pos, draw(st.integers(1, 255))
    if kind in ("truncate", "delete"):
        return kind, pos, draw(st.integers(1, 4096))
    if kind == "control":
        return kind, pos, draw(CONTROL).encode("utf-8", "surrogatepass")
    if kind == "nest":
        tag = draw(st.sampled_from(["div", "p", "table", "a", "b", "item", "url", "span", "x:y"]))
        depth = draw(st.sampled_from([10, 300, 3000, 20000]))
        return kind, pos, (f"<{tag}>" * depth).encode()
    if kind == "tag":
        return kind, pos, draw(st.sampled_from(["<", ">", "</", "<!--", "-->", "<?xml", "&", "&amp", "&#", "\"", "'",
                                                "<script>", "</html>", "<body>", "<html>"])).encode()
    if kind == "jsonld":
        return kind, pos, f'<script type="application/ld+json">{draw(json_ld())}</script>'.encode(
            "utf-8", "surrogatepass")
    if kind == "url":
        url = draw(st.sampled_from(BAD_URLS) | st.text(max_size=30))
        name = draw(st.sampled_from(['link rel="canonical" href', 'meta property="og:image" content',
                                     'meta property="og:url" content', 'meta name="twitter:image" content',
                                     'a href', 'link rel="amphtml" href']))
        return kind, pos, f'<{name}="{url}">'.encode("utf-8", "surrogatepass")
    if kind == "charset":
        return kind, pos, draw(st.sampled_from(CHARSETS)).encode("utf-8", "surrogatepass")
    if kind == "entry":
        url = draw(st.sampled_from(BAD_URLS) | st.text(max_size=30))
        shape = draw(st.sampled_from(["<item><link>{}</link><pubDate>{}</pubDate></item>",
                                      '<entry><link href="{}"/><updated>{}</updated></entry>',
                                      "<url><loc>{}</loc><lastmod>{}</lastmod></url>",
                                      "<sitemap><loc>{}</loc><news:publication_date>{}</news:publication_date></sitemap>",
                                      "<item><guid>{}</guid><dc:date>{}</dc:date></item>"]))
        date = draw(st.sampled_from(["", "2025-13-45", "9999-12-31T23:59:59-23:59", "0000-00-00", "Mon, 99 Foo 2025",
                                     "1" * 400, "2025-01-01T00:00:00+9999", "٢٠٢٥-٠١-٠١"]))
        return kind, pos, shape.format(url.replace("&", "&amp;").replace("<", "&lt;"), date).encode(
            "utf-8", "surrogatepass")
    return kind, pos, draw(st.sampled_from([
        '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>',
        '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>', '<?xml version="1.0" encoding="utf-16"?>',
        '<?xml version="1.0" encoding="bogus"?>', '<?xml version="1.1" encoding="windows-1256"?>'])).encode()


def mutate(body: bytes, mutations: list) -> bytes:  # type: ignore[type-arg]
    for kind, pos, arg in mutations:
        if kind in ("flip", "delete") and not body:
            continue
        if kind == "flip":
            i = pos % len(body)
            body = body[:i] + bytes([body[i] ^ arg]) + body[i + 1:]
        elif kind == "truncate":
            body = body[: pos % (len(body) + 1)]
        elif kind == "delete":
            i = pos % len(body)
            body = body[:i] + body[i + arg:]
        elif kind == "charset":
            body = body.replace(b'charset="utf-8"', b'charset="' + arg + b'"').replace(
                b"charset=utf-8", b"charset=" + arg).replace(b'charset="UTF-8"', b'charset="' + arg + b'"')
            body = _insert(body, body.find(b"<head>") + 6 if b"<head>" in body else 0,
                           b'<meta charset="' + arg + b'">')
        elif kind == "doctype":
            body = arg + body.split(b"?>", 1)[-1] if body.startswith(b"<?xml") else arg + body
            body = body.replace(b"<loc>", b"<loc>&d;", 1).replace(b"<link>", b"<link>&e;", 1)
        elif kind in ("jsonld", "url") and b"</head>" in body and pos % 2:
            body = body.replace(b"</head>", arg + b"</head>", 1)  # where real pages put them
        elif kind == "nest":
            body = _insert(body, pos, arg)
        else:
            body = _insert(body, pos, arg)
    return body


# --- properties ---------------------------------------------------------------------------------
def check_extract(html: bytes | str, url: str, outlet: str | None = None, content_type: str | None = None) -> None:
    try:
        extract_article(html, url, outlet, content_type=content_type, fetched_at=FETCHED)
    except ExtractionError:
        pass


def check_discovery(body: bytes, base_url: str = ORIGIN + "/feed/") -> None:
    for parse in (parse_feed, lambda b, u: parse_sitemap(b, u)[1]):
        try:
            for entry in parse(body, base_url):
                assert isinstance(entry.url, str) and entry.url.startswith(("http://", "https://"))
        except NotAFeedError:
            pass


@FUZZ
@given(page=st.sampled_from(PAGES), mutations=st.lists(mutation(html=True), min_size=1, max_size=4),
       content_type=st.sampled_from([None, "keep", "text/html; charset=utf-16", "text/html; charset=bogus",
                                     "text/html; charset=windows-1256", "application/octet-stream"]))
def test_extract_article_on_damaged_pages(page, mutations, content_type) -> None:  # type: ignore[no-untyped-def]
    url, body, outlet, declared = page
    check_extract(mutate(body, mutations), url, outlet, declared if content_type == "keep" else content_type)


@settings(FUZZ, max_examples=EXAMPLES or 120)
@given(page=st.sampled_from(PAGES), values=st.lists(json_ld(), min_size=1, max_size=3),
       url=st.sampled_from(BAD_URLS) | st.text(max_size=20))
def test_extract_article_with_hostile_metadata(page, values, url) -> None:  # type: ignore[no-untyped-def]
    page_url, body, outlet, declared = page
    head = "".join(f'<script type="application/ld+json">{v}</script>' for v in values)
    head += f'<link rel="canonical" href="{url}"><meta property="og:image" content="{url}">'
    body = body.replace(b"<head>", b"<head>" + head.encode("utf-8", "surrogatepass"), 1)
    check_extract(body, page_url, outlet, declared)


@settings(FUZZ, max_examples=EXAMPLES or 400)
@given(doc=st.sampled_from(DOCS), mutations=st.lists(mutation(html=False), min_size=1, max_size=5),
       gzipped=st.sampled_from([False, False, True]))
def test_discovery_parsers_on_damaged_feeds_and_sitemaps(doc, mutations, gzipped) -> None:  # type: ignore[no-untyped-def]
    body = mutate(doc, mutations)
    if gzipped:  # gzip first, then damage the compressed stream too
        body = mutate(gzip.compress(body), [m for m in mutations if m[0] in ("flip", "truncate")])
    check_discovery(body)


# --- regressions: every input that crashed, minimal ---------------------------------------------
MINIMAL = '<html><head>{}</head><body><h1>عنوان الخبر</h1><p>{}</p></body></html>'
TEXT = "نص الخبر الكامل عن المياه في المحافظة وما قاله المسؤولون عن الخطة الزراعية. " * 6


def minimal_page(head: str = "", body: str = TEXT) -> str:
    return MINIMAL.format(head, body)


@pytest.mark.parametrize("url", ["http://[::1", "http://[::1]:99999/x", "https://host:port/", "http://[v1.x]/"])
def test_regression_unparseable_canonical_and_image_urls_are_ignored(url: str) -> None:
    head = f'<link rel="canonical" href="{url}"><meta property="og:image" content="{url}">'
    article = extract_article(minimal_page(head), "https://example.net/news/1", fetched_at=FETCHED)
    assert article.canonical_url == "https://example.net/news/1"
    assert article.text


@pytest.mark.parametrize("value", [
    {"articleSection": {"name": "سياسة"}}, {"articleSection": [{"x": 1}]}, {"articleSection": []},
    {"articleSection": 7}, {"articleSection": [None]}, {"image": [{"url": 5}]}, {"image": {"url": ["a", "b"]}},
    {"image": 3.5}, {"author": 12}, {"author": [{"name": 3}, None]}, {"headline": ["a"]}, {"headline": 1},
    {"keywords": 5}, {"keywords": [1, None, "وسم"]}, {"publisher": {"name": {"x": 1}}}, {"datePublished": 20250101},
    {"datePublished": ["2025-01-01"]}, {"@type": [["NewsArticle"]]}, {"@type": {"x": 1}},
    {"image": {"url": "http://[::1"}},
])
def test_regression_json_ld_values_of_unexpected_types(value: dict) -> None:  # type: ignore[type-arg]
    data = {"@type": "NewsArticle", **value}
    head = f'<script type="application/ld+json">{json.dumps(data)}</script>'
    article = extract_article(minimal_page(head), "https://example.net/news/1", fetched_at=FETCHED)
    assert article.text
    assert article.section is None or isinstance(article.section, str)
    assert article.image_url is None or isinstance(article.image_url, str)


@pytest.mark.parametrize("html", [
    minimal_page(body="\x00" * 10 + TEXT), minimal_page(body=TEXT + "\x01\x0b\x1b\x7f"), "\x00<html>" + TEXT,
    minimal_page(body="<div>" * 20000 + TEXT), minimal_page(body=TEXT + "\ud800"),
])
def test_regression_control_characters_and_deep_nesting(html: str) -> None:
    check_extract(html, "https://example.net/news/1")
    check_extract(html.encode("utf-8", "surrogatepass"), "https://example.net/news/1")


@pytest.mark.parametrize("charset", ["utf-16", "utf-32", "x-user-defined", "bogus", "cp037", "utf-7"])
def test_regression_wrong_charsets(charset: str) -> None:
    html = minimal_page(f'<meta charset="{charset}">').encode("utf-8")
    check_extract(html, "https://example.net/news/1")
    check_extract(html, "https://example.net/news/1", content_type=f"text/html; charset={charset}")


@pytest.mark.parametrize("body", [
    b"<rss><channel><item><link>http://[::1</link></item></channel></rss>",
    b"<urlset><url><loc>https://example.net:port/</loc></url></urlset>",
    b"<rss><item><link>\x00</link></item></rss>",
    b'<?xml version="1.0" encoding="utf-16"?><rss/>',
    b"\x1f\x8b", b"\x1f\x8b\x08\x00", gzip.compress(b"<rss/>", mtime=0)[:-3],
    b"<rss>" + b"<item>" * 20000,
    b"<x:y><urlset><url><loc>https://example.net/1/</loc></url></urlset>",  # undeclared prefix
    # a namespace that recovery keeps as invalid UTF-8: lxml raises reading the tag
    b'<urlset xmlns="&#xD800;http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://example.net/1/</loc></url></urlset>',
    b'<rss><channel><item xmlns="&#xD800;"><link>https://example.net/1/</link></item></channel></rss>',
])
def test_regression_discovery_inputs(body: bytes) -> None:
    check_discovery(body)


def test_regression_control_character_inside_the_page() -> None:
    """A \\x01 inserted in a real page's body: lxml refused the text when pruning (drop_tree)."""
    page = next(p for p in PAGES if "/912384/" in p[0])
    body = mutate(page[1], [("control", 46498, b"\x01")])
    check_extract(body, page[0], page[2], page[3])
    check_extract(body.decode("utf-8"), page[0], page[2])


@pytest.mark.parametrize("headline", ["0\b", "عنوان\u0000الخبر", "\ud800", "\ufffe"])
def test_regression_control_characters_in_json_ld_strings(headline: str) -> None:
    """A JSON-LD headline with an escaped control character became an XPath variable lxml refused."""
    data = json.dumps({"@type": "NewsArticle", "headline": headline, "author": {"name": headline}})
    article = extract_article(minimal_page(f'<script type="application/ld+json">{data}</script>'),
                              "https://example.net/news/1", fetched_at=FETCHED)
    assert article.text


def test_regression_deeply_nested_json_ld() -> None:
    data = "[" * 100_000 + "]" * 100_000
    article = extract_article(minimal_page(f'<script type="application/ld+json">{data}</script>'),
                              "https://example.net/news/1", fetched_at=FETCHED)
    assert article.text

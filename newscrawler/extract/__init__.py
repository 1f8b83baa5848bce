"""Article extraction as a plain function of (html, url, outlet): no Scrapy, no database.

The crawl, the `newscrawler extract` CLI and the fixture tests all call `extract_article`, so it
can also run in a process pool.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from functools import cache

from lxml import etree
from lxml.html import HtmlElement, HTMLParser
from lxml.html import fromstring as html_fromstring

from newscrawler.article import Article
from newscrawler.dedup.canonical import canonical_url, same_site
from newscrawler.extract.body import clean_lines, generic_text
from newscrawler.extract.boilerplate import BYLINE, SOURCE_LINE
from newscrawler.extract.decode import UndecodableError, decode_html
from newscrawler.extract.layout import split_br_paragraphs, unwrap_layout_tables
from newscrawler.extract.metadata import Furniture, PageMetadata, read_metadata, site_marks
from newscrawler.extract.pagedates import after_headline, find_dates
from newscrawler.extract.structure import (
    drop_captions,
    drop_form_widgets,
    drop_structural_teasers,
    find_headline,
    recover_lede,
)
from newscrawler.normalise.language import detect_language
from newscrawler.normalise.text import clean_whitespace, match_key
from newscrawler.outlets import Outlet, all_outlets, outlet_for_url

__all__ = ["ExtractionError", "extract_article"]

log = logging.getLogger(__name__)

_TITLE_SEPARATORS = re.compile(r"\s+[|\-–—:•»«]\s+|\s+::\s+")
_GENERIC_SITE_WORDS = frozenset(match_key(w) for w in (
    "نيوز", "news", "وكالة", "شبكة", "جريدة", "صحيفة", "موقع", "قناة", "tv", "المحرر", "محرر", "admin",
    "editor", "فريق التحرير", "هيئة التحرير", "staff", "desk", "agency", "agencies", "وكالات",
    "عن الكاتب", "الكاتب", "الإخبارية", "الاخبارية", "الإخباري", "نت", "times", "post", "press", "about the author", "ديجيتال", "دیجیتاڵ", "digital", "online", "اونلاين", "مراسلنا", "متابعة", "خاص",
))
# trafilatura drops non-printable characters, ZWNJ included, but ZWNJ is orthography in Persian and
# Sorani (راه‌آهن): it travels through extraction as a printable stand-in and is restored after.
_ZWNJ, _ZWNJ_STANDIN = "\u200c", "\ufffc"
# Larger pages are not one article: refused (ExtractionError, the raw page quarantined) rather
# than stall the crawl. Paragraph-like elements: the 181 pages of the Zyte benchmark have at most
# 543 (median 128); a 3 MB page of 60,000 short paragraphs took 25 s to extract.
MAX_HTML_CHARS = 5_000_000
MAX_TEXT_BLOCKS = 8_000
# Social-media embeds quoted inside bodies (tweets show as raw text: "… pic.twitter.com/…").
EMBED_XPATHS = (
    '//blockquote[contains(@class, "twitter-tweet") or contains(@class, "instagram-media") '
    'or contains(@class, "tiktok-embed") or contains(@class, "twitter-video")]',
    '//div[contains(concat(" ", normalize-space(@class), " "), " fb-post ")]',
)


class ExtractionError(ValueError):
    """The input cannot yield an article (undecodable, not HTML, or no body text)."""


@cache
def _registry_name_keys() -> frozenset[str]:
    return frozenset(match_key(o.display_name) for o in all_outlets().values())


def _site_name_keys(meta: PageMetadata, outlet: Outlet | None) -> set[str]:
    """Names of sites (this page's and every registered outlet's): never a title part or author."""
    names = list(meta.site_names)
    if outlet:
        names += [outlet.display_name, outlet.name, *outlet.domains]
    return {k for k in (match_key(n) for n in names) if k} | _registry_name_keys()


def _own_site_keys(meta: PageMetadata, outlet: Outlet | None) -> set[str]:
    names = [*meta.site_names, *((outlet.display_name, outlet.name) if outlet else ())]
    return {k for k in (match_key(n) for n in names) if k}


def _clean_title(meta: PageMetadata, site_keys: set[str], tree: HtmlElement) -> str:
    for candidate in meta.title_candidates:
        parts = [p for p in _TITLE_SEPARATORS.split(candidate) if p.strip()]
        kept = [p for p in parts if not _names_site(p, site_keys)]
        if len(parts) > 1 and meta.h1 and any(match_key(p) == match_key(meta.h1) for p in parts):
            return meta.h1.strip()
        if len(kept) > 1:  # an unknown site's name: where the site writes it (logo, copyright) …
            marks = {k for k in (match_key(m) for m in site_marks(tree)) if k}
            kept = [p for p in kept if not _names_site(p, marks)] or kept
        if len(kept) > 1:  # … or a short part made of "شبكة/موقع/news …" words
            named = [p for p in kept if len(p.split()) <= 4 and set(match_key(p).split()) & _GENERIC_SITE_WORDS]
            kept = [p for p in kept if p not in named] or kept
        title = " - ".join(kept).strip() if len(kept) < len(parts) else candidate.strip()
        if title:
            return title
    return ""


def _names_site(part: str, site_keys: set[str]) -> bool:
    key = match_key(part)
    return key in site_keys or any(key and key in k for k in site_keys if len(key) > 3)


def _is_person(name: str, site_keys: set[str]) -> bool:
    key = match_key(name)
    if not key or key in site_keys or any(key in s or s in key for s in site_keys if len(s) > 3):
        return False
    words = key.split()
    if re.search(r"\d", key):
        return False
    if any(w in _GENERIC_SITE_WORDS for w in words) or key in _GENERIC_SITE_WORDS:
        return False
    return 1 <= len(words) <= 5 and not key.startswith("http")


def _people(names: list[str], site_keys: set[str]) -> list[str]:
    out: list[str] = []
    for name in names:
        name = re.split(r"\s+(?:في|on|في تاريخ)\s+", name)[0]  # "بواسطة X في الثلاثاء …"
        for part in re.split(r"\s*(?:,|،| و | and )\s*", name):
            part = _BYLINE_PREFIX.sub("", part.strip()).strip(" -–|/:")
            if part and _is_person(part, site_keys) and part not in out:
                out.append(part)
    return out


_BYLINE_PREFIX = re.compile(
    r"^(?:By|Written by|بقلم|كتب|كتبت|كتبه|بواسطة|أرسل بواسطة|ارسل بواسطة|الكاتب|المحرر|إعداد|اعداد|تحرير|نویسنده)"
    r"\s*[:：]?\s*", re.IGNORECASE)
_BLOCK_TAG = re.compile(r"<\s*/?\s*(?:p|div|br|li|td|tr|h[1-6]|section|article|header|footer|span)\b[^>]*>", re.I)
_SOURCE_WORDS = re.compile(r"المصدر|مصدر الخبر|نقلا عن|نقلاً عن|Source\s*:")
_ANY_TAG = re.compile(r"<[^>]+>")
_DATELINE_AUTHOR = re.compile(r"^[^\s/]{2,20}\s*/\s*(?P<name>[^\s/\d][^/\d]{2,40})$")


def _byline_after(headline: HtmlElement | None, furniture: Furniture) -> list[str]:
    for el in after_headline(headline, furniture):
        text = " ".join(el.text_content().split())
        match = BYLINE.match(text) if len(text) < 120 else None
        if match:
            return [match["name"]]
    return []


def _page_source_name(html_text: str) -> str | None:
    """A source credit anywhere on the page ("المصدر: …", "مصدر الخبر / …"), e.g. an aggregator's
    header line that generic extraction leaves out of the body."""
    if not _SOURCE_WORDS.search(html_text):
        return None
    flat = _ANY_TAG.sub(" ", _BLOCK_TAG.sub("\n", html_text[:400_000]))
    for line in flat.split("\n"):
        line = " ".join(line.split())
        if 4 < len(line) < 100:
            match = SOURCE_LINE.match(line)
            if match:
                return match["name"].strip(" .:-–/")
    return None


_SOURCE_LINK_TEXT = re.compile(
    r"قراءة الخبر من المصدر|اقرأ الخبر من المصدر|رابط الخبر الأصلي|رابط الخبر الاصلي|المصدر الأصلي|الخبر الأصلي|"
    r"read the original|original article|source link", re.IGNORECASE)


def _source_link(tree: HtmlElement, url: str) -> str | None:
    """The original article's URL on a syndicated copy ("يمكن قراءة الخبر من المصدر من هنا")."""
    for link in tree.iter("a"):
        href = (link.get("href") or "").strip()
        if href.startswith(("http://", "https://")) and _SOURCE_LINK_TEXT.search(link.text_content() or ""):
            if not same_site(href, url):
                return href
    return None


def _credited_source(candidates: list[str | None], site_keys: set[str]) -> str | None:
    """The first credited outlet that is not the page's own site."""
    for name in candidates:
        if name and match_key(name) not in site_keys and not any(
                match_key(name) in k or k in match_key(name) for k in site_keys if len(k) > 4):
            return name
    return None


def _restore_zwnj(article: Article) -> None:
    for name in ("title", "text", "section", "source_name"):
        value = getattr(article, name)
        if value:
            setattr(article, name, value.replace(_ZWNJ_STANDIN, _ZWNJ))
    article.authors = [a.replace(_ZWNJ_STANDIN, _ZWNJ) for a in article.authors]
    article.tags = [t.replace(_ZWNJ_STANDIN, _ZWNJ) for t in article.tags]


_PARSER = HTMLParser(collect_ids=False, default_doctype=False, encoding="utf-8", remove_comments=True, remove_pis=True)


def parse_html(text: str) -> HtmlElement:
    """Parse as trafilatura does (UTF-8 bytes, comments and processing instructions dropped):
    trafilatura's content scoring was measured 0.1-0.5 recall worse on some pages parsed otherwise."""
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)
    try:
        tree = html_fromstring(text.encode("utf-8", "surrogatepass"), parser=_PARSER)
    except (etree.ParserError, ValueError) as exc:
        raise ExtractionError(f"not parseable as HTML: {exc}") from exc
    if tree is None or not isinstance(tree.tag, str):
        raise ExtractionError("not parseable as HTML")
    root = tree.getroottree().getroot()
    return root


def extract_article(
    html: bytes | str,
    url: str,
    outlet: Outlet | str | None = None,
    *,
    content_type: str | None = None,
    fetched_at: datetime | None = None,
) -> Article:
    """Extract the article in `html` fetched from `url`.

    `outlet` (a registry name or Outlet) adds its pruning rules and timezone; None, or a name not
    in the registry, looks it up by URL. Raises ExtractionError when there is no article to extract.
    """
    if isinstance(outlet, str):
        outlet = all_outlets().get(outlet)  # an unregistered name: generic rules only
    outlet = outlet or outlet_for_url(url)
    now = fetched_at or datetime.now(UTC)
    tz = outlet.timezone if outlet else "Asia/Baghdad"
    try:
        text, _encoding = decode_html(html, content_type)
    except UndecodableError as exc:
        raise ExtractionError(str(exc)) from exc
    if len(text) > MAX_HTML_CHARS:
        raise ExtractionError(f"page too large for an article ({len(text)} characters)")
    if not re.search(r"<\s*(html|body|p|div|article)\b", text[:200_000], re.I):
        raise ExtractionError("no HTML markup found")
    protected = _ZWNJ in text
    if protected:
        text = text.replace(_ZWNJ_STANDIN, "").replace(_ZWNJ, _ZWNJ_STANDIN)
    tree = parse_html(text)
    blocks = int(tree.xpath("count(//p|//li|//br|//tr)"))
    if blocks > MAX_TEXT_BLOCKS:
        raise ExtractionError(f"page too large for an article ({blocks} paragraphs, lines and rows)")

    furniture = Furniture(tree)
    meta = read_metadata(tree, url, furniture)
    site_keys = _site_name_keys(meta, outlet)
    title = _clean_title(meta, site_keys, tree)
    headline = find_headline(tree, title)
    page_source = _page_source_name(text)
    source_url = _source_link(tree, url) if page_source else None
    # Before pruning: date lines often sit in regions that pruning removes (post-meta, info bars).
    published, modified = find_dates(tree, meta.published, meta.modified, headline, tz, now, furniture, url)

    drop_structural_teasers(tree)
    drop_captions(tree)
    drop_form_widgets(tree)
    unwrap_layout_tables(tree)
    split_br_paragraphs(tree)
    prune = [*EMBED_XPATHS, *(outlet.prune_xpaths if outlet else ())]
    lines = generic_text(tree, url, prune)
    drop_keys = frozenset(match_key(x) for x in (outlet.drop_lines if outlet else ())) | frozenset(site_keys)
    body = clean_lines(lines, title, drop_keys, frozenset(_own_site_keys(meta, outlet)))
    if not body.paragraphs:
        raise ExtractionError("no article text found")
    body.paragraphs[:0] = recover_lede(tree, body.paragraphs[0], {match_key(x) for x in lines}, furniture)
    first = body.paragraphs[0]
    dateline_author = _DATELINE_AUTHOR.match(first) if len(first.split()) <= 6 else None
    authors = _people(meta.authors, site_keys) or _people(meta.bylines + body.bylines, site_keys)
    if dateline_author and not authors:
        authors = _people([dateline_author["name"]], site_keys)
    if not authors:  # a byline line under the headline that generic extraction left out
        authors = _people(_byline_after(headline, furniture), site_keys)

    article = Article(
        url=url,
        outlet=outlet.name if outlet else None,
        title=title,
        text="\n".join(body.paragraphs),
        canonical_url=canonical_url(url, meta.canonical_url, outlet),
        published_at=published,
        modified_at=modified if modified and (published is None or modified >= published) else None,
        authors=authors,
        section=clean_whitespace(meta.section) if meta.section else None,
        tags=[t for t in dict.fromkeys(clean_whitespace(t) for t in meta.tags) if t],
        image_url=meta.image_url,
        source_name=_credited_source([body.source_name, page_source], _own_site_keys(meta, outlet)),
        source_url=source_url,
        fetched_at=now,
    )
    if protected:
        _restore_zwnj(article)
    article.language = detect_language(article.text, hint=meta.lang)
    if not title:
        article.warnings.append("no_title")
    if published is None:
        article.warnings.append("no_date")
    return article

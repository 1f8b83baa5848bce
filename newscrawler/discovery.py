"""Where article URLs come from: feeds, sitemaps and listing pages (pure parsing, no Scrapy).

Each entry carries the date the source gives (pubDate, lastmod, news:publication_date) so that
items older than a crawl's `since` are skipped before anything is fetched.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin, urlsplit

from lxml import etree

from newscrawler.normalise.dates import parse_machine_date


@dataclass(frozen=True)
class Entry:
    url: str
    date: datetime | None = None  # UTC


class NotAFeedError(ValueError):
    """The body is not a parseable RSS/Atom/sitemap XML document."""


# The most a feed/sitemap may take once decompressed (spider setting DISCOVERY_MAX_BYTES): a
# gzipped sitemap served as a plain file is decompressed here, and 1 MB of gzip can expand to GBs.
MAX_BYTES = 50 * 1024 * 1024
_CHUNK = 1024 * 1024


class Entries(list[Entry]):
    """The entries of one feed/sitemap; `bad` counts the entries skipped as malformed."""

    bad: int = 0


def _gunzip(body: bytes, max_bytes: int) -> bytes:
    """Decompress gzip (all members) in bounded chunks: more than `max_bytes` of output, a corrupt
    stream or a truncated one raise NotAFeedError instead of being used."""
    out: list[bytes] = []
    total = 0
    data = body
    while data:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        while not inflater.eof:
            try:
                chunk = inflater.decompress(data, min(_CHUNK, max_bytes - total + 1))
            except zlib.error as exc:
                raise NotAFeedError(f"corrupt gzip data: {exc}") from exc
            total += len(chunk)
            if total > max_bytes:
                raise NotAFeedError(f"gzip data expands beyond {max_bytes} bytes (decompression bomb?)")
            out.append(chunk)
            data = inflater.unconsumed_tail
            if not chunk and not data:
                break  # input exhausted before the end of the stream
        if not inflater.eof:
            raise NotAFeedError(f"truncated gzip data ({len(body)} bytes, {total} decompressed)")
        data = inflater.unused_data
        if not data.strip(b"\0"):  # trailing NUL padding is tolerated, like gzip(1) does
            break
        if data[:2] != b"\x1f\x8b":
            raise NotAFeedError("trailing garbage after gzip data")
    return b"".join(out)


def _xml(body: bytes, max_bytes: int = MAX_BYTES) -> etree._Element:
    if body[:2] == b"\x1f\x8b":
        body = _gunzip(body, max_bytes)
    elif len(body) > max_bytes:
        raise NotAFeedError(f"document larger than {max_bytes} bytes")
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(body.lstrip(), parser=parser)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise NotAFeedError(str(exc) or type(exc).__name__) from exc
    if root is None or not _kind(root):
        raise NotAFeedError("empty or non-XML document")
    return root


def _entry(base_url: str, link: str, raw_date: str | None, tz: str) -> Entry:
    """One entry; ValueError when its URL is malformed (e.g. `http://[::1`, a bad port)."""
    url = urljoin(base_url, link.strip())
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an absolute http(s) URL: {url[:200]!r}")
    _ = parts.port  # raises ValueError for a non-numeric or out-of-range port
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise ValueError(f"control character in URL: {url[:200]!r}")
    try:
        date = parse_machine_date(raw_date, tz) if raw_date else None
    except (ValueError, OverflowError, TypeError):
        date = None  # an unreadable date does not lose the article
    return Entry(url, date)


def _local(tag: object) -> str:
    # "{ns}name", or "prefix:name" when recovery kept an undeclared prefix (QName() rejects that)
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1].lower() if isinstance(tag, str) else ""


def _kind(el: etree._Element) -> str:
    """The element's local name, lowercase; "" for comments/PIs and for a name that recovery kept
    but that is not valid UTF-8 (lxml raises on reading it)."""
    try:
        return _local(el.tag)
    except ValueError:
        return ""


def _child_text(el: etree._Element, *names: str) -> str | None:
    for child in el:
        if _kind(child) in names and (child.text or "").strip():
            return child.text.strip()
    return None


def _feed_entry(item: etree._Element, kind: str, base_url: str, tz: str) -> Entry | None:
    link = None
    if kind == "entry":
        for child in item:
            if _kind(child) == "link" and child.get("rel", "alternate") == "alternate":
                link = child.get("href")
                break
    link = link or _child_text(item, "link") or _child_text(item, "guid")
    if not link:
        return None
    raw_date = _child_text(item, "pubdate", "published", "date", "updated", "issued")
    return _entry(base_url, link, raw_date, tz)


def _sitemap_entry(node: etree._Element, base_url: str, tz: str) -> Entry | None:
    loc = _child_text(node, "loc")
    if not loc:
        return None
    published = None
    for sub in node.iter():
        if _kind(sub) == "publication_date" and (sub.text or "").strip():
            published = sub.text.strip()
    raw = published or _child_text(node, "lastmod")
    return _entry(base_url, loc, raw, tz)


def parse_feed(body: bytes, base_url: str, tz: str = "Asia/Baghdad", max_bytes: int = MAX_BYTES) -> Entries:
    """RSS 2.0 / RSS 1.0 / Atom items: link and publication date. A malformed item is skipped
    and counted (`.bad`); a body that is not a feed raises NotAFeedError."""
    root = _xml(body, max_bytes)
    entries = Entries()
    for item in root.iter():
        kind = _kind(item)
        if kind not in ("item", "entry"):
            continue
        try:  # ValueError: a malformed URL, or text that is not valid UTF-8 after recovery
            entry = _feed_entry(item, kind, base_url, tz)
        except ValueError:
            entries.bad += 1
            continue
        if entry:
            entries.append(entry)
    return entries


def parse_sitemap(body: bytes, base_url: str, tz: str = "Asia/Baghdad",
                  max_bytes: int = MAX_BYTES) -> tuple[str, Entries]:
    """('index', child sitemaps) or ('urlset', page URLs); the date is news:publication_date if
    given (the article's), else lastmod (the page's last change: an upper bound). A malformed
    entry is skipped and counted (`.bad`); a body that is not XML raises NotAFeedError."""
    root = _xml(body, max_bytes)
    kind = "index" if _kind(root) == "sitemapindex" else "urlset"
    entries = Entries()
    for node in root:
        if _kind(node) not in ("sitemap", "url"):
            continue
        try:
            entry = _sitemap_entry(node, base_url, tz)
        except ValueError:
            entries.bad += 1
            continue
        if entry:
            entries.append(entry)
    return kind, entries


_PAGE_PARAM = re.compile(r"(?:[?&](?:page|paged|p|start|offset)=\d+|/page/\d+/?$)", re.IGNORECASE)


def is_pagination_of(candidate: str, listing: str) -> bool:
    """A link to another page of the same listing (`/page/2/`, `?page=2`)."""
    cand, base = urlsplit(candidate), urlsplit(listing)
    if cand.netloc != base.netloc or not _PAGE_PARAM.search(candidate):
        return False
    root = re.sub(r"/page/\d+/?$", "/", base.path).rstrip("/")
    return re.sub(r"/page/\d+/?$", "/", cand.path).rstrip("/") == root

"""Where article URLs come from: feeds, sitemaps and listing pages (pure parsing, no Scrapy).

Each entry carries the date the source gives (pubDate, lastmod, news:publication_date) so that
items older than a crawl's `since` are skipped before anything is fetched.
"""

from __future__ import annotations

import gzip
import re
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


def _xml(body: bytes) -> etree._Element:
    if body[:2] == b"\x1f\x8b":
        body = gzip.decompress(body)
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(body.lstrip(), parser=parser)
    except etree.XMLSyntaxError as exc:
        raise NotAFeedError(str(exc)) from exc
    if root is None:
        raise NotAFeedError("empty or non-XML document")
    return root


def _local(tag: object) -> str:
    return etree.QName(tag).localname.lower() if isinstance(tag, str) else ""


def _child_text(el: etree._Element, *names: str) -> str | None:
    for child in el:
        if _local(child.tag) in names and (child.text or "").strip():
            return child.text.strip()
    return None


def parse_feed(body: bytes, base_url: str, tz: str = "Asia/Baghdad") -> list[Entry]:
    """RSS 2.0 / RSS 1.0 / Atom items: link and publication date."""
    root = _xml(body)
    entries: list[Entry] = []
    for item in root.iter():
        kind = _local(item.tag)
        if kind not in ("item", "entry"):
            continue
        link = None
        if kind == "entry":
            for child in item:
                if _local(child.tag) == "link" and child.get("rel", "alternate") == "alternate":
                    link = child.get("href")
                    break
        link = link or _child_text(item, "link") or _child_text(item, "guid")
        if not link:
            continue
        raw_date = _child_text(item, "pubdate", "published", "date", "updated", "issued")
        entries.append(Entry(urljoin(base_url, link.strip()), parse_machine_date(raw_date, tz) if raw_date else None))
    return entries


def parse_sitemap(body: bytes, base_url: str, tz: str = "Asia/Baghdad") -> tuple[str, list[Entry]]:
    """('index', child sitemaps) or ('urlset', page URLs); the date is news:publication_date if
    given (the article's), else lastmod (the page's last change: an upper bound)."""
    root = _xml(body)
    kind = "index" if _local(root.tag) == "sitemapindex" else "urlset"
    entries: list[Entry] = []
    for node in root:
        if _local(node.tag) not in ("sitemap", "url"):
            continue
        loc = _child_text(node, "loc")
        if not loc:
            continue
        published = None
        for sub in node.iter():
            if _local(sub.tag) == "publication_date" and (sub.text or "").strip():
                published = sub.text.strip()
        raw = published or _child_text(node, "lastmod")
        entries.append(Entry(urljoin(base_url, loc), parse_machine_date(raw, tz) if raw else None))
    return kind, entries


_PAGE_PARAM = re.compile(r"(?:[?&](?:page|paged|p|start|offset)=\d+|/page/\d+/?$)", re.IGNORECASE)


def is_pagination_of(candidate: str, listing: str) -> bool:
    """A link to another page of the same listing (`/page/2/`, `?page=2`)."""
    cand, base = urlsplit(candidate), urlsplit(listing)
    if cand.netloc != base.netloc or not _PAGE_PARAM.search(candidate):
        return False
    root = re.sub(r"/page/\d+/?$", "/", base.path).rstrip("/")
    return re.sub(r"/page/\d+/?$", "/", cand.path).rstrip("/") == root

"""Page metadata from machine-readable sources: JSON-LD, <meta>, <link>, <time>, <html lang>.

Reads the parsed tree without modifying it. Text-based fallbacks (dates written in prose,
bylines inside the body) are the body cleaner's job.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml.html import HtmlElement

from newscrawler.extract.decode import xml_safe
from newscrawler.normalise.text import clean_whitespace

_ARTICLE_TYPES = {
    "article", "newsarticle", "reportagenewsarticle", "analysisnewsarticle", "blogposting",
    "opinionnewsarticle", "backgroundnewsarticle", "webpage", "socialmediaposting", "liveblogposting",
}
_PUBLISHED_META = (
    "article:published_time", "og:published_time", "datepublished", "pubdate", "publishdate",
    "publish-date", "publish_date", "dc.date.issued", "dcterms.created", "dc.date", "date",
    "sailthru.date", "parsely-pub-date", "article.published", "published_time",
)
_MODIFIED_META = (
    "article:modified_time", "og:updated_time", "datemodified", "lastmod", "last-modified",
    "dcterms.modified", "article.updated",
)


@dataclass
class PageMetadata:
    title_candidates: list[str] = field(default_factory=list)
    h1: str | None = None
    site_names: list[str] = field(default_factory=list)
    canonical_url: str | None = None
    published: list[str] = field(default_factory=list)  # raw machine date strings, best first
    modified: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    author_orgs: list[str] = field(default_factory=list)
    section: str | None = None
    tags: list[str] = field(default_factory=list)
    image_url: str | None = None
    lang: str | None = None
    bylines: list[str] = field(default_factory=list)  # texts of byline-like elements, raw


_BYLINE_XPATH = (
    '//*[@class or @itemprop or @rel or @property][contains(@class, "author") or contains(@class, "byline") or contains(@class, "writer") or '
    'contains(@class, "username") or contains(@itemprop, "author") or @rel="author" or '
    'contains(@rel, "has_creator") or contains(@property, "foaf:name")]'
    '[not(self::meta) and not(self::link) and not(self::img)]'
)
# Regions whose dates and names belong to something else (comments, teasers, page chrome).
_FURNITURE = re.compile(r"comment|sidebar|related|widget|footer|most|popular|ticker|respond|reply|side-|teaser")
_FURNITURE_TAGS = frozenset({"aside", "footer", "nav"})


class Furniture:
    """Which elements sit inside a comment thread, sidebar, related list, footer or nav.

    One top-down pass over the tree on first use, then O(1) lookups (dates and bylines ask about
    many elements; walking ancestors for each was the costliest part of metadata reading).
    """

    def __init__(self, tree: HtmlElement) -> None:
        self.tree = tree
        self._inside: set[HtmlElement] | None = None

    def _compute(self) -> set[HtmlElement]:
        inside: set[HtmlElement] = set()
        for el in self.tree.iter():
            if not isinstance(el.tag, str) or el.tag in ("body", "html"):
                continue  # page-level theme classes ("one-sidebar") say nothing
            parent = el.getparent()
            if parent is not None and parent in inside:
                inside.add(el)
                continue
            attrs = f"{el.get('class', '')} {el.get('id', '')}".lower()
            if el.tag in _FURNITURE_TAGS or (attrs.strip() and _FURNITURE.search(attrs)):
                inside.add(el)
        return inside

    def __contains__(self, el: HtmlElement) -> bool:
        if self._inside is None:
            self._inside = self._compute()
        return el in self._inside


def _text(el: HtmlElement) -> str:
    return clean_whitespace(" ".join(el.itertext())).replace("\n", " ").strip()


def _xml_safe_values(node: Any) -> Any:
    """JSON strings may hold escaped control characters ("\\u0008") that lxml refuses later."""
    if isinstance(node, str):
        return xml_safe(node)
    if isinstance(node, list):
        return [_xml_safe_values(v) for v in node]
    if isinstance(node, dict):
        return {k: _xml_safe_values(v) for k, v in node.items()}
    return node


def _json_ld_objects(tree: HtmlElement) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            found.append(node)
            if "@graph" in node:
                walk(node["@graph"])

    for script in tree.xpath('//script[contains(@type, "ld+json")]'):
        raw = (script.text or "").strip()
        if not raw:
            continue
        try:
            try:
                data = json.loads(raw)
            except json.JSONDecodeError:  # CMSs often leave raw newlines/tabs inside strings
                data = json.loads(re.sub(r"[\r\n\t]+", " ", raw))
            walk(_xml_safe_values(data))
        except (json.JSONDecodeError, RecursionError):  # unreadable, or absurdly deep: not metadata
            continue
    return found


def _types(obj: dict[str, Any]) -> set[str]:
    kind = obj.get("@type", [])
    return {str(k).lower() for k in (kind if isinstance(kind, list) else [kind])}


def _names(value: Any, people: list[str], orgs: list[str]) -> None:
    if isinstance(value, list):
        for v in value:
            _names(v, people, orgs)
    elif isinstance(value, dict):
        name = value.get("name")
        if isinstance(name, str) and name.strip():
            (orgs if "organization" in _types(value) or "newsmediaorganization" in _types(value) else people).append(
                name.strip()
            )
    elif isinstance(value, str) and value.strip():
        people.append(value.strip())


def _image(value: Any) -> str | None:
    if isinstance(value, list):
        return _image(value[0]) if value else None
    if isinstance(value, dict):
        return _image(value.get("url")) or _image(value.get("contentUrl"))
    return value if isinstance(value, str) else None


def _section(value: Any) -> str | None:
    """articleSection: a string, a list of them (the first), a number; objects give their name."""
    if isinstance(value, list):
        return next((s for s in (_section(v) for v in value) if s), None)
    if isinstance(value, dict):
        return _section(value.get("name")) if isinstance(value.get("name"), str) else None
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _absolute(base: str, ref: str) -> str | None:
    """`ref` resolved against `base`; None when it is not a parseable URL (`http://[::1`, a bad port)."""
    try:
        joined = urljoin(base, ref)
        _ = urlsplit(joined).port  # raises ValueError for a malformed host or port
    except ValueError:
        return None
    return joined


def site_marks(tree: HtmlElement) -> list[str]:
    """Where a site writes its own name: the masthead logo before the headline (its image's alt
    text, or a short text classed logo) and the copyright line. A title part found there is the
    site's name; logos further down (a credited source's box) are not."""
    marks: list[str] = []
    for el in tree.xpath('//body//*[contains(@class, "logo") or contains(@class, "Logo") or contains(@id, "logo") '
                         'or contains(@id, "Logo") or (self::a and (@href="/" or @href="./" '
                         'or starts-with(@href, "index.") or starts-with(@href, "default.")))][following::h1]'):
        marks += [a.strip() for a in el.xpath("descendant-or-self::img/@alt") if a.strip()]
        text = _text(el)
        if 0 < len(text) <= 60:
            marks.append(text)
    for text in tree.xpath('//body//text()[contains(., "©") or contains(., "حقوق") or contains(., "Copyright") '
                           'or contains(., "مافێک")]'):
        if len(text.strip()) <= 120:
            marks.append(text.strip())
    return marks


def read_metadata(tree: HtmlElement, url: str, furniture: Furniture | None = None) -> PageMetadata:
    furniture = furniture or Furniture(tree)
    meta = PageMetadata()
    metas: dict[str, list[str]] = {}
    for el in tree.iter("meta"):
        key = (el.get("property") or el.get("name") or el.get("itemprop") or "").strip().lower()
        content = (el.get("content") or "").strip()
        if key and content:
            metas.setdefault(key, []).append(content)

    for obj in _json_ld_objects(tree):
        types = _types(obj)
        if "website" in types or "organization" in types or "newsmediaorganization" in types:
            if isinstance(obj.get("name"), str):
                meta.site_names.append(obj["name"])
            continue
        if not types & _ARTICLE_TYPES:
            continue
        if isinstance(obj.get("headline"), str) and "webpage" not in types:
            meta.title_candidates.append(obj["headline"])
        for key, bucket in (("datePublished", meta.published), ("dateCreated", meta.published),
                            ("dateModified", meta.modified)):
            if isinstance(obj.get(key), str):
                bucket.append(obj[key])
        _names(obj.get("author"), meta.authors, meta.author_orgs)
        publisher = obj.get("publisher")
        if isinstance(publisher, dict) and isinstance(publisher.get("name"), str):
            meta.site_names.append(publisher["name"])
        if meta.section is None:
            meta.section = _section(obj.get("articleSection"))
        keywords = obj.get("keywords")
        if keywords and not meta.tags:
            meta.tags = [k.strip() for k in (keywords if isinstance(keywords, list) else str(keywords).split(","))
                         if isinstance(k, str) and k.strip()]
        meta.image_url = meta.image_url or _image(obj.get("image"))

    jsonld_people = bool(meta.authors)
    for key in ("og:title", "twitter:title"):
        meta.title_candidates.extend(metas.get(key, [])[:1])
    for key in ("og:site_name", "application-name", "twitter:site"):
        meta.site_names.extend(v.lstrip("@") for v in metas.get(key, [])[:1])
    for key in _PUBLISHED_META:
        meta.published.extend(metas.get(key, []))
    for key in _MODIFIED_META:
        meta.modified.extend(metas.get(key, []))
    for el in tree.xpath('//*[@itemprop="datePublished" or @itemprop="dateModified"][not(self::meta)]'):
        value = el.get("datetime") or el.get("content") or _text(el)
        (meta.published if el.get("itemprop") == "datePublished" else meta.modified).append(value)
    if not meta.published:  # fallbacks, only when JSON-LD and <meta> have no date
        for el in tree.xpath('//*[@property and @content][not(self::meta)][contains(@property, "dc:date") or '
                             'contains(@property, "dc:created") or contains(@property, "dc:issued")]'):
            meta.published.append(el.get("content", ""))  # RDFa (Drupal)
        for el in tree.xpath("//time[@datetime]"):
            if el not in furniture:
                meta.published.append(el.get("datetime", ""))
                break
    if not jsonld_people:  # bylines in the markup, only when JSON-LD names no person
        for el in tree.xpath(_BYLINE_XPATH):
            if el not in furniture:
                text = _text(el)
                if 0 < len(text) <= 80:
                    meta.bylines.append(text)
    for key in ("author", "article:author", "dc.creator", "parsely-author"):
        for value in metas.get(key, []):
            if not value.startswith("http"):
                meta.authors.append(value)
    meta.section = meta.section or next(iter(metas.get("article:section", [])), None)
    if not meta.tags:
        meta.tags = metas.get("article:tag", []) or [
            t for v in metas.get("news_keywords", []) for t in (s.strip() for s in v.split(",")) if t
        ]
    meta.image_url = meta.image_url or next(iter(metas.get("og:image", []) + metas.get("twitter:image", [])), None)
    if meta.image_url:
        meta.image_url = _absolute(url, meta.image_url)  # an unparseable URL is ignored

    canonical = tree.xpath('//link[@rel="canonical"]/@href') or metas.get("og:url", [])
    if canonical and canonical[0].strip():
        meta.canonical_url = _absolute(url, canonical[0].strip())  # an unparseable URL is ignored
    h1s = [t for t in (_text(h) for h in tree.iter("h1")) if t]
    meta.h1 = h1s[0] if h1s else None
    if meta.h1:
        meta.title_candidates.append(meta.h1)
    title_el = tree.find(".//title")
    if title_el is not None and _text(title_el):
        meta.title_candidates.append(_text(title_el))
    meta.title_candidates = [clean_whitespace(t).replace("\n", " ") for t in meta.title_candidates if t.strip()]
    html = tree if tree.tag == "html" else tree.getroottree().getroot()
    meta.lang = html.get("lang") or next(iter(metas.get("og:locale", []) + metas.get("language", [])), None)
    return meta

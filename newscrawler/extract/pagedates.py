"""Which date on a page is its publication date.

Machine-readable values win (JSON-LD, meta, RDFa, the first <time> outside comments/sidebars).
Otherwise dates written in text are taken in this order: elements marked as dates, the lines
right after the headline, then the page's text in document order outside furniture, and last a
date in the URL path. Never a comment's, a sidebar teaser's or the footer's date, and never the
site's "today" strip: that is recognised by where it stands on the page (see `PageChrome`), not
by comparing it with any clock, so a same-day article dated only with today's date keeps it and
a page whose only date is the strip gets none. A date introduced as an update ("آخر تحديث") is
the modified date, not the publication date.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

from lxml.html import HtmlElement

from newscrawler.extract.metadata import Furniture
from newscrawler.normalise.dates import TextDate, find_text_dates, parse_machine_date, prepare, to_utc

_DATE_MARKED = (
    '//*[contains(translate(@class, "DATEIMPUBLSH", "dateimpublsh"), "date") or contains(@class, "time")'
    ' or contains(@class, "publish") or contains(@class, "posted") or contains(@class, "meta")'
    ' or contains(@class, "info") or contains(@id, "date") or contains(@class, "created")]'
)
_UPDATE_BEFORE = re.compile(
    r"(?:آخر تحديث|اخر تحديث|آخر تعديل|اخر تعديل|تم التحديث|تم التعديل|تحديث|تعديل|Updated|Last updated|modified)"
    r"\s*(?:في|on|at)?\s*[:：]?\s*(?:\w+\s*[,،]\s*)?$", re.IGNORECASE)
# "اليوم: …", "Today: …", "ئەمڕۆ: …": the label of a today strip.
_TODAY_LABEL = re.compile(r"(?:اليوم|today|ئەمڕۆ|امروز|Îro)\s*[:：|]\s*(?:\S+\s*[،,]?\s*)?$", re.IGNORECASE)
_WEEKDAY = re.compile(
    r"(?:الأحد|الاحد|الاثنين|الإثنين|الثلاثاء|الأربعاء|الاربعاء|الخميس|الجمعة|السبت|"
    r"یەکشەممە|دووشەممە|سێشەممە|چوارشەممە|پێنجشەممە|هەینی|شەممە|"
    r"Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)",
    re.IGNORECASE,
)
# Page chrome that can hold a "today" strip: header bars, mastheads, top bars, navigation.
_CHROME_CLASS = re.compile(r"top-?bar|topbar|top-date|today|masthead|navbar|site-header|page-header|header-date|"
                           r"current-date|date-now|header-top|top-header|top-strip|^header$|(?:^|\s)header(?:\s|$)",
                           re.IGNORECASE)
_CHROME_TAGS = frozenset({"header", "nav"})
_CONTAINER_CLASS = re.compile(r"article|post|entry|story|news-?detail|single|item-?page|itemview|node", re.IGNORECASE)
# A relative date counts only as a short stamp ("منذ 3 ساعات"), not inside a sentence.
_RELATIVE_MAX_CHARS = 60
_BLOCKS = frozenset({"p", "div", "td", "li", "span", "h2", "h3", "h4", "h5", "h6", "font", "b", "strong",
                     "small", "time", "em", "section", "header", "dd", "dt", "dl"})
# Dates in article URL paths: /2022/09/14/slug, /2022/09/slug (no day), /20230418-slug.
_URL_YMD = re.compile(r"/((?:19|20)\d{2})/(0?[1-9]|1[0-2])/(0?[1-9]|[12]\d|3[01])(?=/|$|[-_])")
_URL_COMPACT = re.compile(r"/((?:19|20)\d{2})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?=[-_/]|\.html?|$)")


def first_machine_date(values: Iterable[str], tz: str, fetched: datetime) -> datetime | None:
    """The first parseable value not after the fetch (a later one is an event date or a bad clock)."""
    for value in values:
        parsed = parse_machine_date(value, tz)
        if parsed and parsed <= fetched + timedelta(days=1):
            return parsed
    return None


def url_date(url: str, tz: str) -> datetime | None:
    """A publication day written in the URL path (local midnight), the evidence of last resort."""
    path = unquote(urlsplit(url).path)
    match = _URL_YMD.search(path) or _URL_COMPACT.search(path)
    if not match:
        return None
    try:
        return to_utc(datetime(int(match[1]), int(match[2]), int(match[3])), tz)
    except ValueError:
        return None


class PageChrome:
    """Where the site's own furniture around the article stands, relative to the headline.

    A date is page chrome (the "today" strip every page of the site shows) when
    - it sits in header/top-bar/nav chrome that does not contain the headline, or
    - it stands before the headline and outside the headline's article container, or
    - it stands before the headline as a weekday + full date with no time (the strip's format) on
      a page whose article container is unknown, or
    - it follows a "today" label ("اليوم:").
    Each question walks the element's ancestors only (a few date candidates are asked about).
    """

    def __init__(self, tree: HtmlElement, h1: HtmlElement | None) -> None:
        self.h1 = h1
        self.container = self._container(h1)
        # The headline's ancestors, each with the index of the child on the way to the headline.
        self._path: dict[HtmlElement, int] = {}
        node = h1
        while node is not None and node.getparent() is not None:
            parent = node.getparent()
            self._path[parent] = parent.index(node)
            node = parent

    def _before_headline(self, el: HtmlElement) -> bool:
        """el comes before the headline in document order and does not contain it."""
        if self.h1 is None or el in self._path or el is self.h1:
            return False
        child, node = el, el.getparent()
        while node is not None and node not in self._path:
            child, node = node, node.getparent()
        return node is not None and node.index(child) < self._path[node]

    def _in_container(self, el: HtmlElement) -> bool:
        return self.container is not None and (el is self.container or self.container in el.iterancestors())

    def _in_chrome(self, el: HtmlElement) -> bool:
        """el sits in header/top-bar/nav chrome that does not hold the headline."""
        for node in (el, *el.iterancestors()):
            if node.tag in ("body", "html") or node in self._path:
                return False
            if (node.tag in _CHROME_TAGS and not self._in_container(node)) or _CHROME_CLASS.search(
                    f"{node.get('class', '')} {node.get('id', '')}"):
                return True
        return False

    @staticmethod
    def _container(h1: HtmlElement | None) -> HtmlElement | None:
        """The nearest ancestor of the headline that is the article (by tag or theme class), or
        failing that the nearest one holding real paragraph text."""
        if h1 is None:
            return None
        for node in h1.iterancestors():
            if node.tag in ("body", "html"):
                break
            if node.tag in ("article", "main") or _CONTAINER_CLASS.search(f"{node.get('class', '')} {node.get('id', '')}"):
                return node
        for node in h1.iterancestors():
            if node.tag in ("body", "html"):
                break
            if sum(len(p.text_content()) for p in node.iter("p")) >= 300:
                return node
        return None

    def is_chrome(self, el: HtmlElement) -> bool:
        if self._in_chrome(el):
            return True
        return self.container is not None and self._before_headline(el) and not self._in_container(el)

    def is_strip_format(self, el: HtmlElement, text: str, found: TextDate) -> bool:
        """A "today" label before the date; or, on a page whose article container is unknown, a
        weekday + full date with no time before the headline (the strip's format: inside a known
        container such a line is the article's own date)."""
        if _TODAY_LABEL.search(text[max(0, found.start - 30):found.start]):
            return True
        if self.container is not None or found.has_time or found.relative or not self._before_headline(el):
            return False
        return bool(_WEEKDAY.search(text[max(0, found.start - 20):found.start + 40]))


class _Picker:
    """Takes the first acceptable text date; remembers modified-date stamps."""

    def __init__(self, tz: str, fetched: datetime, chrome: PageChrome) -> None:
        self.tz, self.fetched, self.chrome = tz, fetched, chrome
        self.modified: datetime | None = None

    def pick(self, text: str, el: HtmlElement | None) -> datetime | None:
        if el is not None and self.chrome.is_chrome(el):
            return None
        prepared = prepare(text)
        for found in find_text_dates(prepared, self.tz, self.fetched):
            if found.value > self.fetched + timedelta(days=1):
                continue
            if found.relative and len(prepared.strip()) > _RELATIVE_MAX_CHARS:
                continue  # "منذ عام" in prose is not when the page was published
            if _UPDATE_BEFORE.search(prepared[max(0, found.start - 25):found.start]):
                self.modified = self.modified or found.value
                continue
            if el is not None and self.chrome.is_strip_format(el, prepared, found):
                continue
            return found.value
        return None


def _with_time(picker: _Picker, el: HtmlElement, value: datetime) -> datetime:
    """A date element whose time sits in a sibling span: read the parent's text too."""
    parent = el.getparent()
    if parent is None or value.astimezone(ZoneInfo(picker.tz)).time() != datetime.min.time():
        return value
    text = " ".join(parent.itertext())
    if len(text) > 200:
        return value
    joined = picker.pick(text, parent)
    same_day = joined and joined.astimezone(ZoneInfo(picker.tz)).date() == value.astimezone(ZoneInfo(picker.tz)).date()
    return joined if joined and same_day else value


def after_headline(h1: HtmlElement | None, furniture: Furniture, limit: int = 6) -> list[HtmlElement]:
    """The first elements after the headline (siblings, then the ancestors' siblings)."""
    found: list[HtmlElement] = []
    node = h1
    while node is not None and len(found) < limit:
        for sibling in node.itersiblings():
            if not isinstance(sibling.tag, str) or sibling in furniture:
                continue  # comments, processing instructions, sidebars
            found.append(sibling)
            if len(found) >= limit:
                break
        node = node.getparent()
        if node is not None and node.tag in ("body", "html"):
            break
    return found


def _page_lines(tree: HtmlElement, furniture: Furniture) -> Iterable[tuple[str, HtmlElement]]:
    for el in tree.iter():
        if el.tag in _BLOCKS and el.text and el.text.strip() and el not in furniture:
            yield el.text + " " + " ".join(c.tail or "" for c in el), el


def find_dates(
    tree: HtmlElement,
    published_values: list[str],
    modified_values: list[str],
    h1: HtmlElement | None,
    tz: str,
    fetched: datetime,
    furniture: Furniture | None = None,
    url: str | None = None,
) -> tuple[datetime | None, datetime | None]:
    """(published, modified) as aware UTC datetimes, or None. `fetched` is when the page was
    fetched: relative dates ("منذ 3 ساعات") count back from it."""
    published = first_machine_date(published_values, tz, fetched)
    modified = first_machine_date(modified_values, tz, fetched)
    furniture = furniture or Furniture(tree)
    picker = _Picker(tz, fetched, PageChrome(tree, h1))
    if published is None:
        for el in tree.xpath(_DATE_MARKED):
            if el in furniture:
                continue
            text = " ".join(el.itertext())
            if len(text) > 300:
                continue
            if published is None:
                value = picker.pick(text, el)
                published = _with_time(picker, el, value) if value else None
            elif modified is None and picker.modified is None:
                picker.pick(text, el)  # only an update stamp ("آخر تعديل في …") is wanted now
            else:
                break
    if published is None:
        for el in after_headline(h1, furniture):
            published = picker.pick(" ".join(el.itertext()), el)
            if published:
                break
    if published is None:
        for text, el in _page_lines(tree, furniture):
            published = picker.pick(text, el)
            if published:
                break
    if published is None and url:
        published = url_date(url, tz)
    modified = modified or picker.modified
    if modified and published and modified < published:
        modified = None
    return published, modified

"""Which date on a page is its publication date.

Machine-readable values win (JSON-LD, meta, RDFa, the first <time> outside comments/sidebars).
Otherwise dates written in text are taken in this order: elements marked as dates, the lines
right after the headline, then the page's text in document order outside furniture. Never a comment's, a sidebar teaser's or the footer's date; a date-only value on the
crawl day (the "today" bar) only when nothing else is found; a date introduced as an update
("آخر تحديث") is the modified date, not the publication date.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from lxml.html import HtmlElement

from newscrawler.extract.metadata import Furniture
from newscrawler.normalise.dates import TextDate, find_text_dates, parse_machine_date, prepare

_DATE_MARKED = (
    '//*[contains(translate(@class, "DATEIMPUBLSH", "dateimpublsh"), "date") or contains(@class, "time")'
    ' or contains(@class, "publish") or contains(@class, "posted") or contains(@class, "meta")'
    ' or contains(@class, "info") or contains(@id, "date")]'
)
_UPDATE_BEFORE = re.compile(r"(?:آخر تحديث|اخر تحديث|تم التحديث|تحديث|Updated|Last updated|modified)\s*[:：]?\s*$",
                            re.IGNORECASE)
_BLOCKS = frozenset({"p", "div", "td", "li", "span", "h2", "h3", "h4", "h5", "h6", "font", "b", "strong",
                     "small", "time", "em", "section", "header"})


def first_machine_date(values: Iterable[str], tz: str, now: datetime) -> datetime | None:
    for value in values:
        parsed = parse_machine_date(value, tz)
        if parsed and parsed <= now + timedelta(days=1):
            return parsed
    return None


class _Picker:
    """Collects text-date candidates in priority order; remembers modified-date stamps."""

    def __init__(self, tz: str, now: datetime) -> None:
        self.tz, self.now = tz, now
        self.today = now.astimezone(ZoneInfo(tz)).date()
        self.date_bar: datetime | None = None
        self.modified: datetime | None = None

    def pick(self, text: str) -> datetime | None:
        prepared = prepare(text)
        for found in find_text_dates(prepared, self.tz, self.now):
            if found.value > self.now + timedelta(days=1):
                continue
            if _UPDATE_BEFORE.search(prepared[max(0, found.start - 25):found.start]):
                self.modified = self.modified or found.value
                continue
            if self._is_date_bar(found):
                self.date_bar = self.date_bar or found.value
                continue
            return found.value
        return None

    def _is_date_bar(self, found: TextDate) -> bool:
        """A date-only value on the crawl day (or the day before: the site's clock may be behind
        ours around midnight) is the page's "today" bar, unless nothing better is found."""
        local = found.value.astimezone(ZoneInfo(self.tz)).date()
        return not found.has_time and not found.relative and 0 <= (self.today - local).days <= 1


def _with_time(picker: _Picker, el: HtmlElement, value: datetime) -> datetime:
    """A date element whose time sits in a sibling span: read the parent's text too."""
    parent = el.getparent()
    if parent is None or value.astimezone(ZoneInfo(picker.tz)).time() != datetime.min.time():
        return value
    text = " ".join(parent.itertext())
    if len(text) > 200:
        return value
    joined = picker.pick(text)
    same_day = joined and joined.astimezone(ZoneInfo(picker.tz)).date() == value.astimezone(ZoneInfo(picker.tz)).date()
    return joined if joined and same_day else value


def _after_headline(h1: HtmlElement | None, furniture: Furniture, limit: int = 6) -> list[str]:
    texts: list[str] = []
    node = h1
    while node is not None and len(texts) < limit:
        for sibling in node.itersiblings():
            if not isinstance(sibling.tag, str):
                continue  # comments, processing instructions
            if sibling in furniture:
                continue
            texts.append(" ".join(sibling.itertext()))
            if len(texts) >= limit:
                break
        node = node.getparent()
        if node is not None and node.tag in ("body", "html"):
            break
    return texts


def _page_lines(tree: HtmlElement, furniture: Furniture) -> list[str]:
    lines: list[str] = []
    for el in tree.iter():
        if el.tag in _BLOCKS and el.text and el.text.strip() and el not in furniture:
            lines.append(el.text + " " + " ".join(c.tail or "" for c in el))
    return lines


def find_dates(
    tree: HtmlElement,
    published_values: list[str],
    modified_values: list[str],
    h1: HtmlElement | None,
    tz: str,
    now: datetime,
    furniture: Furniture | None = None,
) -> tuple[datetime | None, datetime | None]:
    """(published, modified) as aware UTC datetimes, or None."""
    published = first_machine_date(published_values, tz, now)
    modified = first_machine_date(modified_values, tz, now)
    picker = _Picker(tz, now)
    furniture = furniture or Furniture(tree)
    if published is None:
        for el in tree.xpath(_DATE_MARKED):
            if el in furniture:
                continue
            text = " ".join(el.itertext())
            if len(text) > 300:
                continue
            value = picker.pick(text)
            if value:
                published = _with_time(picker, el, value)
                break
    if published is None:
        for text in [*_after_headline(h1, furniture), *_page_lines(tree, furniture)]:
            published = picker.pick(text)
            if published:
                break
    published = published or picker.date_bar
    modified = modified or picker.modified
    if modified and published and modified < published:
        modified = None
    return published, modified

"""Date parsing for Arabic, Kurdish and English news pages, to UTC.

dateparser and htmldate do not know the Iraqi/Levantine month names (حزيران, أيار …) and
silently return wrong dates for them, so month names are matched here against one table.
Machine-readable values (ISO 8601, RFC 822) go through `parse_machine_date`; human text through
`find_text_dates`, which returns every date it recognises with its position.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import cache
from zoneinfo import ZoneInfo

from newscrawler.normalise.text import fold_digits, strip_marks

# Month names -> number. Levantine/Iraqi, Egyptian/Western, Maghreb, Sorani Kurdish, English.
_MONTHS: dict[int, tuple[str, ...]] = {
    1: ("كانون الثاني", "كانون ثاني", "يناير", "جانفي", "January", "Jan", "کانوونی دووەم", "کانونی دووەم", "ژانویە"),
    2: ("شباط", "فبراير", "فيفري", "February", "Feb", "شوبات", "فێبرایەر", "فیبرایەر"),
    3: ("آذار", "اذار", "أذار", "مارس", "March", "Mar", "ئازار", "مارت"),
    4: ("نيسان", "أبريل", "ابريل", "إبريل", "أفريل", "افريل", "April", "Apr", "نیسان", "ئەپریل"),
    5: ("أيار", "ايار", "مايو", "ماي", "May", "ئایار", "مایس"),
    6: ("حزيران", "يونيو", "يونيه", "جوان", "June", "Jun", "حوزەیران", "جون"),
    7: ("تموز", "يوليو", "يوليه", "جويلية", "يوليوز", "July", "Jul", "تەمووز", "تەموز"),
    8: ("آب", "اب", "أغسطس", "اغسطس", "آغسطس", "أوت", "غشت", "August", "Aug", "ئاب", "ئۆگەست"),
    9: ("أيلول", "ايلول", "سبتمبر", "شتنبر", "September", "Sept", "Sep", "ئەیلوول", "ئەیلول", "سێپتەمبەر"),
    10: ("تشرين الأول", "تشرين الاول", "تشرين أول", "تشرين اول", "أكتوبر", "اكتوبر", "October", "Oct",
         "تشرینی یەکەم", "ئۆکتۆبەر", "ئۆكتۆبەر"),
    11: ("تشرين الثاني", "تشرين ثاني", "نوفمبر", "نونبر", "November", "Nov", "تشرینی دووەم", "نۆڤەمبەر"),
    12: ("كانون الأول", "كانون الاول", "كانون أول", "كانون اول", "ديسمبر", "دجنبر", "December", "Dec",
         "کانوونی یەکەم", "کانونی یەکەم", "دیسەمبەر"),
}
_MONTH_LOOKUP = {name.casefold(): num for num, names in _MONTHS.items() for name in names}
# Longest first so "تشرين الأول" wins over a shorter prefix; word-bounded in the pattern.
_MONTH_ALT = "|".join(sorted((re.escape(n) for n in _MONTH_LOOKUP), key=len, reverse=True))
_SEP = r"[\s,،.\-/]*"
_TIME = (
    r"(?:\s*[-–,،:|@T]?\s*(?:الساعة\s*)?(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2}))?"
    r"\s*(?P<ampm>ص|م|صباحا|صباحاً|مساء|مساءً|ظهرا|ظهراً|[AaPp]\.?[Mm]\.?)?(?!\w))?"
)
# 26 أيار (مايو) 2024 · 5 سبتمبر/أيلول 2022 · 8ی تەمووزی 2025 · 4 أغسطس, 2014: 09:01 م
_DAY_MONTH_YEAR = re.compile(
    r"(?<!\d)(?P<d>\d{1,2})(?:\s*ی)?\s*(?:من\s+)?(?P<mon>" + _MONTH_ALT + r")(?:ی)?"
    r"(?:\s*[(/]\s*(?:" + _MONTH_ALT + r")\s*\)?)?" + _SEP + r"(?P<y>\d{4})(?!\d)" + _TIME,
    re.IGNORECASE,
)
# May 17, 2024 · January 5 2025 10:00 PM
_MONTH_DAY_YEAR = re.compile(
    r"(?<![\w])(?P<mon>" + _MONTH_ALT + r")\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y>\d{4})(?!\d)" + _TIME,
    re.IGNORECASE,
)
# 2024-05-17 10:00:00 · 2024/05/17
_ISO_LIKE = re.compile(
    r"(?<!\d)(?P<y>\d{4})[-/.](?P<mo>\d{1,2})[-/.](?P<d>\d{1,2})(?!\d)" + _TIME
)
# 17/05/2024 14:30 (day first: the convention of every outlet here)
_DMY_NUMERIC = re.compile(
    r"(?<!\d)(?P<d>\d{1,2})[/.\-](?P<mo>\d{1,2})[/.\-](?P<y>\d{4})(?!\d)" + _TIME
)
_RELATIVE = re.compile(
    r"(?:منذ|قبل)\s+(?:حوالي\s+|نحو\s+)?(?:(?P<n>\d+)\s*)?(?P<unit>دقيقة|دقائق|دقيقتين|ساعة|ساعات|ساعتين|يوم|أيام|ايام|يومين|أسبوع|اسبوع|أسابيع|اسابيع|أسبوعين|اسبوعين|شهر|أشهر|اشهر|شهرين|سنة|سنوات|سنتين|عام|أعوام|عامين)"
    r"|(?P<en_n>\d+)\s+(?P<en_unit>minute|hour|day|week|month|year)s?\s+ago",
    re.IGNORECASE,
)
_UNIT_SECONDS = {
    "دقيقة": 60, "دقائق": 60, "دقيقتين": 60, "minute": 60,
    "ساعة": 3600, "ساعات": 3600, "ساعتين": 3600, "hour": 3600,
    "يوم": 86400, "أيام": 86400, "ايام": 86400, "يومين": 86400, "day": 86400,
    "أسبوع": 604800, "اسبوع": 604800, "أسابيع": 604800, "اسابيع": 604800, "أسبوعين": 604800,
    "اسبوعين": 604800, "week": 604800,
    "شهر": 2592000, "أشهر": 2592000, "اشهر": 2592000, "شهرين": 2592000, "month": 2592000,
    "سنة": 31536000, "سنوات": 31536000, "سنتين": 31536000, "عام": 31536000, "أعوام": 31536000,
    "عامين": 31536000, "year": 31536000,
}
_DUAL_UNITS = {"دقيقتين", "ساعتين", "يومين", "أسبوعين", "اسبوعين", "شهرين", "سنتين", "عامين"}
_PM = {"م", "مساء", "مساءً", "ظهرا", "ظهراً", "pm", "p.m.", "p.m", "pm."}


@dataclass(frozen=True)
class TextDate:
    value: datetime  # UTC, aware
    start: int  # position in the prepared text
    has_time: bool
    relative: bool = False


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def prepare(text: str) -> str:
    """Digits to ASCII, tatweel and marks out: positions in the result are what callers see."""
    return fold_digits(strip_marks(text))


def to_utc(value: datetime, tz: str) -> datetime:
    """Aware -> UTC; naive -> interpreted in the outlet's zone, then UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=_zone(tz))
    return value.astimezone(UTC)


def parse_machine_date(value: str, tz: str = "Asia/Baghdad") -> datetime | None:
    """ISO 8601 (JSON-LD, meta, <time datetime>) or RFC 822 (feeds) -> aware UTC datetime."""
    value = fold_digits((value or "").strip())
    if not value:
        return None
    iso = value.replace("Z", "+00:00").replace(" ", "T", 1) if re.match(r"\d{4}-\d{2}-\d{2}", value) else ""
    if iso:
        iso = re.sub(r"(\.\d{1,6})\d*", r"\1", iso)  # Python wants at most 6 fraction digits
        iso = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", iso)
        try:
            return to_utc(datetime.fromisoformat(iso), tz)
        except ValueError:
            pass
    try:
        return to_utc(parsedate_to_datetime(value), tz)
    except (TypeError, ValueError, IndexError):
        pass
    found = find_text_dates(value, tz)
    return found[0].value if found else None


def _hour(h: str | None, ampm: str | None) -> int:
    hour = int(h or 0)
    if ampm:
        pm = ampm.casefold().rstrip(".") in {p.rstrip(".") for p in _PM}
        if pm and hour < 12:
            hour += 12
        elif not pm and hour == 12:
            hour = 0
    return hour


def _build(y: str, mo: int, d: str, m: re.Match[str], tz: str) -> tuple[datetime, bool] | None:
    year, day = int(y), int(d)
    if not 1990 <= year <= 2100:
        return None
    groups = m.groupdict()
    has_time = bool(groups.get("h"))
    try:
        local = datetime(
            year, mo, day,
            _hour(groups.get("h"), groups.get("ampm")) if has_time else 0,
            int(groups.get("mi") or 0) if has_time else 0,
            int(groups.get("s") or 0) if has_time else 0,
        )
    except ValueError:
        return None
    return to_utc(local, tz), has_time


def find_text_dates(
    text: str, tz: str = "Asia/Baghdad", now: datetime | None = None
) -> list[TextDate]:
    """Every date written in `text`, in order of appearance, as UTC.

    A date without a time is local midnight. Relative dates ("منذ ساعتين") need `now`.
    """
    text = prepare(text)
    found: list[TextDate] = []
    taken: list[tuple[int, int]] = []

    def add(span: tuple[int, int], built: tuple[datetime, bool] | None, relative: bool = False) -> None:
        if built is None or any(s < span[1] and span[0] < e for s, e in taken):
            return
        taken.append(span)
        found.append(TextDate(built[0], span[0], built[1], relative))

    for m in _DAY_MONTH_YEAR.finditer(text):
        add(m.span(), _build(m["y"], _MONTH_LOOKUP[m["mon"].casefold()], m["d"], m, tz))
    for m in _MONTH_DAY_YEAR.finditer(text):
        add(m.span(), _build(m["y"], _MONTH_LOOKUP[m["mon"].casefold()], m["d"], m, tz))
    for m in _ISO_LIKE.finditer(text):
        add(m.span(), _build(m["y"], int(m["mo"]), m["d"], m, tz) if 1 <= int(m["mo"]) <= 12 else None)
    for m in _DMY_NUMERIC.finditer(text):
        add(m.span(), _build(m["y"], int(m["mo"]), m["d"], m, tz) if 1 <= int(m["mo"]) <= 12 else None)
    if now is not None:
        for m in _RELATIVE.finditer(text):
            unit = (m["unit"] or m["en_unit"] or "").casefold()
            count = int(m["n"] or m["en_n"] or (2 if unit in _DUAL_UNITS else 1))
            seconds = _UNIT_SECONDS.get(unit, _UNIT_SECONDS.get(unit.rstrip("s"), 0))
            add(m.span(), (to_utc(now, "UTC") - timedelta(seconds=count * seconds), True), relative=True)
    found.sort(key=lambda d: d.start)
    return found

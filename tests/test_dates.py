"""Date parsing: month-name sets, digits, AM/PM, relative forms, machine formats, to UTC."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from newscrawler.normalise.dates import find_text_dates, parse_machine_date

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("text", "expected"), [
    ("نشر في: 6 أغسطس, 2024: 12:03 ص", "2024-08-05T21:03:00"),
    ("نشر في: 4 أغسطس, 2014: 09:01 م", "2014-08-04T18:01:00"),
    ("يوم الأحد 26 أيار (مايو) 2024", "2024-05-25T21:00:00"),
    ("اليوم الاحد (9 شباط 2025)", "2025-02-08T21:00:00"),
    ("الجمعة (09 آب 2019)", "2019-08-08T21:00:00"),
    ("(3 كانون الأول 2019)", "2019-12-02T21:00:00"),
    ("5 سبتمبر/أيلول 2022", "2022-09-04T21:00:00"),
    ("30 أيلول (سبتمبر) 2020", "2020-09-29T21:00:00"),
    ("26 نوفمبر، 2024 12:14 م", "2024-11-26T09:14:00"),
    ("٢٥ نيسان ٢٠٢٢", "2022-04-24T21:00:00"),
    ("۱۴ تشرين الأول ۲۰۲۴ - 09:15 صباحاً", "2024-10-14T06:15:00"),
    ("8ی تەمووزی 2025", "2025-07-07T21:00:00"),
    ("2023-08-07 00:00:00 - المصدر: روسيا اليوم", "2023-08-06T21:00:00"),
    ("منذ ساعتين", "2026-11-21T10:00:00"),
    ("منذ ٥ ساعات", "2026-11-21T07:00:00"),
    ("Friday, 17 May 2024", "2024-05-16T21:00:00"),
    ("BAS News - 2018-02-19 11:12", "2018-02-19T08:12:00"),
])
def test_text_dates(text: str, expected: str) -> None:
    found = find_text_dates(text, "Asia/Baghdad", NOW)
    assert found, text
    assert found[0].value.strftime("%Y-%m-%dT%H:%M:%S") == expected


def test_no_date_in_plain_text() -> None:
    assert find_text_dates("قتل 25 إرهابياً وتدمير 9 أنفاق في عام من العمليات", "Asia/Baghdad", NOW) == []


@pytest.mark.parametrize(("value", "expected"), [
    ("2024-05-15T06:12:00+03:00", "2024-05-15T03:12:00"),
    ("2024-05-15T06:12:00.123456789Z", "2024-05-15T06:12:00"),
    ("2024-05-15T06:12:00+0300", "2024-05-15T03:12:00"),
    ("2024-05-15", "2024-05-14T21:00:00"),
    ("Wed, 15 May 2024 06:12:00 +0300", "2024-05-15T03:12:00"),
])
def test_machine_dates(value: str, expected: str) -> None:
    parsed = parse_machine_date(value, "Asia/Baghdad")
    assert parsed is not None and parsed.tzinfo is not None
    assert parsed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S") == expected

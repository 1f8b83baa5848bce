"""Which date on a page is its publication date, decided by the page alone, never by the clock.

Every case runs with several fetch times: the day the page shows in its "today" strip, the next
day and 400 days later. A same-day article keeps its date; a page whose only date is the strip
gets none.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from newscrawler.extract import extract_article
from newscrawler.extract.pagedates import url_date

DAY = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)  # Saturday 21 November 2026, 15:00 in Baghdad
FETCH_TIMES = [DAY, DAY + timedelta(days=1), DAY + timedelta(days=400)]
BODY = "".join(f"<p>{s}</p>" for s in (
    "أعلنت وزارة الموارد المائية في بيان رسمي عن إطلاق خطة جديدة لتأهيل شبكات الري في المحافظات الجنوبية "
    "بكلفة تتجاوز مئتي مليار دينار، على أن يبدأ التنفيذ خلال الأسابيع المقبلة.",
    "وقال المتحدث باسم الوزارة إن الخطة تشمل تطهير القنوات الرئيسة وصيانة المضخات وإنشاء سدود صغيرة "
    "لتخزين مياه الأمطار في المناطق الصحراوية.",
    "وأضاف أن المرحلة الأولى ستشمل محافظات البصرة وذي قار وميسان، فيما ستلحق بها بقية المحافظات تباعاً.",
))


def page(top: str = "", under_headline: str = "", article_top: str = "") -> str:
    return (f"<html><head><title>خطة لتأهيل شبكات الري - موقع الأنهار</title></head><body>"
            f"<header class='site-header'>{top}<div class='logo'>موقع الأنهار</div><nav>الرئيسية</nav></header>"
            f"<main><article class='post'>{article_top}<h1>خطة لتأهيل شبكات الري</h1>{under_headline}"
            f"<div class='entry-content'>{BODY}</div></article></main><footer>© موقع الأنهار</footer></body></html>")


def published(html: str, fetched: datetime, url: str = "https://anhar.example/news/1842") -> str | None:
    article = extract_article(html.encode(), url, fetched_at=fetched)
    return article.published_at.strftime("%Y-%m-%dT%H:%M:%SZ") if article.published_at else None


@pytest.mark.parametrize("fetched", FETCH_TIMES, ids=["same-day", "next-day", "400-days-later"])
class TestAnyDay:
    def test_a_header_strip_is_not_the_date_of_an_older_article(self, fetched: datetime) -> None:
        html = page(top="<span class='top-date'>السبت، 21 تشرين الثاني 2026</span>",
                    under_headline="<div class='post-meta'>15 آذار 2024 - 11:20</div>")
        assert published(html, fetched) == "2024-03-15T08:20:00Z"

    def test_a_page_whose_only_date_is_the_strip_has_no_date(self, fetched: datetime) -> None:
        html = page(top="<div class='today'>السبت، 21 تشرين الثاني 2026</div>")
        assert published(html, fetched) is None

    def test_a_same_day_article_keeps_todays_date(self, fetched: datetime) -> None:
        html = page(top="<span class='top-date'>السبت، 21 تشرين الثاني 2026</span>",
                    under_headline="<div class='post-date'>21/11/2026</div>")
        assert published(html, fetched) == "2026-11-20T21:00:00Z"

    def test_a_clock_in_header_chrome_is_not_a_date_even_without_an_article_container(
            self, fetched: datetime) -> None:
        html = (f"<html><body><div><h1>خطة لتأهيل شبكات الري</h1>{BODY}</div>"
                f"<div class='top-bar'>22/11/2026 10:20</div></body></html>")
        assert published(html, fetched) is None

    def test_a_strip_outside_header_chrome_is_known_by_its_place_before_the_headline(self, fetched: datetime) -> None:
        html = page().replace("<main>", "<div class='bar'>22/11/2026 10:20</div><main>")
        assert published(html, fetched) is None

    def test_a_weekday_date_without_time_before_the_headline_is_the_strip(self, fetched: datetime) -> None:
        html = (f"<html><body><span>الأحد 22 تشرين الثاني 2026</span><h1>خطة لتأهيل شبكات الري</h1>"
                f"<div>{BODY}</div></body></html>")
        assert published(html, fetched) is None

    def test_a_labelled_today_date_is_the_strip(self, fetched: datetime) -> None:
        html = page(under_headline="<p class='info'>اليوم: 22/11/2026 10:20</p><span class='date'>9 شباط 2025</span>")
        assert published(html, fetched) == "2025-02-08T21:00:00Z"

    def test_a_date_above_the_headline_inside_the_article_is_the_articles(self, fetched: datetime) -> None:
        html = page(article_top="<div class='post-meta'>محليات · 9 شباط 2025 - 10:15</div>")
        assert published(html, fetched) == "2025-02-09T07:15:00Z"

    def test_a_url_date_is_the_last_resort(self, fetched: datetime) -> None:
        html = page(top="<span class='top-date'>السبت، 21 تشرين الثاني 2026</span>")
        assert published(html, fetched, "https://anhar.example/2022/09/14/irrigation-plan/") == "2022-09-13T21:00:00Z"


def test_relative_dates_count_back_from_the_fetch_time() -> None:
    html = page(under_headline="<span class='meta-date'>قبل 4 أيام</span>")
    for fetched in FETCH_TIMES:
        assert published(html, fetched) == (fetched - timedelta(days=4)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_relative_phrase_in_prose_is_not_a_date() -> None:
    html = page().replace("بكلفة تتجاوز", "منذ عام بكلفة تتجاوز")
    assert published(html, DAY) is None


@pytest.mark.parametrize(("url", "expected"), [
    ("https://site.example/2022/09/14/some-slug/", "2022-09-13T21:00:00Z"),
    ("https://site.example/news/20230418-water-plan", "2023-04-17T21:00:00Z"),
    ("https://site.example/2021/02/some-slug/", None),  # no day: not a publication day
    ("https://site.example/news/12345678-slug", None),  # an id, not a date
    ("https://site.example/2024/13/40/slug", None),
])
def test_url_dates(url: str, expected: str | None) -> None:
    value = url_date(url, "Asia/Baghdad")
    assert (value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None) == expected

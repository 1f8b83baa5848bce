"""Baghdad Today (بغداد اليوم), baghdadtoday.news.

Known (shared/outlets.md): articles /<id>-<arabic slug>.html, the slug may be empty (/145022--.html);
listing /lastnews; dateline `بغداد اليوم - اربيل`; dates in brackets `اليوم الاحد (9 شباط 2025)`;
teaser paragraphs of other stories after the body (again starting `بغداد اليوم - بغداد`) and
`للاطلاع على التقرير الكامل اضغط هنا`. The /YYYY/MM/DD/ pattern claimed by one script is ignored.
Feed claimed: /rss.
"""

from newscrawler.outlets.base import Outlet

OUTLET = Outlet(
    name="baghdadtoday",
    display_name="بغداد اليوم",
    home="https://baghdadtoday.news",
    domains=("baghdadtoday.news",),
    article_path=r"^/(?P<id>\d+)-[^/]*\.html$",
    editions={"ar": "/"},
    feeds=("/rss",),
    listings=("/lastnews",),
)

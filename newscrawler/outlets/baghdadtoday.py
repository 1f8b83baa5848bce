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
    sample_article="/259113-%D8%A7%D9%84%D9%83%D9%87%D8%B1%D8%A8%D8%A7%D8%A1-%D8%AA%D8%B9%D9%84%D9%86-%D8%AA%D8%B1%D8%A7%D8%AC%D8%B9-%D8%B3%D8%A7%D8%B9%D8%A7%D8%AA-%D8%A7%D9%84%D8%AA%D8%AC%D9%87%D9%8A%D8%B2-%D9%81%D9%8A-%D8%A8%D8%BA%D8%AF%D8%A7%D8%AF-%D8%A8%D8%B3%D8%A8%D8%A8-%D8%A7%D9%86%D8%AE%D9%81%D8%A7%D8%B6-%D8%A5%D9%85%D8%AF%D8%A7%D8%AF%D8%A7%D8%AA-%D8%A7%D9%84%D8%BA%D8%A7%D8%B2-%D8%A7%D9%84%D8%A5%D9%8A%D8%B1%D8%A7%D9%86%D9%8A.html",
    editions={"ar": "/"},
    feeds=("/rss",),
    listings=("/lastnews",),
)

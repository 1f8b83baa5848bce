"""hathalyoum.net (هذا اليوم), the aggregator that prints "اخبار العراق الان".

Known (shared/outlets.md): article URLs /articles/<id>; the page starts with `اخبار العراق الان`,
shows the title twice and a line `2023-08-07 00:00:00 - المصدر: روسيا اليوم` (ISO date-time, then
the original outlet's name); homepage listing links via `.newstitle a`; en./english./krd.
subdomains for other languages. The sample lines `مصدر الخبر / …`, `يمكن قراءة الخبر من المصدر من
هنا`, `عن مصدر الخبر`, `أضف تعليقـك` are attributed to this aggregator as the most likely match.
Assumed (unconfirmed): feeds at /rss.xml; the homepage is the listing.
"""

from newscrawler.outlets.base import Outlet

OUTLET = Outlet(
    name="hathalyoum",
    display_name="هذا اليوم",
    home="https://hathalyoum.net",
    domains=("hathalyoum.net",),
    article_path=r"^/articles/(?P<id>\d+)/?$",
    sample_article="/articles/1512874",
    editions={"ar": "/"},
    feeds=("/rss.xml",),
    listings=("/",),
    is_aggregator=True,
    drop_lines=("اخبار العراق الان", "هذا اليوم"),
)

"""Al-Mada newspaper (جريدة المدى), almadapaper.net: WordPress.

Known (shared/outlets.md): numeric post-id permalinks /<id> and /<id>/, the query form /?p=<id>,
the historic /Details/<id>/; category archives /category/<slug>/; pages start with `TOP` and a
breadcrumb `جريدة المدى > <section> > <title>`; date line `نشر في: 6 أغسطس, 2024: 12:03 ص`
(Egyptian month names, Latin comma, ص/م); the first body line is often a dateline/byline
(`بغداد / علاء المفرجي`). One source claims /YYYY/MM/DD/ permalinks, which stored pages contradict;
as a WordPress site it may switch to them, so they are accepted as article URLs too (cms="wordpress").
Assumed (WordPress defaults): /feed/, /wp-sitemap.xml, /category/<slug>/page/N/.
"""

from newscrawler.outlets.base import Outlet

OUTLET = Outlet(
    name="almada",
    display_name="جريدة المدى",
    home="https://almadapaper.net",
    domains=("almadapaper.net",),
    article_path=r"^/(?:Details/|\?p=)?(?P<id>\d+)/?$",
    sample_article="/256117/",
    cms="wordpress",
    editions={"ar": "/"},
    feeds=("/feed/",),
    sitemaps=("/wp-sitemap.xml",),
    listings=("/category/%D9%85%D8%AD%D9%84%D9%8A%D8%A7%D8%AA/",),  # محليات
    drop_lines=("TOP", "جريدة المدى", "المدى"),
)

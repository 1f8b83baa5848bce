"""Zagros (زاكروس عربية / Zagros News), Arabic: zagrosnews.net and zagrosn.com.

Known (shared/outlets.md): articles at /ar/news/<id> (zagrosnews.net) and /ar/news-ar/<id>
(zagrosn.com); dateline `زاكروس عربية – أربيل`; byline `بقلم : <name>`; Kurdish related heading
`هەواڵی پەیوەندیدار` with an author name (`کەریم`) under each related headline; body dates like
`يوم الأحد 26 أيار (مايو) 2024`.
Assumed (CMS, feeds and sitemaps unconfirmed): an RSS feed at /ar/rss, a news sitemap at
/sitemap-news.xml and a section listing at /ar/news with ?page=N pagination.
"""

from newscrawler.outlets.base import Outlet

OUTLET = Outlet(
    name="zagros",
    display_name="زاكروس عربية",
    home="https://zagrosnews.net",
    domains=("zagrosnews.net", "zagrosn.com"),
    article_path=r"^/(?P<edition>ar)/news(?:-ar)?/(?P<id>\d+)/?$",
    sample_article="/ar/news/66891",
    editions={"ar": "/ar/"},
    feeds=("/ar/rss",),
    sitemaps=("/sitemap-news.xml",),
    listings=("/ar/news",),
    drop_lines=("ئاژانسی هەواڵی زاگرۆس", "کەریم", "زاكروس عربية", "Zagros TV"),
)

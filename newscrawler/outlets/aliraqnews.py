"""Iraqi News Network (شبكة أخبار العراق), aliraqnews.com.

Known (shared/outlets.md): the feed /feed/ is claimed in several lists (WordPress-style);
dateline `بغداد/ شبكة أخبار العراق-`; the copy in seed 004 shows `آخر تحديث:` before the body,
`المصدر: شبكة اخبار العراق`, a complete second article after `إقرأ أيضاً:` and a `مقالات مشابهة` list.
Assumed (CMS unconfirmed, WordPress defaults): post permalinks /<slug>/ (no numeric id, so the
URL is the key), /?p=<id>, /category/<slug>/page/N/, /sitemap_index.xml.
Not the same site as akhbaraliraq.blogspot.com or aynaliraqnews.com.
"""

from newscrawler.outlets.base import Outlet

OUTLET = Outlet(
    name="aliraqnews",
    display_name="شبكة أخبار العراق",
    home="https://aliraqnews.com",
    domains=("aliraqnews.com",),
    # A single path segment that is not a WordPress archive/system path, or ?p=<id>.
    article_path=(
        r"^/(?:\?p=(?P<id>\d+)|(?!(?:category|tag|author|page|feed|wp-[a-z]+|search|about|contact)(?:/|$))"
        r"[^/?]+/?)$"
    ),
    sample_article="/%D8%A7%D9%84%D8%AE%D9%81%D8%A7%D8%AC%D9%8A-%D8%A7%D9%84%D8%B9%D9%84%D8%A7%D9%82%D8%A9-%D8%A8%D9%8A%D9%86-%D8%A7%D9%84%D9%82%D9%88%D8%A7%D8%AA-%D8%A7%D9%84%D8%A7%D8%AA%D8%AD%D8%A7%D8%AF%D9%8A%D8%A9-%D9%88%D8%A7%D9%84%D8%A8%D9%8A%D8%B4%D9%85%D8%B1%D9%83%D8%A9-%D8%AA%D8%B4%D9%87%D8%AF-%D8%AA%D8%B7%D9%88%D8%B1%D8%A7-%D9%83%D8%A8%D9%8A%D8%B1%D8%A7/",
    cms="wordpress",
    editions={"ar": "/"},
    feeds=("/feed/",),
    sitemaps=("/sitemap_index.xml",),
    listings=("/category/%D8%A7%D8%AE%D8%A8%D8%A7%D8%B1-%D8%A7%D9%84%D8%B9%D8%B1%D8%A7%D9%82/",),  # اخبار-العراق
    drop_lines=("شبكة أخبار العراق", "شبكة اخبار العراق"),
)

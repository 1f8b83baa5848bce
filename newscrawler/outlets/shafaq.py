"""Shafaq News (شفق نيوز), shafaq.com: editions /ar, /en, /ku.

Known (shared/outlets.md): articles /ar/<section>/<arabic slug> (no numeric id, so the URL is the
key); section slugs may contain a tatweel (`مجتـمع`, `اقتصـاد`); /ar/tags/ and /ar/bbc-arabic/ are
not Shafaq articles; listing /ar/كل-الاخبار; dateline `شفق نيوز/`; dates `30 أيلول (سبتمبر) 2020`.
Feeds claimed: /ar/rss and /ar/rss.xml; /ar/rss used.
"""

from newscrawler.outlets.base import Outlet

OUTLET = Outlet(
    name="shafaq",
    display_name="شفق نيوز",
    home="https://shafaq.com",
    domains=("shafaq.com",),
    article_path=r"^/(?P<edition>ar|en|ku)/(?!tags/|bbc-arabic/|author/)[^/?]+/[^/?]+/?$",
    sample_article="/ar/%D8%A7%D9%82%D8%AA%D8%B5%D9%80%D8%A7%D8%AF/%D8%A3%D8%B3%D8%B9%D8%A7%D8%B1-%D8%A7%D9%84%D8%AF%D9%88%D9%84%D8%A7%D8%B1-%D8%AA%D8%B1%D8%AA%D9%81%D8%B9-%D9%81%D9%8A-%D8%A8%D9%88%D8%B1%D8%B5%D8%AA%D9%8A-%D8%A8%D8%BA%D8%AF%D8%A7%D8%AF-%D9%88%D8%A3%D8%B1%D8%A8%D9%8A%D9%84-%D9%85%D8%B9-%D8%A7%D9%81%D8%AA%D8%AA%D8%A7%D8%AD-%D8%AA%D8%AF%D8%A7%D9%88%D9%84%D8%A7%D8%AA-%D8%A7%D9%84%D8%A3%D8%B3%D8%A8%D9%88%D8%B9",
    editions={"ar": "/ar/", "en": "/en/", "ckb": "/ku/"},
    feeds=("/{edition}/rss",),
    listings=("/ar/%D9%83%D9%84-%D8%A7%D9%84%D8%A7%D8%AE%D8%A8%D8%A7%D8%B1",),  # كل-الاخبار
    article_id_group=None,
    drop_lines=("شفق نيوز",),
)

"""Kurdistan24 (كوردستان24), www.kurdistan24.net: editions /ar, /en, /ckb (Sorani), /kmr.

Known (shared/outlets.md): /ar/story/<id>-<slug> (older), /ar/story/<id>/<slug> (newer) and the
bare /ar/story/<id>; text starts with ` date 2026-03-11 منذ ساعة`; dateline `أربيل (كوردستان24)-`;
body dates `12 أيلول (سبتمبر) 2024`; embedded tweets as raw text (`pic.twitter.com/…`).
Feeds claimed inconsistently: /ar/rss and /ar/rss.xml; /ar/rss is used.
"""

from newscrawler.outlets.base import Outlet

OUTLET = Outlet(
    name="kurdistan24",
    display_name="كوردستان24",
    home="https://www.kurdistan24.net",
    domains=("kurdistan24.net",),
    article_path=r"^/(?P<edition>ar|en|ckb|kmr)/story/(?P<id>\d+)(?:[-/][^?]*)?$",
    sample_article="/ar/story/25431/%D9%88%D8%B2%D8%A7%D8%B1%D8%A9-%D8%A7%D9%84%D8%A8%D9%8A%D8%B4%D9%85%D8%B1%D9%83%D8%A9-%D8%AA%D8%B9%D9%84%D9%86-%D9%86%D8%AA%D8%A7%D8%A6%D8%AC-%D8%B9%D9%85%D9%84%D9%8A%D8%AA%D9%87%D8%A7-%D8%A7%D9%84%D8%A3%D9%85%D9%86%D9%8A%D8%A9-%D8%A7%D9%84%D9%85%D8%B4%D8%AA%D8%B1%D9%83%D8%A9-%D9%85%D8%B9-%D8%A7%D9%84%D8%AC%D9%8A%D8%B4-%D8%A7%D9%84%D8%B9%D8%B1%D8%A7%D9%82%D9%8A",
    editions={"ar": "/ar/", "en": "/en/", "ckb": "/ckb/", "kmr": "/kmr/"},
    feeds=("/{edition}/rss",),
    sitemaps=("/sitemap.xml",),
    listings=("/{edition}/news",),
    drop_lines=("كوردستان24", "كوردستان 24", "Kurdistan24", "کوردستان24"),
)

"""Basnews (باسنیوز), Arabic edition: www.basnews.com/ar/.

Known (shared/outlets.md): article URLs are /{lang}/babat/<numeric id> (confirmed for en/tr,
inferred for ar); one path segment per edition (ar, en, tr, so = Sorani, ku = Kurmanji); the
Arabic feed is claimed at /ar/rss; listings load more items on scroll (JavaScript).
Assumed (not confirmed, CMS unknown): a section listing at /{edition}/news.
"""

from newscrawler.outlets.base import Outlet

OUTLET = Outlet(
    name="basnews",
    display_name="باسنیوز",
    home="https://www.basnews.com",
    domains=("basnews.com",),
    # /detail/<id>: legacy links that answer 301 to /babat/<id> (same id, same key).
    article_path=r"^/(?P<edition>ar|en|tr|so|ku)/(?:babat|detail)/(?P<id>\d+)/?$",
    sample_article="/ar/babat/919701",
    editions={"ar": "/ar/", "en": "/en/", "tr": "/tr/", "ckb": "/so/", "kmr": "/ku/"},
    feeds=("/ar/rss",),
    listings=("/ar/news",),
    listing_needs_js=True,
    # Seed 000's furniture (logo, Top, باسنیوز, the date bar, the doubled headline) is removed by the
    # generic rules; no Basnews-specific pruning is needed.
)

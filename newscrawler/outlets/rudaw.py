"""Rudaw (رووداو), www.rudaw.net: editions /arabic, /sorani, /english, /turkish.

Known (shared/outlets.md): /arabic/<section>/<id> where the id looks like DDMMYYYY + sequence
(250420224), and the newer /arabic/categories/news/<plain id>; the same shape for /sorani/;
rudawarabia.net/arabic also serves the Arabic edition; listing /arabic/latest-news.
Feeds claimed inconsistently (/arabic/rss, /arabic/rss.xml, rudawarabia.net/rss): /arabic/rss used.
"""

from newscrawler.outlets.base import Outlet

OUTLET = Outlet(
    name="rudaw",
    display_name="رووداو",
    home="https://www.rudaw.net",
    domains=("rudaw.net", "rudawarabia.net"),
    article_path=r"^/(?P<edition>arabic|sorani|english|turkish)/(?:[a-z0-9\-]+/){1,2}(?P<id>\d{6,})/?$",
    sample_article="/arabic/kurdistan/250420224",
    editions={"ar": "/arabic/", "ckb": "/sorani/", "en": "/english/", "tr": "/turkish/"},
    feeds=("/arabic/rss",),
    listings=("/arabic/latest-news",),
    drop_lines=("رووداو", "روداو", "رووداو ديجيتال", "ڕووداو"),
)

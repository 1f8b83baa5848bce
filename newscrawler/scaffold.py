"""A new outlet from templates: its declaration (newscrawler/outlets/NAME.py) and its replica
(tests/replicas/NAME/), consistent with each other, so that right after scaffolding the spider
exists (`scrapy list`), a replica crawl stores the sample article and `scrapy check` passes.

The replica follows what tests/test_e2e_outlets.py demands of every outlet: a robots.txt, a feed
that lists the sample article and one article URL that answers 404 (`missing`), a home page that is
no article, and expected.json saying what a correct crawl stores. Dates are fixed: nothing depends on
the day it is scaffolded or tested. The placeholders are meant to be replaced by a copy of a real
article page and the outlet's real feed (the comments in the written module say what to fill).
"""

from __future__ import annotations

import json
import keyword
import re
from dataclasses import dataclass
from html import escape
from pathlib import Path
from urllib.parse import urlsplit

NAME_RE = re.compile(r"[a-z][a-z0-9_]*")
DEFAULT_ARTICLE_PATH = r"^/news/(?P<id>\d+)/?$"
DEFAULT_SAMPLE = "/news/1001"
DEFAULT_MISSING = "/news/1002"
DEFAULT_FEED = "/rss.xml"
# Fixed instants (Asia/Baghdad, +03:00) for the placeholder article and its feed.
PUBLISHED_LOCAL = "2024-01-15T09:30:00+03:00"
PUBLISHED_UTC = "2024-01-15T06:30:00Z"
PUBLISHED_RFC822 = "Mon, 15 Jan 2024 09:30:00 +0300"

TITLE = "مقال نموذجي لمنفذ {display_name}: استبدل هذه الصفحة بنسخة من مقال حقيقي"
PARAGRAPHS = (
    "هذه الصفحة نموذج أولي أنشأه أمر إضافة منفذ إخباري جديد إلى الزاحف، وهي تحاكي صفحة مقال واحد كما ينشره الموقع.",
    "ينبغي استبدالها بنسخة محفوظة من صفحة مقال حقيقي من الموقع نفسه، مع الإبقاء على مسارها كما هو في ملف التصريح.",
    "بعد الاستبدال يجب تحديث ملف النتائج المتوقعة بالعنوان الحقيقي والنص الكامل وتاريخ النشر بالتوقيت العالمي.",
    "كما يجب أن تشير خلاصة الموقع إلى المقال الحقيقي وإلى رابط واحد على الأقل يعيد الخطأ أربعمئة وأربعة.",
)


class ScaffoldError(ValueError):
    """The outlet cannot be scaffolded as asked (bad name, existing outlet, inconsistent paths)."""


@dataclass(frozen=True)
class NewOutlet:
    name: str
    home: str  # scheme://host
    display_name: str
    article_path: str = DEFAULT_ARTICLE_PATH
    sample_article: str = DEFAULT_SAMPLE
    missing_article: str = DEFAULT_MISSING
    feed: str = DEFAULT_FEED

    @property
    def domain(self) -> str:
        host = urlsplit(self.home).hostname or ""
        return host.removeprefix("www.")

    @property
    def title(self) -> str:
        return TITLE.format(display_name=self.display_name)


def normalise_home(home: str) -> str:
    parts = urlsplit(home.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ScaffoldError(f"--home must be an http(s) URL such as https://www.example.com, not {home!r}")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ScaffoldError(f"--home is the site's origin (scheme and host only), not {home!r}")
    return f"{parts.scheme}://{parts.netloc.lower()}"


def check_new(outlet: NewOutlet, root: Path, registered: set[str]) -> None:
    """Refuse what would clash or could never work, before anything is written."""
    if not NAME_RE.fullmatch(outlet.name) or keyword.iskeyword(outlet.name) or outlet.name == "base":
        raise ScaffoldError(f"{outlet.name!r} is not a valid outlet name (lowercase letters, digits and _, "
                            "starting with a letter; it becomes a module name and the spider name)")
    module, replica = outlet_module(root, outlet.name), replica_dir(root, outlet.name)
    if outlet.name in registered:
        raise ScaffoldError(f"outlet {outlet.name!r} already exists")
    for path in (module, replica):
        if path.exists():
            raise ScaffoldError(f"outlet {outlet.name!r} already exists ({path})")
    if not module.parent.is_dir():
        raise ScaffoldError(f"{root} is not the project directory (no {module.parent})")
    try:
        rule = re.compile(outlet.article_path)
    except re.error as exc:
        raise ScaffoldError(f"--article-path is not a regular expression: {exc}") from None
    for label, path in (("sample article", outlet.sample_article), ("missing article", outlet.missing_article)):
        if not path.startswith("/") or not rule.search(path):
            raise ScaffoldError(f"the {label} path {path!r} does not match --article-path {outlet.article_path!r}")
    if outlet.sample_article == outlet.missing_article:
        raise ScaffoldError("the sample and the missing article need different paths")
    if not outlet.feed.startswith("/") or rule.search(outlet.feed):
        raise ScaffoldError(f"the feed path {outlet.feed!r} must start with / and not be an article path")


def outlet_module(root: Path, name: str) -> Path:
    return root / "newscrawler" / "outlets" / f"{name}.py"


def replica_dir(root: Path, name: str) -> Path:
    return root / "tests" / "replicas" / name


def scaffold(outlet: NewOutlet, root: Path, registered: set[str]) -> list[Path]:
    """Write the outlet module and its replica under `root`; the paths written."""
    check_new(outlet, root, registered)
    files = {outlet_module(root, outlet.name): module_source(outlet)}
    replica = replica_dir(root, outlet.name)
    files.update({replica / path: text for path, text in replica_files(outlet).items()})
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
    return list(files)


def _string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # JSON's escapes are Python's: a valid literal


def _regex(value: str) -> str:
    """A raw string literal where one can hold the regex (readable), else an escaped one."""
    return f'r"{value}"' if '"' not in value and not value.endswith("\\") and "\n" not in value else repr(value)


def module_source(outlet: NewOutlet) -> str:
    return f'''"""{outlet.display_name} ({outlet.home}).

TODO: what is known about the outlet and where it comes from (CMS, article URL forms, feeds,
sitemaps, listings, the date line's format, boilerplate lines), and what is only assumed.
Scaffolded by `newscrawler new-outlet`; its replica is tests/replicas/{outlet.name}/ (README:
"Adding an outlet").
"""

from newscrawler.outlets.base import Outlet

OUTLET = Outlet(
    name={_string(outlet.name)},  # registry key and spider name: `scrapy crawl {outlet.name}`
    display_name={_string(outlet.display_name)},  # TODO: the outlet's own name, as aggregators credit it
    home={_string(outlet.home)},
    domains=({_string(outlet.domain)},),  # every host of the outlet (a domain covers its www. and other subdomains)
    # TODO: the rule for article URLs, a regex over path (+ query). Name the outlet's numeric article
    # id `id` when URLs carry one: it is the dedup key (an edited slug stays the same article).
    article_path={_regex(outlet.article_path)},
    # TODO: the path of one real article. The replica serves a copy of that page at this path
    # (tests/replicas/{outlet.name}/routes.json) and `scrapy check {outlet.name}` fetches it.
    sample_article={_string(outlet.sample_article)},
    editions={{"ar": "/"}},  # edition -> path prefix; "/" for a site in one language
    feeds=({_string(outlet.feed)},),  # TODO: RSS/Atom feed paths ({{edition}} is filled in per edition)
    sitemaps=(),  # TODO: sitemap (or sitemap index) paths, if any
    listings=(),  # TODO: section pages linking the latest articles, if any
    # listing_needs_js=True / article_needs_js=True: pages rendered by JavaScript (fetched through Chromium).
    # is_aggregator=True: a site that republishes other outlets' articles (credited source recorded).
    # cms="wordpress": WordPress date permalinks (/2024/01/15/<slug>/) are article URLs too.
    # prune_xpaths=(...): page regions the extractor must drop (related-news boxes, widgets).
    drop_lines=(),  # TODO: exact boilerplate lines left in the extracted text (site name, slogans)
)
'''


def replica_files(outlet: NewOutlet) -> dict[str, str]:
    """Relative path -> text of the replica folder."""
    title = escape(outlet.title)
    site = escape(outlet.display_name)
    body = "\n".join(f"      <p>{escape(p)}</p>" for p in PARAGRAPHS)
    ld = json.dumps({"@context": "https://schema.org", "@type": "NewsArticle", "headline": outlet.title,
                     "datePublished": PUBLISHED_LOCAL, "publisher": {"@type": "Organization",
                                                                    "name": outlet.display_name}},
                    ensure_ascii=False)
    article = f"""<!DOCTYPE html>
<!-- Placeholder of tests/replicas/{outlet.name}: replace with a saved copy of the real article at
     {outlet.home}{outlet.sample_article} (links rewritten to {{{{ORIGIN}}}}), then update expected.json. -->
<html lang="ar" dir="rtl">
<head>
  <meta charset="utf-8">
  <title>{title} - {site}</title>
  <meta property="og:title" content="{title}">
  <meta property="og:site_name" content="{site}">
  <meta property="article:published_time" content="{PUBLISHED_LOCAL}">
  <link rel="canonical" href="{{{{ORIGIN}}}}{outlet.sample_article}">
  <script type="application/ld+json">{ld}</script>
</head>
<body>
  <header><a href="{{{{ORIGIN}}}}/">{site}</a></header>
  <main>
    <article>
      <h1>{title}</h1>
      <time datetime="{PUBLISHED_LOCAL}">2024-01-15 09:30</time>
{body}
    </article>
  </main>
  <footer>© {site}</footer>
</body>
</html>
"""
    home = f"""<!DOCTYPE html>
<html lang="ar" dir="rtl">
<head><meta charset="utf-8"><title>{site}</title></head>
<body>
  <h1>{site}</h1>
  <ul>
    <li><a href="{{{{ORIGIN}}}}{outlet.sample_article}">{title}</a></li>
  </ul>
</body>
</html>
"""
    feed = f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0">
<channel>
  <title>{site}</title>
  <link>{{{{ORIGIN}}}}/</link>
  <description>{site}</description>
  <item>
    <title>{title}</title>
    <link>{{{{ORIGIN}}}}{escape(outlet.sample_article)}</link>
    <pubDate>{PUBLISHED_RFC822}</pubDate>
  </item>
  <item>
    <title>مقال محذوف</title>
    <link>{{{{ORIGIN}}}}{escape(outlet.missing_article)}</link>
    <pubDate>{PUBLISHED_RFC822}</pubDate>
  </item>
</channel>
</rss>
"""
    robots = "User-agent: *\nDisallow: /search/\n"
    routes = {
        outlet.feed: {"file": "feed.xml", "content_type": "application/rss+xml; charset=utf-8"},
        outlet.sample_article: {"file": "article.html", "content_type": "text/html; charset=utf-8"},
    }
    expected = {
        "articles": [{"path": outlet.sample_article, "title": outlet.title, "published_at": PUBLISHED_UTC,
                      "text": "\n".join(PARAGRAPHS), "discovered_by": ["feed"]}],
        "not_articles": ["/"],
        "disallowed": [],
        "missing": [outlet.missing_article],
        "redirects": {},
    }
    return {
        "site/robots.txt": robots,
        "site/index.html": home,
        "site/feed.xml": feed,
        "site/article.html": article,
        "routes.json": json.dumps(routes, ensure_ascii=False, indent=2) + "\n",
        "expected.json": json.dumps(expected, ensure_ascii=False, indent=2) + "\n",
    }

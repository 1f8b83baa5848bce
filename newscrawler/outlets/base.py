"""The declarative shape of an outlet: everything the crawler knows about one site."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import urlsplit

# WordPress date permalinks (/2022/09/14/<slug>/, /2022/09/<slug>/): a WordPress site can switch
# to them at any time, and its feed then links nothing but those.
WORDPRESS_DATE_PERMALINK = r"^/(?:19|20)\d{2}/(?:0[1-9]|1[0-2])/(?:(?:0[1-9]|[12]\d|3[01])/)?[^/?]+/?$"


@dataclass(frozen=True)
class Outlet:
    """All that is known about one outlet; spiders, extraction and dedup read only this.

    Paths are relative to `home` (scheme + host of the real site) so that a crawl can be pointed
    at a replica by replacing the origin alone.
    """

    name: str  # registry key and spider name
    display_name: str  # the outlet's own name, as credited by aggregators
    home: str  # https://www.example.com (no trailing slash)
    domains: tuple[str, ...]  # hosts that belong to the outlet (www. and bare, mirrors)
    article_path: str  # regex over the URL path (+ query) of an article page
    # Path (+ query) of one real article of the outlet, which its replica also serves: the page
    # `scrapy check` fetches to check the outlet end to end (spiders/outlets.py, contracts.py).
    sample_article: str
    editions: dict[str, str] = field(default_factory=lambda: {"ar": "/ar/"})
    default_editions: tuple[str, ...] = ("ar",)
    feeds: tuple[str, ...] = ()  # paths; {edition} is filled per edition
    sitemaps: tuple[str, ...] = ()
    listings: tuple[str, ...] = ()
    listing_needs_js: bool = False
    article_needs_js: bool = False
    timezone: str = "Asia/Baghdad"
    # Extraction overrides: XPaths pruned before generic extraction, and exact text lines to drop.
    prune_xpaths: tuple[str, ...] = ()
    drop_lines: tuple[str, ...] = ()
    # Group of the outlet's numeric article id inside article_path, used as the dedup key.
    article_id_group: str | None = "id"
    is_aggregator: bool = False
    cms: str | None = None  # "wordpress": its date permalinks are article URLs too
    notes: str = ""

    def __post_init__(self) -> None:
        re.compile(self.article_path)  # fail at import, not mid-crawl
        if not self.sample_article.startswith("/") or not self.is_article_url(self.sample_article):
            raise ValueError(f"{self.name}: sample_article {self.sample_article!r} is not an article path "
                             f"by article_path {self.article_path!r}")

    @cached_property
    def article_re(self) -> re.Pattern[str]:
        if self.cms == "wordpress":
            return re.compile(f"(?:{self.article_path})|(?:{WORDPRESS_DATE_PERMALINK})")
        return re.compile(self.article_path)

    def is_article_url(self, url: str) -> bool:
        parts = urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        return self.article_re.search(target) is not None

    def article_id(self, url: str) -> str | None:
        """The outlet's own article id in `url`, or None (an edited slug is not a new article)."""
        if not self.article_id_group:
            return None
        parts = urlsplit(url)
        match = self.article_re.search(parts.path + (f"?{parts.query}" if parts.query else ""))
        if match is None or self.article_id_group not in match.groupdict():
            return None
        return match.group(self.article_id_group)

    def owns_host(self, host: str) -> bool:
        host = host.lower().split(":")[0]
        return any(host == d or host.endswith("." + d) for d in self.domains)

    def paths_for(self, paths: tuple[str, ...], editions: tuple[str, ...]) -> list[str]:
        """Expand `{edition}` in declared paths for the editions asked for (order kept, no repeats)."""
        out: list[str] = []
        for path in paths:
            for edition in editions if "{edition}" in path else ("",):
                expanded = path.replace("{edition}", edition)
                if expanded not in out:
                    out.append(expanded)
        return out

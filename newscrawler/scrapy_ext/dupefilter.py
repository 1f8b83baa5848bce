"""Request identity and in-run duplicate filtering.

Article requests are identified by the article key (`meta["article_key"]`), so URL variants of one
article (tracking parameters, old URL forms, AMP) are fetched once per run. The dupefilter keeps
its memory for one run only, also with JOBDIR: after a crash (SIGKILL) the restarted run
re-discovers everything, and the database (not a seen-file written before the fetch completed)
decides what is already stored, so nothing that was in flight is lost.
"""

from __future__ import annotations

import hashlib
from typing import Any

from scrapy import Request
from scrapy.dupefilters import RFPDupeFilter
from scrapy.utils.request import RequestFingerprinter


class ArticleKeyFingerprinter(RequestFingerprinter):
    def fingerprint(self, request: Request) -> bytes:
        key = request.meta.get("article_key")
        if key:
            # A redirect's target carries the same key: it must not be filtered as its own source.
            hop = len(request.meta.get("redirect_urls", ()))
            return hashlib.sha1(f"article:{key}:{hop}".encode()).digest()
        return super().fingerprint(request)


class InRunDupeFilter(RFPDupeFilter):
    """RFPDupeFilter that never persists to JOBDIR (see the module docstring)."""

    @classmethod
    def from_crawler(cls, crawler: Any) -> InRunDupeFilter:
        return cls(path=None, debug=crawler.settings.getbool("DUPEFILTER_DEBUG"),
                   fingerprinter=crawler.request_fingerprinter)

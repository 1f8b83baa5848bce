"""Distributed crawling with scrapy-redis: N worker processes (one or many machines) share one
Redis frontier (request queue) and dupefilter; near-duplicate detection is shared through the
database. Switched on by NEWSCRAWLER_REDIS_URL (settings/__init__.py)."""

from __future__ import annotations

import os
import socket
import time
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy_redis.dupefilter import RFPDupeFilter
from twisted.internet import task

from newscrawler.scrapy_ext.dupefilter import ArticleKeyFingerprinter

QUEUE_KEY = "newscrawler:%(spider)s:requests"
DUPEFILTER_KEY = "newscrawler:%(spider)s:dupefilter"
BUSY_KEY = "newscrawler:%(spider)s:busy:"  # + worker id; expires unless renewed


class SharedIdleExtension:
    """Keep an idle worker alive while another worker is busy: the busy one may still put requests
    on the shared frontier (a plain spider would close as soon as its own view is empty).

    Each worker marks itself busy (a Redis key with a short TTL) while its engine has work; an
    idle worker closes only when no other worker is busy and DISTRIBUTED_MIN_LIFETIME has passed.
    A worker that dies stops renewing its key, so it never keeps the others waiting for long.
    """

    def __init__(self, crawler: Crawler, redis_url: str) -> None:
        import redis

        self.crawler = crawler
        self.redis: Any = redis.Redis.from_url(redis_url)
        self.ttl = crawler.settings.getfloat("DISTRIBUTED_BUSY_TTL", 6.0)
        self.min_lifetime = crawler.settings.getfloat("DISTRIBUTED_MIN_LIFETIME", 8.0)
        self.worker = f"{socket.gethostname()}:{os.getpid()}"
        self.started = time.monotonic()
        self.key = ""
        self._loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedIdleExtension:
        url = crawler.settings.get("NEWSCRAWLER_REDIS_URL")
        if not url:
            raise NotConfigured("single-process mode")
        ext = cls(crawler, url)
        crawler.signals.connect(ext.opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.idle, signal=signals.spider_idle)
        crawler.signals.connect(ext.closed, signal=signals.spider_closed)
        return ext

    def opened(self, spider: Spider) -> None:
        self.key = (BUSY_KEY % {"spider": spider.name}) + self.worker
        self.mark_busy()
        self._loop = task.LoopingCall(self.heartbeat)
        self._loop.start(self.ttl / 3, now=False)

    def mark_busy(self) -> None:
        self.redis.set(self.key, "1", px=int(self.ttl * 1000))

    def heartbeat(self) -> None:
        engine = self.crawler.engine
        if engine is not None and engine.spider is not None and not engine.spider_is_idle():
            self.mark_busy()

    def others_busy(self) -> bool:
        prefix = self.key[: -len(self.worker)]
        return any(k.decode() != self.key for k in self.redis.scan_iter(match=prefix + "*"))

    def idle(self, spider: Spider) -> None:
        self.redis.delete(self.key)
        if time.monotonic() - self.started < self.min_lifetime or self.others_busy():
            raise DontCloseSpider

    def closed(self, spider: Spider) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        self.redis.delete(self.key)


class ArticleKeyRedisDupeFilter(RFPDupeFilter):
    """scrapy-redis's shared dupefilter, with articles identified by their key (as in a single
    process), so two URL variants of one article are fetched once across all workers."""

    _fingerprinter = ArticleKeyFingerprinter()

    def request_fingerprint(self, request: Request) -> str:
        return self._fingerprinter.fingerprint(request).hex()


def clear_frontier(redis_url: str, spiders: list[str]) -> int:
    """Delete the shared queue and dupefilter of these spiders (before a new distributed crawl:
    scrapy-redis keeps them between runs)."""
    import redis

    client: Any = redis.Redis.from_url(redis_url)
    keys = [k % {"spider": s} for s in spiders for k in (QUEUE_KEY, DUPEFILTER_KEY)]
    return int(client.delete(*keys))

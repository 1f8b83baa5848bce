"""`scrapy crawl zagros`: all outlet knowledge is in newscrawler/outlets/zagros.py."""

from spiders.base import OutletSpider


class ZagrosSpider(OutletSpider):
    name = "zagros"

"""`scrapy crawl almada`: all outlet knowledge is in newscrawler/outlets/almada.py."""

from spiders.base import OutletSpider


class AlmadaSpider(OutletSpider):
    name = "almada"

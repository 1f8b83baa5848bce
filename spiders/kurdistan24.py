"""`scrapy crawl kurdistan24`: all outlet knowledge is in newscrawler/outlets/kurdistan24.py."""

from spiders.base import OutletSpider


class Kurdistan24Spider(OutletSpider):
    name = "kurdistan24"

"""`scrapy crawl shafaq`: all outlet knowledge is in newscrawler/outlets/shafaq.py."""

from spiders.base import OutletSpider


class ShafaqSpider(OutletSpider):
    name = "shafaq"

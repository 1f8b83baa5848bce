"""`scrapy crawl basnews`: all outlet knowledge is in newscrawler/outlets/basnews.py."""

from spiders.base import OutletSpider


class BasnewsSpider(OutletSpider):
    name = "basnews"

"""`scrapy crawl rudaw`: all outlet knowledge is in newscrawler/outlets/rudaw.py."""

from spiders.base import OutletSpider


class RudawSpider(OutletSpider):
    name = "rudaw"

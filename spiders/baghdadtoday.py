"""`scrapy crawl baghdadtoday`: all outlet knowledge is in newscrawler/outlets/baghdadtoday.py."""

from spiders.base import OutletSpider


class BaghdadtodaySpider(OutletSpider):
    name = "baghdadtoday"

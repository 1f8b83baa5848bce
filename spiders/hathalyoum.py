"""`scrapy crawl hathalyoum`: all outlet knowledge is in newscrawler/outlets/hathalyoum.py."""

from spiders.base import OutletSpider


class HathalyoumSpider(OutletSpider):
    name = "hathalyoum"

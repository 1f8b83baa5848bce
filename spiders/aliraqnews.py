"""`scrapy crawl aliraqnews`: all outlet knowledge is in newscrawler/outlets/aliraqnews.py."""

from spiders.base import OutletSpider


class AliraqnewsSpider(OutletSpider):
    name = "aliraqnews"

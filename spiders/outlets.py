"""One spider per registered outlet, made from the registry (newscrawler/outlets/): adding an outlet
module is all it takes for `scrapy crawl <outlet>` to exist.

Scrapy's SpiderLoader finds spider classes by walking SPIDER_MODULES and taking the classes a
module defines (`__module__` is that module, a `name` is set: scrapy.utils.spider.iter_spider_classes),
so the classes are made here with this module's name and bound as its globals (`BasnewsSpider` …).

Each class gets its own `parse` whose docstring holds the outlet's spider contracts, generated from
its declaration: `scrapy check` fetches the outlet's sample article (resolved against `-a base_url`
/ OUTLET_BASE_URLS, see newscrawler/scrapy_ext/contracts.py) and checks the article extracted from it.
The code is OutletSpider.parse; only the docstring is per outlet.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from scrapy.http import Response

from newscrawler.outlets import Outlet, all_outlets
from spiders.base import OutletSpider

CONTRACTS = """{summary}

@url {sample_article}
@article
"""


def class_name(outlet_name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in outlet_name.split("_")) + "Spider"


def spider_for(outlet: Outlet) -> type[OutletSpider]:
    """OutletSpider bound to one outlet, with the outlet's contracts on its `parse`."""
    name = class_name(outlet.name)

    async def parse(self: OutletSpider, response: Response, **kwargs: Any) -> AsyncIterator[Any]:
        async for output in OutletSpider.parse(self, response, **kwargs):
            yield output

    parse.__doc__ = CONTRACTS.format(
        summary=f"{outlet.display_name}: a page of {outlet.home} handled as what it is (OutletSpider.parse).",
        sample_article=outlet.sample_article)
    parse.__qualname__ = f"{name}.parse"
    parse.__module__ = __name__
    return type(name, (OutletSpider,), {
        "name": outlet.name,
        "__module__": __name__,
        "__qualname__": name,
        "__doc__": f"`scrapy crawl {outlet.name}`: all outlet knowledge is in newscrawler/outlets/.",
        "parse": parse,
    })


SPIDERS: dict[str, type[OutletSpider]] = {name: spider_for(outlet) for name, outlet in all_outlets().items()}
globals().update({cls.__name__: cls for cls in SPIDERS.values()})

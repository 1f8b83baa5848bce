"""Spider contracts for `scrapy check` (registered through SPIDER_CONTRACTS in settings/).

spiders/outlets.py writes each outlet's contracts into the docstring of its spider's `parse`:

    @url <the outlet's sample_article>
    @article

`@url` (ours replaces Scrapy's) resolves a path against the spider's origin: `-a base_url`, else
the OUTLET_BASE_URLS setting, else the outlet's real home. So `scrapy check` checks the live sites
by default and the replicas with `-s OUTLET_BASE_URLS='{"almada": "http://127.0.0.1:8123"}'`
(`newscrawler check --replicas tests/replicas` does that for every outlet). An absolute URL is
used as it is, as in Scrapy's own contract.

`@article` checks what the crawl would store from that page: the URL (after redirects) is one the
crawl would take for an article of the outlet (its article_path rule, its host, the editions
crawled), and the callback yields exactly one article with a title, a non-empty text, a
publication date, and none of the outlet's boilerplate lines (drop_lines) left in the text.
"""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter, is_item
from scrapy.contracts import Contract
from scrapy.http import Request, Response

from newscrawler.normalise.text import match_key


class UrlContract(Contract):
    """@url PATH_OR_URL: the page to check; a path is resolved against the spider's origin."""

    name = "url"

    def __init__(self, method: Any, *args: Any) -> None:
        super().__init__(method, *args)
        self.spider: Any = method.__self__  # contracts are made from the running spider's methods

    def adjust_request_args(self, args: dict[str, Any]) -> dict[str, Any]:
        absolute = getattr(self.spider, "absolute", None)  # OutletSpider's; another spider: as given
        args["url"] = absolute(self.args[0]) if callable(absolute) else self.args[0]
        return args


class ArticleContract(Contract):
    """@article: the page is an article URL of the outlet and yields one complete article."""

    name = "article"

    def __init__(self, method: Any, *args: Any) -> None:
        super().__init__(method, *args)
        self.spider: Any = method.__self__

    def pre_process(self, response: Response) -> None:
        assert response.status == 200, f"{response.url} answered {response.status}"
        assert self.spider.wanted(response.url), (
            f"{response.url} is not an article URL of {self.spider.name} (article_path, host or edition)")

    def post_process(self, output: list[Any]) -> None:
        items = [ItemAdapter(x) for x in output if is_item(x)]
        others = [x for x in output if not is_item(x) and not isinstance(x, Request)]
        assert not others, f"unexpected output {others!r}"
        assert len(items) == 1, (f"{len(items)} articles extracted, expected 1 (a page that gave none is "
                                 f"counted under errors/extract and kept in the quarantine)")
        article = items[0]
        assert article.get("outlet") == self.spider.name, f"outlet {article.get('outlet')!r}"
        assert (article.get("title") or "").strip(), "no title"
        assert (article.get("text") or "").strip(), "no text"
        assert article.get("published_at") is not None, "no publication date"
        boilerplate = {match_key(line) for line in self.spider.outlet.drop_lines}
        left = [line for line in article["text"].split("\n") if match_key(line) in boilerplate]
        assert not left, f"boilerplate lines left in the text: {left}"

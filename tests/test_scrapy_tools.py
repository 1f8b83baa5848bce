"""Scrapy's own tools work on our spiders: `scrapy list` (one spider per registered outlet, no spider
files), `scrapy parse --spider <outlet> <url>` (prints the extracted article) and `scrapy check`
(each outlet's contracts fetch its sample article from the replica and check the article)."""

from __future__ import annotations

import datetime
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse, Request, TextResponse
from scrapy.utils.test import get_crawler

from newscrawler.evaluation import token_prf
from newscrawler.outlets import all_outlets
from spiders.base import OutletSpider
from spiders.outlets import SPIDERS
from tests.conftest import FAST, PROJECT_DIR, REPLICAS
from tests.textnorm import same_text

EXPECTED = {name: json.loads((REPLICAS / name / "expected.json").read_text("utf-8")) for name in all_outlets()}


def scrapy(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scrapy", *args], cwd=PROJECT_DIR, env=env, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture
def env(mongo_uri: str, db_name: str, store, tmp_path: Path) -> dict[str, str]:  # store: drops db_name after
    return {**os.environ, "MONGO_URI": mongo_uri, "MONGO_DATABASE": db_name,
            "NEWSCRAWLER_DATA_DIR": str(tmp_path / "data")}


def test_one_spider_per_outlet_and_no_spider_files(env: dict[str, str]) -> None:
    listed = scrapy("list", env=env)
    assert listed.returncode == 0, listed.stderr[-2000:]
    assert listed.stdout.split() == sorted(all_outlets())
    assert sorted(p.name for p in (PROJECT_DIR / "spiders").glob("*.py")) == ["__init__.py", "base.py", "outlets.py"]
    for name, cls in SPIDERS.items():
        assert cls.name == name and issubclass(cls, OutletSpider) and cls.__module__ == "spiders.outlets"


def scraped_items(output: str) -> list[dict]:
    """The items `scrapy parse` printed (a Python literal, with datetime reprs)."""
    block = output.split("# Scraped Items", 1)[1].split("\n", 1)[1].split("# Requests", 1)[0]
    return eval(block, {"__builtins__": {}, "datetime": datetime})  # noqa: S307 (our own command's output)


def test_scrapy_parse_prints_the_article(replica, env: dict[str, str]) -> None:
    server = replica("almada")
    want = EXPECTED["almada"]["articles"][0]
    run = scrapy("parse", "--spider", "almada", "--nocolour", "-a", f"base_url={server.origin}", *FAST,
                 server.origin + want["path"], env=env)
    assert run.returncode == 0, run.stderr[-3000:]
    [item] = scraped_items(run.stdout)
    assert item["title"] == want["title"]
    assert token_prf(item["text"], same_text(want["text"]))[2] >= 0.98
    assert item["published_at"].strftime("%Y-%m-%dT%H:%M:%SZ") == want["published_at"]


def test_scrapy_parse_takes_a_feed_as_a_feed(replica, env: dict[str, str]) -> None:
    """No `-a` needed: OUTLET_BASE_URLS points the spider at the replica; the feed's article
    URLs are printed as requests (not followed at depth 1)."""
    server = replica("almada")
    run = scrapy("parse", "--spider", "almada", "--nocolour", "-s",
                 "OUTLET_BASE_URLS=" + json.dumps({"almada": server.origin}), *FAST, server.origin + "/feed/", env=env)
    assert run.returncode == 0, run.stderr[-3000:]
    assert scraped_items(run.stdout) == []
    requested = set(re.findall(r"<GET (\S+)>", run.stdout.split("# Requests", 1)[1]))
    assert requested and all(r.startswith(server.origin + "/") for r in requested)
    assert requested <= {server.origin + a["path"] for a in EXPECTED["almada"]["articles"]} | {
        server.origin + p for p in EXPECTED["almada"]["missing"]}


def test_base_url_argument_then_setting_then_home() -> None:
    cls = SPIDERS["almada"]
    for settings, kwargs, origin in (
        ({}, {}, "https://almadapaper.net"),
        ({"OUTLET_BASE_URLS": {"almada": "http://127.0.0.1:9"}}, {}, "http://127.0.0.1:9"),
        ({"OUTLET_BASE_URLS": '{"almada": "http://127.0.0.1:9"}'}, {}, "http://127.0.0.1:9"),  # as -s gives it
        ({"OUTLET_BASE_URLS": {"rudaw": "http://127.0.0.1:9"}}, {}, "https://almadapaper.net"),
        ({"OUTLET_BASE_URLS": {"almada": "http://127.0.0.1:9"}}, {"base_url": "http://127.0.0.1:8"}, "http://127.0.0.1:8"),
    ):
        spider = cls.from_crawler(get_crawler(cls, settings), **kwargs)
        assert spider.origin == origin, (settings, kwargs)
        assert urlhost(origin) in spider.allowed_domains


def urlhost(url: str) -> str:
    return url.split("://", 1)[1].split(":")[0].split("/")[0]


def test_parse_recognises_each_kind_of_page() -> None:
    cls = SPIDERS["almada"]
    spider = cls.from_crawler(get_crawler(cls), base_url="http://127.0.0.1:9")
    site = REPLICAS / "almada" / "site"

    def kind(path: str, body: bytes = b"<html><body></body></html>") -> str:
        url = "http://127.0.0.1:9" + path
        response_cls = TextResponse if body.startswith(b"<?xml") else HtmlResponse
        return spider.page_kind(response_cls(url, body=body, encoding="utf-8", request=Request(url)))

    assert kind("/feed/") == kind("/feed") == "feed"
    assert kind("/wp-sitemap.xml") == "sitemap"
    assert kind("/category/%d9%85%d8%ad%d9%84%d9%8a%d8%a7%d8%aa/") == "listing"  # encoding case is no matter
    assert kind("/category/محليات") == "listing"
    assert kind("/wp-sitemap-posts-post-1.xml", (site / "wp-sitemap-posts-post-1.xml").read_bytes()) == "sitemap"
    assert kind("/other-feed.xml", (site / "feed.xml").read_bytes()) == "feed"
    assert kind("/256117/", (site / "256117" / "index.html").read_bytes()) == "article"


def contract_lines(output: str) -> dict[str, list[str]]:
    """`[outlet] parse (@contract hook) ... ok|FAIL|ERROR` lines of `scrapy check -v`, per outlet."""
    found: dict[str, list[str]] = {}
    for outlet, line in re.findall(r"^\[(\w+)\] (parse \(.*\) \.\.\. \w+)$", output, re.MULTILINE):
        found.setdefault(outlet, []).append(line)
    return found


def test_scrapy_check_runs_every_outlets_contracts_against_its_replica(replica, env: dict[str, str]) -> None:
    origins = {name: replica(name).origin for name in all_outlets()}
    run = scrapy("check", "-v", "-s", f"OUTLET_BASE_URLS={json.dumps(origins)}", "-s", "EXTRACT_WORKERS=0",
                 *FAST, env=env)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-4000:]
    per_outlet = contract_lines(output)
    assert set(per_outlet) == set(all_outlets())
    for name, lines in per_outlet.items():
        assert sorted(lines) == ["parse (@article post-hook) ... ok", "parse (@article pre-hook) ... ok"], name
    ran = int(re.search(r"Ran (\d+) contracts", output)[1])  # type: ignore[index]
    assert ran == sum(map(len, per_outlet.values())) >= len(all_outlets())


def test_scrapy_check_fails_on_a_broken_sample_article_and_on_the_wrong_site(replica, tmp_path: Path,
                                                                              env: dict[str, str]) -> None:
    """almada: a replica copy whose sample article lost its body; rudaw: pointed at another outlet's
    site, where its sample article is not found. One `scrapy check` run, both fail."""
    broken = tmp_path / "almada"
    shutil.copytree(REPLICAS / "almada", broken)
    page = broken / "site" / "256117" / "index.html"
    head = page.read_text("utf-8").split("<body", 1)[0]
    page.write_text(head + '<body><div class="top">TOP</div><nav><a href="{{ORIGIN}}/">جريدة المدى</a></nav>'
                           "</body></html>", "utf-8")
    origins = {"almada": replica("almada", broken).origin, "rudaw": replica("hathalyoum").origin}
    run = scrapy("check", "almada", "rudaw", "-v", "-s", f"OUTLET_BASE_URLS={json.dumps(origins)}",
                 "-s", "EXTRACT_WORKERS=0", *FAST, env=env)
    output = run.stdout + run.stderr
    assert run.returncode != 0, output[-3000:]
    assert "[almada] parse (@article post-hook) ... FAIL" in output, output[-3000:]
    assert "0 articles extracted, expected 1" in output
    assert re.search(r"\[rudaw\] parse \(errback\)", output), output[-3000:]


def test_the_crawl_process_leaves_the_extraction_stack_to_the_workers() -> None:
    """Spiders, pipelines and the dedup decision import neither datasketch nor its scipy (~1 s of
    CPU per crawl); the workers get the extraction function by name (LazyCall) and run it."""
    import pickle

    from newscrawler.lazy_call import LazyCall

    probe = ("import sys, spiders.outlets, pipelines.store, newscrawler.dedup.detector, "
             "newscrawler.scrapy_ext.extraction as x; "
             "print(sorted(m for m in ('datasketch', 'scipy', 'newscrawler.prepare') if m in sys.modules)); "
             "print(x.extract_normalised.module)")
    out = subprocess.run([sys.executable, "-c", probe], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split("\n")[:2] == ["[]", "newscrawler.prepare"], out.stdout
    call = pickle.loads(pickle.dumps(LazyCall("newscrawler.normalise.text", "match_key")))
    assert call("الأخبار") == __import__("newscrawler.normalise.text", fromlist=["match_key"]).match_key("الأخبار")

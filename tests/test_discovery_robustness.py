"""Discovery state is saved only for what was processed.

A malformed entry of a feed or sitemap is skipped and counted, and the others are used; a feed or
sitemap that could not be processed keeps no ETag/Last-Modified, so the next run fetches it again
in full. Gzip is decompressed with a bound: a decompression bomb or a truncated/corrupt stream is
an error, counted, never used. End to end tests crawl a copy of the Al-Mada replica.
"""

from __future__ import annotations

import gzip
import json
import shutil
import tracemalloc
import zlib
from pathlib import Path

import pytest

from newscrawler.discovery import NotAFeedError, parse_feed, parse_sitemap
from newscrawler.outlets import get_outlet
from newscrawler.store import ArticleStore
from tests.conftest import REPLICAS

FEED_IDS = ("403655", "387412", "370981", "370980")
BASE = "https://almadapaper.net/feed/"
SITEMAP = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>https://almadapaper.net/1/</loc><lastmod>2025-09-01T10:00:00+03:00</lastmod></url>
<url><loc>http://[::1</loc></url>
<url><loc>https://almadapaper.net:99999/2/</loc></url>
<url><loc>https://almadapaper.net/3/</loc><lastmod>not a date</lastmod></url>
</urlset>"""


def gzip_bomb(zeros: int) -> bytes:
    """`zeros` NUL bytes gzipped, built in chunks (a 200 MB bomb is ~200 KB and never in memory)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = bytes(1 << 20)
    out = [packer.compress(chunk) for _ in range(zeros >> 20)]
    return b"".join([*out, packer.compress(bytes(zeros & ((1 << 20) - 1))), packer.flush()])


def feed_with(links: dict[str, str]) -> bytes:
    text = (REPLICAS / "almada" / "site" / "feed.xml").read_text("utf-8").replace("{{ORIGIN}}", "https://almadapaper.net")
    for article_id, link in links.items():
        text = text.replace(f"<link>https://almadapaper.net/{article_id}/</link>", f"<link>{link}</link>")
    return text.encode("utf-8")


# --- parsers ------------------------------------------------------------------------------------
def test_a_malformed_feed_link_skips_that_entry_only() -> None:
    entries = parse_feed(feed_with({"387412": "http://[::1"}), BASE)
    assert [e.url for e in entries] == [f"https://almadapaper.net/{i}/" for i in FEED_IDS if i != "387412"]
    assert entries.bad == 1


def test_malformed_sitemap_entries_are_skipped_and_counted() -> None:
    kind, entries = parse_sitemap(SITEMAP, "https://almadapaper.net/wp-sitemap.xml")
    assert kind == "urlset" and entries.bad == 2
    assert [e.url for e in entries] == ["https://almadapaper.net/1/", "https://almadapaper.net/3/"]
    assert entries[0].date is not None and entries[1].date is None


def test_a_gzipped_sitemap_served_as_a_plain_file_is_read() -> None:
    body = gzip.compress(SITEMAP)
    assert parse_sitemap(body, BASE)[1] == parse_sitemap(SITEMAP, BASE)[1]
    two_members = gzip.compress(SITEMAP[:100]) + gzip.compress(SITEMAP[100:]) + b"\0" * 8
    assert parse_sitemap(two_members, BASE)[1] == parse_sitemap(SITEMAP, BASE)[1]


def test_a_decompression_bomb_is_refused_with_bounded_memory() -> None:
    bomb = gzip_bomb(200 * 1024 * 1024)
    assert len(bomb) < 1024 * 1024
    tracemalloc.start()
    try:
        with pytest.raises(NotAFeedError, match="expands beyond"):
            parse_sitemap(bomb, BASE)
        with pytest.raises(NotAFeedError, match="expands beyond"):
            parse_feed(bomb, BASE, max_bytes=1024 * 1024)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 160 * 1024 * 1024, f"peak {peak / 2**20:.0f} MiB while refusing a 200 MB bomb"


@pytest.mark.parametrize("damage", ["truncated", "corrupt", "bad_crc", "trailing_garbage"])
def test_damaged_gzip_is_an_error_never_used(damage: str) -> None:
    good = gzip.compress(SITEMAP)
    body = {
        "truncated": good[: len(good) // 2],
        "corrupt": good[:20] + bytes(b ^ 0x5A for b in good[20:60]) + good[60:],
        "bad_crc": good[:-8] + bytes(b ^ 0xFF for b in good[-8:-4]) + good[-4:],
        "trailing_garbage": good + b"<urlset/>",
    }[damage]
    with pytest.raises(NotAFeedError, match="gzip"):
        parse_sitemap(body, BASE)
    with pytest.raises(NotAFeedError, match="gzip"):
        parse_feed(body, BASE)


def test_an_empty_or_non_xml_body_is_not_a_feed() -> None:
    for body in (b"", b"   ", b"\x00\x01\x02", b"<?xml version='1.0'?>"):
        with pytest.raises(NotAFeedError):
            parse_feed(body, BASE)
        with pytest.raises(NotAFeedError):
            parse_sitemap(body, BASE)


# --- end to end ---------------------------------------------------------------------------------
def almada_copy(tmp_path: Path, sitemap: bool = False) -> Path:
    """The Al-Mada replica with the feed as its only source (with `sitemap`, also its sitemap)."""
    root = tmp_path / "almada"
    shutil.copytree(REPLICAS / "almada", root)
    outlet = get_outlet("almada")
    routes = json.loads((root / "routes.json").read_text("utf-8"))
    for path in (*(() if sitemap else outlet.sitemaps), *outlet.listings):
        routes[path] = {"status": 404}
    (root / "routes.json").write_text(json.dumps(routes), "utf-8")
    return root


def requests_for(server, path: str) -> list:  # type: ignore[no-untyped-def]
    with server._lock:
        return [r for r in server.log if r.path == path]


def test_a_feed_with_one_malformed_entry_still_yields_the_others(tmp_path: Path, replica, run_crawl,
                                                                  store: ArticleStore) -> None:
    root = almada_copy(tmp_path)
    feed = root / "site" / "feed.xml"
    feed.write_text(feed.read_text("utf-8").replace("<link>{{ORIGIN}}/387412/</link>", "<link>http://[::1</link>"),
                    "utf-8")
    server = replica("almada", root)
    run = run_crawl("almada", server.origin)
    fetched = set(server.requested_paths())
    assert {f"/{i}/" for i in FEED_IDS if i != "387412"} <= fetched, run.output[-3000:]
    record = store.runs.find_one({"outlet": "almada"})
    assert record["finish_reason"] == "finished"
    assert record["errors"].get("discovery/bad_entry") == 1, record["errors"]
    assert record["articles"]["new"] == 3
    assert "discovery/feed" not in record["errors"]
    # the feed itself was processed: its validators are kept
    assert store.validators.find_one({"_id": server.origin + "/feed/"}) is not None


def test_a_feed_that_fails_to_parse_keeps_no_validators(tmp_path: Path, replica, run_crawl,
                                                        store: ArticleStore) -> None:
    root = almada_copy(tmp_path)
    feed = root / "site" / "feed.xml"
    good = feed.read_bytes()
    feed.write_bytes(gzip.compress(good)[:3000])  # a truncated gzip, served as a plain XML file
    server = replica("almada", root)
    feed_url = server.origin + "/feed/"

    first = run_crawl("almada", server.origin)
    record = store.runs.find_one({"outlet": "almada"})
    assert record["finish_reason"] == "finished", first.output[-3000:]
    assert record["errors"].get("discovery/feed") == 1, record["errors"]
    assert "truncated gzip" in first.output
    assert store.validators.find_one({"_id": feed_url}) is None
    assert record["articles"]["new"] == 0

    feed.write_bytes(good)  # repaired: the next run must fetch it in full, not conditionally
    second = run_crawl("almada", server.origin)
    feed_requests = requests_for(server, "/feed/")
    assert len(feed_requests) == 2
    assert "If-None-Match" not in feed_requests[1].headers and "If-Modified-Since" not in feed_requests[1].headers
    assert feed_requests[1].status == 200
    assert store.articles.count_documents({}) == len(FEED_IDS), second.output[-3000:]
    assert store.validators.find_one({"_id": feed_url}) is not None

    run_crawl("almada", server.origin)  # and once processed, it is fetched conditionally
    third = requests_for(server, "/feed/")[-1]
    assert "If-None-Match" in third.headers and third.status == 304


def test_a_sitemap_bomb_is_counted_and_keeps_no_validators(tmp_path: Path, replica, run_crawl,
                                                           store: ArticleStore) -> None:
    root = almada_copy(tmp_path, sitemap=True)
    (root / "site" / "wp-sitemap.xml").write_bytes(gzip_bomb(8 * 1024 * 1024))
    server = replica("almada", root)
    run = run_crawl("almada", server.origin, "-s", f"DISCOVERY_MAX_BYTES={1024 * 1024}")
    record = store.runs.find_one({"outlet": "almada"})
    assert record["finish_reason"] == "finished", run.output[-3000:]
    assert record["errors"].get("discovery/sitemap") == 1, record["errors"]
    assert "decompression bomb" in run.output
    assert store.validators.find_one({"_id": server.origin + "/wp-sitemap.xml"}) is None
    assert store.validators.find_one({"_id": server.origin + "/feed/"}) is not None
    assert record["articles"]["new"] == len(FEED_IDS)  # the feed still delivered its articles

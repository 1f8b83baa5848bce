"""`newscrawler extract FILE …`: article fields from saved HTML, as JSON (the crawl's own function)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newscrawler.cli.common import instant


def run(args: argparse.Namespace) -> int:
    from newscrawler.extract import ExtractionError, extract_article

    def run_one(path: str, url: str | None) -> dict[str, Any]:
        data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
        article = extract_article(data, url or (Path(path).resolve().as_uri() if path != "-" else "about:blank"),
                                  args.outlet, fetched_at=args.fetched_at)
        return article_json(article)

    jobs: list[tuple[str, str | None]] = []
    if args.jsonl:
        for line in Path(args.jsonl).read_text("utf-8").splitlines():
            if line.strip():
                entry = json.loads(line)
                jobs.append((entry["file"], entry.get("url")))
    else:
        jobs = [(f, args.url) for f in args.files]
    if not jobs:
        print("newscrawler extract: no input files", file=sys.stderr)
        return 2
    batch = len(jobs) > 1 or bool(args.jsonl)
    status = 0
    for path, url in jobs:
        try:
            result = run_one(path, url)
        except (OSError, ExtractionError) as exc:
            status = 1
            if not batch:
                print(f"newscrawler extract: {path}: {exc}", file=sys.stderr)
                return 1
            result = {"error": str(exc)}
        if batch:
            result = {"file": path, **result}
        print(json.dumps(result, ensure_ascii=False, indent=None if batch else 2))
    return status


def article_json(article: Any) -> dict[str, Any]:
    def iso(value: datetime | None) -> str | None:
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value else None

    return {
        "url": article.url, "canonical_url": article.canonical_url, "outlet": article.outlet,
        "title": article.title, "text": article.text, "published_at": iso(article.published_at),
        "modified_at": iso(article.modified_at), "authors": article.authors, "language": article.language,
        "section": article.section, "tags": article.tags, "image_url": article.image_url,
        "source_name": article.source_name,
    }


def register(sub: Any) -> None:
    parser = sub.add_parser("extract", help="extract article fields from saved HTML, as JSON")
    parser.add_argument("files", nargs="*", help="HTML files, or - for stdin")
    parser.add_argument("--url", help="the page's URL (single file)")
    parser.add_argument("--outlet", help="outlet name (default: looked up from the URL)")
    parser.add_argument("--jsonl", metavar="MANIFEST", help='lines of {"file": …, "url": …}')
    parser.add_argument("--fetched-at", type=instant, metavar="ISO",
                         help="when the page was fetched (ISO 8601, default now): relative dates such as "
                              "'منذ 3 ساعات' count back from it")
    parser.set_defaults(func=run)

"""`newscrawler` command line: embedded database, crawls with a summary, extraction.

    newscrawler db start|stop|status
    newscrawler crawl [OUTLET …] [--replicas DIR]   # all outlets; --replicas: against local replicas
    newscrawler extract FILE [FILE …] [--url URL] | --jsonl MANIFEST | -
    newscrawler ingest FILE.jsonl [--drop-duplicates]
    newscrawler history ARTICLE_ID|URL
    newscrawler status [OUTLET …]
    newscrawler schedule --every 30m [OUTLET …]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newscrawler.scrapy_ext.redact import install_log_filter, redact

PROJECT_DIR = Path(__file__).resolve().parent.parent
# Against a replica on loopback the politeness delays only slow the run; AutoThrottle stays on.
REPLICA_SETTINGS = {"DOWNLOAD_DELAY": "0", "AUTOTHROTTLE_START_DELAY": "0.01", "AUTOTHROTTLE_MAX_DELAY": "0.5",
                    "LOG_LEVEL": "WARNING"}


def _settings() -> Any:
    from scrapy.utils.project import get_project_settings

    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "settings")
    return get_project_settings()


def _embedded(settings: Any) -> Any:
    from newscrawler.store.embedded import EmbeddedServer

    return EmbeddedServer(Path(settings.get("NEWSCRAWLER_DATA_DIR")), settings.getint("EMBEDDED_DB_PORT"))


def cmd_db(args: argparse.Namespace) -> int:
    server = _embedded(_settings())
    if args.action == "start":
        print(f"embedded database running at {redact(server.start())} (data: {server.data_dir})")
    elif args.action == "stop":
        print("stopped" if server.stop() else "not running")
    else:
        running = server.running()
        print(f"{'running' if running else 'stopped'}: {redact(server.uri)} pid={server.pid()} data={server.data_dir}")
        return 0 if running else 3
    return 0


def format_table(rows: list[dict[str, Any]]) -> str:
    from newscrawler.tables import render_table

    headers = ["outlet", "pages", "new", "updated", "unchanged", "duplicate", "errors", "elapsed", "finish"]
    return render_table(headers, [[
        r["outlet"], str(r.get("pages_fetched", 0)), *(str(r.get("articles", {}).get(k, 0))
                                                       for k in ("new", "updated", "unchanged", "duplicate")),
        str(r.get("error_count", 0)), f"{r.get('elapsed_s', 0):.1f}s", str(r.get("failed") or r.get("finish_reason")),
    ] for r in rows])


def cmd_crawl(args: argparse.Namespace) -> int:
    from newscrawler.outlets import all_outlets
    from newscrawler.replica import ReplicaServer
    from newscrawler.scrapy_ext.connection import resolve_mongo_uri
    from newscrawler.store import ArticleStore

    settings = _settings()
    names = args.outlets or list(all_outlets())
    uri = resolve_mongo_uri(settings)  # starts the embedded server once, shared by every crawl
    env = {**os.environ, "MONGO_URI": uri}
    batch = f"{datetime.now(UTC):%Y%m%dT%H%M%S}"
    servers: dict[str, ReplicaServer] = {}
    failed = 0
    try:
        if args.replicas:
            for name in names:
                root = Path(args.replicas) / name
                if not (root / "site").is_dir():
                    print(f"{name}: no replica at {root}; skipped", file=sys.stderr)
                    continue
                servers[name] = ReplicaServer(root).start()
            names = [n for n in names if n in servers]
        redis_url = settings.get("NEWSCRAWLER_REDIS_URL")
        if args.workers > 1 and not redis_url:
            print("newscrawler crawl: --workers needs NEWSCRAWLER_REDIS_URL (the shared frontier)", file=sys.stderr)
            return 2
        for name in names:
            base = [sys.executable, "-m", "scrapy", "crawl", name]
            if name in servers:
                base += ["-a", f"base_url={servers[name].origin}"]
                for key, value in REPLICA_SETTINGS.items():
                    base += ["-s", f"{key}={value}"]
            print(f"crawling {name}{' (replica ' + servers[name].origin + ')' if name in servers else ''}"
                  f"{f' with {args.workers} workers' if args.workers > 1 else ''} …", flush=True)
            if args.workers > 1:
                from newscrawler.scrapy_ext.distributed import clear_frontier

                clear_frontier(redis_url, [name])
                workers = [subprocess.Popen([*base, "-a", f"crawl_id={name}-{batch}-w{n}"], cwd=PROJECT_DIR, env=env)
                           for n in range(1, args.workers + 1)]
                failed += sum(w.wait() != 0 for w in workers)
            else:
                failed += subprocess.call([*base, "-a", f"crawl_id={name}-{batch}"], cwd=PROJECT_DIR, env=env) != 0
    finally:
        for server in servers.values():
            server.stop()
    store = ArticleStore.open(uri, settings.get("MONGO_DATABASE"))
    suffixes = [f"-w{n}" for n in range(1, args.workers + 1)] if args.workers > 1 else [""]
    rows = [r for name in names for suffix in suffixes if (r := store.runs.find_one({"_id": f"{name}-{batch}{suffix}"}))]
    print()
    print(format_table(rows))
    total = store.articles.count_documents({})
    print(f"\n{total} articles in {settings.get('MONGO_DATABASE')} at {redact(uri)}")
    missing = set(names) - {r["outlet"] for r in rows}
    if failed:
        print(f"{failed} crawl process(es) failed", file=sys.stderr)
    return 1 if failed or missing else 0


def _instant(text: str) -> datetime:
    """An ISO 8601 instant; without an offset it is UTC."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 date-time: {text!r}") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def cmd_extract(args: argparse.Namespace) -> int:
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


def cmd_ingest(args: argparse.Namespace) -> int:
    from newscrawler.ingest import ingest
    from newscrawler.scrapy_ext.connection import resolve_mongo_uri
    from newscrawler.store import ArticleStore

    settings = _settings()
    path = Path(args.file)
    if not path.is_file():
        print(f"newscrawler ingest: {path}: no such file", file=sys.stderr)
        return 2
    store = ArticleStore.open(resolve_mongo_uri(settings), settings.get("MONGO_DATABASE"))
    report = ingest(path, store, drop_duplicates=args.drop_duplicates or settings.get("DEDUP_MODE") == "drop")
    print(json.dumps(report, ensure_ascii=False))
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    from newscrawler.ingest import replay
    from newscrawler.scrapy_ext.connection import resolve_mongo_uri
    from newscrawler.store import ArticleStore

    settings = _settings()
    store = ArticleStore.open(resolve_mongo_uri(settings), settings.get("MONGO_DATABASE"))
    store.ensure_indexes()
    report = replay(Path(args.directory or settings.get("QUARANTINE_DIR")), store)
    print(json.dumps(report, ensure_ascii=False))
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    from newscrawler.dedup.canonical import article_key, canonical_url
    from newscrawler.outlets import outlet_for_url
    from newscrawler.scrapy_ext.connection import resolve_mongo_uri
    from newscrawler.store import ArticleStore

    settings = _settings()
    store = ArticleStore.open(resolve_mongo_uri(settings), settings.get("MONGO_DATABASE"))
    key = args.article
    if key.startswith(("http://", "https://")):
        url = canonical_url(key, None)
        key = article_key(url, outlet_for_url(url))
    current = store.articles.find_one({"_id": key})
    if current is None:
        print(f"newscrawler history: no article {args.article}", file=sys.stderr)
        return 1
    for old in [*store.history(key), current]:
        when = old.get("archived_at") or old.get("last_seen_at")
        print(json.dumps({"version": old.get("version"), "title": old.get("title"), "text": old.get("text"),
                          "fetched_at": str(old.get("fetched_at")), "until": str(when)}, ensure_ascii=False))
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from newscrawler.outlets import all_outlets
    from newscrawler.scheduler import parse_interval
    from newscrawler.scrapy_ext.connection import resolve_mongo_uri
    from newscrawler.status import alarmed, format_status, status_rows
    from newscrawler.store import ArticleStore

    settings = _settings()
    store = ArticleStore.open(resolve_mongo_uri(settings), settings.get("MONGO_DATABASE"))
    names = args.outlets or sorted(set(all_outlets()) | set(store.runs.distinct("outlet")))
    rows = status_rows(store, names, max_error_rate=settings.getfloat("SPIDERMON_MAX_ERROR_RATE", 0.5),
                       max_run=timedelta(seconds=parse_interval(args.max_run)))
    print(format_status(rows))
    return 1 if alarmed(rows) else 0


def cmd_schedule(args: argparse.Namespace) -> int:
    import logging

    from newscrawler.outlets import all_outlets
    from newscrawler.replica import ReplicaServer
    from newscrawler.scheduler import Scheduler, parse_interval
    from newscrawler.scrapy_ext.connection import resolve_mongo_uri
    from newscrawler.store import ArticleStore

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    install_log_filter()
    settings = _settings()
    names = args.outlets or list(all_outlets())
    uri = resolve_mongo_uri(settings)
    servers = {n: ReplicaServer(Path(args.replicas) / n, delay=args.replica_delay).start()
               for n in names} if args.replicas else {}

    passed = [arg for value in args.spider_arg for arg in ("-a", value)] + [
        arg for value in args.set for arg in ("-s", value)]

    def crawl_args(outlet: str) -> list[str]:
        if outlet not in servers:
            return passed
        extra = ["-a", f"base_url={servers[outlet].origin}"]
        for key, value in REPLICA_SETTINGS.items():
            extra += ["-s", f"{key}={value}"]
        return extra + passed

    scheduler = Scheduler(ArticleStore.open(uri, settings.get("MONGO_DATABASE")), names, parse_interval(args.every),
                          crawl_args, max_rounds=args.rounds, env={**os.environ, "MONGO_URI": uri})
    scheduler.install_signal_handlers()
    try:
        return scheduler.run()
    finally:
        for server in servers.values():
            server.stop()


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="newscrawler", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    db = sub.add_parser("db", help="manage the embedded database (used when MONGO_URI is unset)")
    db.add_argument("action", choices=["start", "stop", "status"])
    db.set_defaults(func=cmd_db)
    crawl = sub.add_parser("crawl", help="run outlet spiders one after another and print a summary")
    crawl.add_argument("outlets", nargs="*", help="outlet names (default: all)")
    crawl.add_argument("--replicas", metavar="DIR", help="crawl the local replicas under DIR instead of the real sites")
    crawl.add_argument("--workers", type=int, default=1,
                       help="worker processes per outlet sharing a Redis frontier (needs NEWSCRAWLER_REDIS_URL)")
    crawl.set_defaults(func=cmd_crawl)
    extract = sub.add_parser("extract", help="extract article fields from saved HTML, as JSON")
    extract.add_argument("files", nargs="*", help="HTML files, or - for stdin")
    extract.add_argument("--url", help="the page's URL (single file)")
    extract.add_argument("--outlet", help="outlet name (default: looked up from the URL)")
    extract.add_argument("--jsonl", metavar="MANIFEST", help='lines of {"file": …, "url": …}')
    extract.add_argument("--fetched-at", type=_instant, metavar="ISO",
                         help="when the page was fetched (ISO 8601, default now): relative dates such as "
                              "'منذ 3 ساعات' count back from it")
    extract.set_defaults(func=cmd_extract)
    ingest = sub.add_parser("ingest", help="store JSON-lines articles through normalise -> dedup -> store")
    ingest.add_argument("file", help='lines of {"url", "title", "text", "published_at", "outlet", "html"?}')
    ingest.add_argument("--drop-duplicates", action="store_true", help="do not store duplicates (default: link)")
    ingest.set_defaults(func=cmd_ingest)
    replay = sub.add_parser("replay", help="re-process quarantined items (failed extraction, dedup or store)")
    replay.add_argument("directory", nargs="?", help="quarantine folder (default: QUARANTINE_DIR, data/quarantine)")
    replay.set_defaults(func=cmd_replay)
    status = sub.add_parser("status", help="last run per outlet, flagging outlets that broke (exit 1 if any)")
    status.add_argument("outlets", nargs="*")
    status.add_argument("--max-run", default="6h",
                        help="a run still 'running' after this long is ABANDONED (default 6h)")
    status.set_defaults(func=cmd_status)
    schedule = sub.add_parser("schedule", help="crawl outlets on an interval in a long-lived process")
    schedule.add_argument("outlets", nargs="*", help="outlet names (default: all)")
    schedule.add_argument("--every", required=True, help="interval: 30m, 2h, 45s …")
    schedule.add_argument("--rounds", type=int, help="stop after N rounds (default: run until SIGTERM)")
    schedule.add_argument("--replicas", metavar="DIR", help="crawl the local replicas under DIR")
    schedule.add_argument("--replica-delay", type=float, default=0.0, help="seconds per replica response (tests)")
    schedule.add_argument("-a", dest="spider_arg", action="append", default=[], metavar="NAME=VALUE",
                          help="spider argument for every crawl, as in scrapy crawl (repeatable)")
    schedule.add_argument("-s", dest="set", action="append", default=[], metavar="NAME=VALUE",
                          help="Scrapy setting for every crawl, as in scrapy crawl (repeatable)")
    schedule.set_defaults(func=cmd_schedule)
    history = sub.add_parser("history", help="every stored version of an article (by _id or URL)")
    history.add_argument("article")
    history.set_defaults(func=cmd_history)
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except Exception:  # e.g. a database error naming the URI: the traceback, with passwords redacted
        import traceback

        print(redact(traceback.format_exc()), file=sys.stderr, end="")
        return 1


if __name__ == "__main__":
    sys.exit(main())

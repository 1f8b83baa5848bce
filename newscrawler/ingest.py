"""`newscrawler ingest FILE.jsonl`: articles from elsewhere through the crawl's own path
(extract if HTML is given -> normalise -> validate -> dedup -> store).

One JSON object per line: url, title, text, published_at (ISO 8601), outlet (any name), and
optionally html (extracted with the same function as the crawl; given fields win). Lines written
by the quarantine (newscrawler/quarantine.py) carry the raw page as `html_base64` and every field
extracted so far as `article`; those fields are kept. A bad line is rejected with its reason and
counted; it never stops the file or loses the lines before it.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Collection
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newscrawler.article import Article
from newscrawler.extract import ExtractionError, extract_article
from newscrawler.normalise.article import normalise_article, rejection_reason
from newscrawler.normalise.dates import parse_machine_date
from newscrawler.outlets import all_outlets
from newscrawler.quarantine import decode_html_field
from newscrawler.store import ArticleStore
from newscrawler.store.writer import ArticleWriter

_ARTICLE_FIELDS = {f.name: f.type for f in fields(Article)}
_DATE_FIELDS = ("published_at", "modified_at", "fetched_at")

BATCH = 100


class Rejected(ValueError):
    """A line that cannot become an article; the message is the reason."""


def _stored_article(data: dict[str, Any], url: str, outlet: str | None) -> Article:
    """An article with every field a quarantine line kept (dates back to datetimes)."""
    kept = {k: v for k, v in data.items() if k in _ARTICLE_FIELDS and k != "warnings"}
    for name in _DATE_FIELDS:
        if isinstance(kept.get(name), str):
            kept[name] = parse_machine_date(kept[name], "UTC")
    kept["url"] = url
    kept["outlet"] = kept.get("outlet") or outlet
    for name in ("authors", "tags"):
        if not isinstance(kept.get(name), list) or not all(isinstance(x, str) for x in kept[name]):
            kept[name] = []
    for name, value in list(kept.items()):
        if name not in ("authors", "tags", "version", *_DATE_FIELDS) and value is not None and not isinstance(value, str):
            raise Rejected(f"bad_{name}")
    return Article(**kept)


def article_from_line(line: str, now: datetime) -> Article:
    try:
        data: dict[str, Any] = json.loads(line)
    except (json.JSONDecodeError, RecursionError):
        raise Rejected("invalid_json") from None
    if not isinstance(data, dict):
        raise Rejected("invalid_json")
    url = data.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise Rejected("no_url")
    outlet = data.get("outlet") if isinstance(data.get("outlet"), str) else None
    fetched = parse_machine_date(data["fetched_at"], "UTC") if isinstance(data.get("fetched_at"), str) else None
    article = Article(url=url, outlet=outlet, fetched_at=fetched or now)
    stored = data.get("article")
    html = decode_html_field(data) if "html" in data or "html_base64" in data else None
    if ("html" in data or "html_base64" in data) and html is None and not isinstance(stored, dict):
        raise Rejected("bad_html")
    if isinstance(stored, dict):
        article = _stored_article(stored, url, outlet)
    elif html is not None:
        try:
            extracted = extract_article(html, url, outlet if outlet in all_outlets() else None,
                                        content_type=data.get("content_type") if isinstance(
                                            data.get("content_type"), str) else None,
                                        fetched_at=fetched or now)
        except ExtractionError:
            raise Rejected("html_not_extractable") from None
        article = extracted
        article.outlet = outlet or extracted.outlet
    for name in ("title", "text"):
        if data.get(name) is not None and not isinstance(data[name], str):
            raise Rejected(f"bad_{name}")
    article.title = data.get("title") or article.title
    article.text = data.get("text") or article.text
    if data.get("published_at"):
        published = parse_machine_date(str(data["published_at"]), "UTC")
        if published is None:
            raise Rejected("bad_published_at")
        article.published_at = published
    return article


def ingest(path: Path, store: ArticleStore, drop_duplicates: bool = False) -> dict[str, Any]:
    """Ingest a JSON-lines file; returns counts (new, updated, unchanged, duplicate, rejected by
    reason). A database that refuses the writes raises (after the writer's retries): the file can
    be ingested again, every write is an idempotent upsert."""
    store.ensure_indexes()
    writer = ArticleWriter(store, drop_duplicates=drop_duplicates)
    counts: Counter[str] = Counter()
    rejected: Counter[str] = Counter()
    batch: list[Article] = []
    now = datetime.now(UTC)
    crawl_id = f"ingest-{now:%Y%m%dT%H%M%S}"

    def flush() -> None:
        if not batch:
            return
        report = writer.write(batch, now=datetime.now(UTC))
        if report.database_error is not None:
            raise report.database_error
        counts.update(new=len(report.stored.new), updated=len(report.stored.updated),
                      unchanged=len(report.stored.unchanged),
                      duplicate=sum(1 for d in report.decisions.values() if d.duplicate_of and d.reason != "known"))
        for failure in report.failed:
            rejected[f"error_{failure.stage}_{type(failure.error).__name__}"] += 1
        batch.clear()

    with path.open("rb") as lines:
        for raw in lines:
            if not raw.strip():
                continue
            try:
                line = raw.decode("utf-8")
                article = normalise_article(article_from_line(line, now))
                line.encode("utf-8")  # lone surrogates (from \ud800 escapes) cannot be stored
                for value in (article.title, article.text):
                    value.encode("utf-8")
            except UnicodeError:
                rejected["invalid_utf8"] += 1
                continue
            except Rejected as exc:
                rejected[str(exc)] += 1
                continue
            except Exception as exc:  # noqa: BLE001 (one bad line never stops the file)
                rejected[f"error_{type(exc).__name__}"] += 1
                continue
            reason = rejection_reason(article)
            if reason:
                rejected[reason] += 1
                continue
            article.crawl_id = crawl_id
            if any(a.id == article.id for a in batch):
                flush()  # the same article again: store the earlier text first, so it becomes a version
            batch.append(article)
            if len(batch) >= BATCH:
                flush()
    flush()
    return {**{k: counts.get(k, 0) for k in ("new", "updated", "unchanged", "duplicate")},
            "rejected": dict(rejected), "crawl_id": crawl_id}


def replay(directory: Path, store: ArticleStore, skip: Collection[str] = ()) -> dict[str, Any]:
    """Ingest every quarantine file under `directory` (newscrawler/quarantine.py) and write the
    spooled run records, then move each file to `directory/replayed/`. Idempotent: the store
    upserts by `_id`, and a file whose replay failed (the database went away again) stays where it
    was for the next attempt. `skip`: run ids whose files are left alone (runs still writing)."""
    totals: Counter[str] = Counter()
    rejected: Counter[str] = Counter()
    files = sorted(p for p in directory.glob("*.jsonl") if p.stem not in skip) if directory.is_dir() else []
    done = directory / "replayed"
    for path in files:
        report = ingest(path, store)
        totals.update({k: report[k] for k in ("new", "updated", "unchanged", "duplicate")})
        rejected.update(report["rejected"])
        done.mkdir(exist_ok=True)
        path.rename(done / path.name)
    runs = sorted((directory / "runs").glob("*.json")) if (directory / "runs").is_dir() else []
    for path in runs:
        record = json.loads(path.read_text("utf-8"))
        for name in ("started_at", "finished_at"):
            if isinstance(record.get(name), str):
                record[name] = parse_machine_date(record[name], "UTC")
        store.runs.replace_one({"_id": record["_id"]}, record, upsert=True)
        done.mkdir(exist_ok=True)
        path.rename(done / f"run-{path.name}")
    return {"files": len(files), "run_records": len(runs),
            **{k: totals.get(k, 0) for k in ("new", "updated", "unchanged", "duplicate")}, "rejected": dict(rejected)}

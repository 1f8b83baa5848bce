"""`make bench-extract`: our extraction vs vanilla trafilatura, on the public Zyte benchmark and on
our Arabic/Kurdish fixtures. Prints precision, recall, F1, boilerplate leaks, title/date/language
accuracy and CPU milliseconds per page for both.

Zyte metric (its README): 4-token shingles; precision averaged over pages with a non-empty
prediction, recall over pages with non-empty ground truth; F1 from the two averages.
"""

from __future__ import annotations

import argparse
import gzip
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import trafilatura

from newscrawler.evaluation import shingle_counts
from newscrawler.extract import ExtractionError, extract_article

ROOT = Path(__file__).resolve().parent.parent
ZYTE = ROOT.parent / "shared" / "bench" / "zyte"
FIXTURES = ROOT / "tests" / "fixtures" / "extraction"
HELDOUT = ROOT / "tests" / "fixtures" / "heldout"  # written by people who never saw the code: never tuned on
# The baseline runs trafilatura with the options our extraction gives it, so the difference is
# what our rules add.
VANILLA_OPTIONS = {"include_comments": False, "include_tables": True, "fast": True, "deduplicate": False}
BAGHDAD = ZoneInfo("Asia/Baghdad")


@dataclass
class Score:
    precisions: list[float] = field(default_factory=list)
    recalls: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    leaks: int = 0
    title_ok: int = 0
    date_ok: int = 0
    date_day_ok: int = 0
    lang_ok: int = 0
    pages: int = 0

    def add_text(self, predicted: str, truth: str) -> None:
        tp, fp, fn = shingle_counts(predicted, truth)
        if predicted.strip():
            self.precisions.append(tp / (tp + fp) if tp + fp else 0.0)
        if truth.strip():
            self.recalls.append(tp / (tp + fn) if tp + fn else 0.0)
        self.pages += 1

    @property
    def p(self) -> float:
        return sum(self.precisions) / len(self.precisions) if self.precisions else 0.0

    @property
    def r(self) -> float:
        return sum(self.recalls) / len(self.recalls) if self.recalls else 0.0

    @property
    def f1(self) -> float:
        return 2 * self.p * self.r / (self.p + self.r) if self.p + self.r else 0.0

    @property
    def cpu_ms(self) -> float:
        return 1000 * sum(self.cpu) / len(self.cpu) if self.cpu else 0.0


@dataclass
class Result:
    text: str = ""
    title: str | None = None
    published: str | None = None  # ISO UTC, or a date for vanilla (it gives no time)
    language: str | None = None


def ours(html: bytes, url: str, outlet: str | None, content_type: str | None, fetched: datetime | None) -> Result:
    try:
        article = extract_article(html, url, outlet, content_type=content_type, fetched_at=fetched)
    except ExtractionError:
        return Result()
    published = article.published_at.strftime("%Y-%m-%dT%H:%M:%SZ") if article.published_at else None
    return Result(article.text, article.title, published, article.language)


def vanilla(html: bytes, url: str, outlet: str | None, content_type: str | None, fetched: datetime | None) -> Result:
    text = trafilatura.extract(html, url=url, **VANILLA_OPTIONS) or ""
    return Result(text)


def vanilla_meta(html: bytes, url: str) -> Result:
    doc = trafilatura.bare_extraction(html, url=url, with_metadata=True, **VANILLA_OPTIONS)
    if doc is None:
        return Result()
    return Result(doc.text or "", doc.title, doc.date, getattr(doc, "language", None))


def timed(func: Callable[..., Result], *args: object) -> tuple[Result, float]:
    start = time.process_time()
    result = func(*args)
    return result, time.process_time() - start


def run_zyte(limit: int | None) -> dict[str, Score]:
    truth = json.loads((ZYTE / "ground-truth.json").read_text("utf-8"))
    scores = {"ours": Score(), "trafilatura": Score()}
    for n, (page_id, gold) in enumerate(sorted(truth.items())):
        if limit and n >= limit:
            break
        html = gzip.decompress((ZYTE / "html" / f"{page_id}.html.gz").read_bytes())
        for name, func in (("ours", ours), ("trafilatura", vanilla)):
            result, cpu = timed(func, html, gold.get("url") or "", None, None, None)
            scores[name].add_text(result.text, gold.get("articleBody") or "")
            scores[name].cpu.append(cpu)
    return scores


def run_fixtures(root: Path) -> dict[str, Score]:
    scores = {"ours": Score(), "trafilatura": Score()}
    for folder in sorted(p for p in root.iterdir() if (p / "expected.json").exists()):
        meta = json.loads((folder / "meta.json").read_text("utf-8"))
        expected = json.loads((folder / "expected.json").read_text("utf-8"))
        html = (folder / "page.html").read_bytes()
        fetched = datetime.fromisoformat(meta["fetched_at"].replace("Z", "+00:00"))
        ours_result, ours_cpu = timed(ours, html, meta["url"], meta.get("outlet"), meta.get("content_type"), fetched)
        van_result, van_cpu = timed(vanilla, html, meta["url"], None, None, None)
        van_meta = vanilla_meta(html, meta["url"])
        van_result.title, van_result.published, van_result.language = van_meta.title, van_meta.published, \
            van_meta.language
        want_date = expected.get("published_at")
        want_day = (datetime.fromisoformat(want_date.replace("Z", "+00:00")).astimezone(BAGHDAD).date().isoformat()
                    if want_date else None)
        for name, result, cpu in (("ours", ours_result, ours_cpu), ("trafilatura", van_result, van_cpu)):
            score = scores[name]
            score.add_text(result.text, expected["text"])
            score.cpu.append(cpu)
            score.leaks += sum(1 for s in expected["must_not_contain"] if s in result.text)
            score.title_ok += result.title == expected["title"]
            score.date_ok += result.published == want_date
            got_day = None
            if result.published:
                got_day = (datetime.fromisoformat(result.published.replace("Z", "+00:00")).astimezone(BAGHDAD)
                           .date().isoformat() if "T" in result.published else result.published[:10])
            score.date_day_ok += got_day == want_day
            score.lang_ok += (result.language or "").split("-")[0] == expected["language"]
    return scores


def table(title: str, scores: dict[str, Score], with_meta: bool) -> str:
    head = f"{'extractor':12} {'pages':>5} {'P':>6} {'R':>6} {'F1':>6} {'cpu ms/page':>11}"
    if with_meta:
        head += f" {'leaks':>5} {'title':>6} {'date':>6} {'day':>6} {'lang':>6}"
    lines = [title, head, "-" * len(head)]
    for name, s in scores.items():
        line = f"{name:12} {s.pages:5d} {s.p:6.3f} {s.r:6.3f} {s.f1:6.3f} {s.cpu_ms:11.1f}"
        if with_meta:
            n = max(s.pages, 1)
            line += (f" {s.leaks:5d} {s.title_ok / n:6.2f} {s.date_ok / n:6.2f} {s.date_day_ok / n:6.2f}"
                     f" {s.lang_ok / n:6.2f}")
        lines.append(line)
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, help="only the first N benchmark pages")
    args = parser.parse_args()
    # One-time costs (imports, the language model, caches) out of the per-page timings, for both.
    warm = next(FIXTURES.glob("*/page.html")).read_bytes()
    trafilatura.extract(warm)
    ours(warm, "https://example.com/warm-up", None, None, None)
    print(table("Our fixtures (Arabic/Kurdish/English pages, exact metadata)", run_fixtures(FIXTURES), True))
    print()
    print(table("Held-out split (pages written without seeing the code; never tuned on)", run_fixtures(HELDOUT), True))
    print()
    if ZYTE.is_dir():
        zyte = run_zyte(args.limit)
        print(table("Zyte article-extraction benchmark (raw page bytes)", zyte, False))
        ratio = zyte["ours"].cpu_ms / zyte["trafilatura"].cpu_ms if zyte["trafilatura"].cpu_ms else 0
        print(f"\nCPU ours / vanilla: {ratio:.2f}x")
    else:
        print(f"(no benchmark at {ZYTE})")


if __name__ == "__main__":
    main()

"""A labelled corpus for near-duplicate detection, built from the replica articles (the five seeds
among them) and generated variants.

Positives (same story): a syndicated copy that trims the last paragraph and adds an aggregator
header and source line; one with a rewritten headline, an added dateline, spelling variants and
Arabic-Indic digits; one that keeps most paragraphs and adds a paragraph of its own.
Hard negatives (different stories): all base stories (the seeds are five different stories on the
same joint Peshmerga-army operations), pairs of different stories that share a whole background
paragraph, and daily templated market reports whose template is the same and figures differ.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

REPLICAS = Path(__file__).parent / "replicas"
BACKGROUND = ("وأعلن العراق عام 2017 النصر على تنظيم داعش، إلا أن التنظيم لا يزال بمقدوره شن هجمات على قوات "
              "الأمن والمدنيين متبعاً أساليب حرب العصابات ولا سيما في المناطق النائية والمتنازع عليها بين بغداد وأربيل.")
SPELLING = {"أمريكي": "أميركي", "الأمريكية": "الأميركية", "إقليم": "اقليم", "الإرهاب": "الارهاب", "أن": "ان",
            "إلى": "الى", "مسؤول": "مسئول", "الاتحادية": "الإتحادية", "كوردستان": "كردستان"}
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@dataclass
class Doc:
    id: str
    story: str
    outlet: str
    url: str
    title: str
    text: str
    published_at: datetime


def base_stories() -> list[Doc]:
    docs = []
    for folder in sorted(REPLICAS.iterdir()):
        expected = folder / "expected.json"
        if folder.name == "hathalyoum" or not expected.exists():  # its articles are copies already
            continue
        data = json.loads(expected.read_text("utf-8"))
        for n, article in enumerate(data["articles"]):
            published = datetime.fromisoformat(article["published_at"].replace("Z", "+00:00"))
            docs.append(Doc(f"{folder.name}-{n}", f"{folder.name}-{n}", folder.name,
                            f"https://{folder.name}.example{article['path']}", article["title"], article["text"],
                            published))
    return docs


def _respell(text: str) -> str:
    return " ".join(SPELLING.get(word, word) for word in text.split(" ")).translate(ARABIC_INDIC)


def variants(base: Doc, rng: random.Random) -> list[Doc]:
    paragraphs = base.text.split("\n")
    out = []
    trimmed = paragraphs[:-1] if len(paragraphs) >= 3 else paragraphs
    out.append(Doc(f"{base.id}/agg", base.story, "aggregator", f"https://agg.example/articles/{rng.randrange(10**6)}",
                   base.title, "\n".join(["اخبار العراق الان", f"مصدر الخبر / {base.outlet}", *trimmed]),
                   base.published_at + timedelta(hours=2)))
    respelled = [_respell(p) for p in paragraphs]
    respelled[0] = "بغداد/ شبكة أخبار العراق- " + respelled[0]
    out.append(Doc(f"{base.id}/rewrite", base.story, "rewriter", f"https://rewrite.example/{rng.randrange(10**6)}",
                   "عاجل: " + " ".join(reversed(base.title.split())), "\n".join(respelled),
                   base.published_at + timedelta(hours=5)))
    if len(paragraphs) >= 4:
        keep = paragraphs[: max(3, int(len(paragraphs) * 0.8))]
        extra = "وفي تعليق على ذلك، قال مراقبون إن هذه التطورات تأتي في سياق إقليمي متغير يتطلب متابعة دقيقة."
        out.append(Doc(f"{base.id}/extended", base.story, "extender", f"https://ext.example/{rng.randrange(10**6)}",
                       base.title, "\n".join([*keep, extra]), base.published_at + timedelta(days=1)))
    return out


def shared_background_pairs(bases: list[Doc], rng: random.Random, count: int = 12) -> list[Doc]:
    """Different stories that each quote the same background paragraph (common in Iraqi news)."""
    out = []
    picked = rng.sample(bases, min(count, len(bases)))
    for doc in picked:
        paragraphs = doc.text.split("\n")
        at = min(len(paragraphs), 2)
        text = "\n".join([*paragraphs[:at], BACKGROUND, *paragraphs[at:]])
        out.append(Doc(f"{doc.id}/background", doc.story, doc.outlet + "-bg", doc.url + "?bg=1", doc.title, text,
                       doc.published_at))
    return out


def market_reports(days: int = 6) -> list[Doc]:
    """Two templated daily reports over `days` days: every day is a different story."""
    rng = random.Random(7)
    out = []
    start = datetime(2025, 3, 1, 9, 0)
    for day in range(days):
        date = start + timedelta(days=day)
        usd = 146_250 + rng.randrange(-900, 900, 25)
        gold21 = 520_000 + rng.randrange(-9000, 9000, 500)
        text = "\n".join([
            f"سجلت أسعار صرف الدولار الأمريكي، اليوم {date:%d/%m/%Y}، {'ارتفاعاً' if day % 2 else 'انخفاضاً'} في "
            f"بورصتي الكفاح والحارثية في بغداد، حيث بلغ سعر الـ100 دولار {usd} ديناراً عراقياً.",
            f"وبلغت أسعار البيع في محال الصيرفة بالأسواق المحلية في بغداد {usd + 500} ديناراً عراقياً، فيما بلغت "
            f"أسعار الشراء {usd - 500} ديناراً لكل 100 دولار أمريكي.",
            f"وفي أربيل، عاصمة إقليم كوردستان، سجل الدولار ارتفاعاً أيضاً، إذ بلغ سعر البيع {usd + 250} ديناراً "
            f"والشراء {usd - 250} ديناراً لكل 100 دولار.",
        ])
        out.append(Doc(f"usd-{day}", f"usd-{day}", "shafaq", f"https://shafaq.example/ar/econ/usd-{day}",
                       f"أسعار الدولار في بغداد وأربيل {date:%d/%m}", text, date))
        gold = "\n".join([
            f"شهدت أسعار الذهب في أسواق بغداد وأربيل، اليوم {date:%d/%m/%Y}، تغيراً طفيفاً، حيث سجل سعر بيع "
            f"المثقال الواحد من الذهب عيار 21 في أسواق الجملة بشارع النهر {gold21} ديناراً.",
            f"وبلغ سعر الشراء {gold21 - 4000} ديناراً، فيما سجل الذهب العراقي عيار 21 سعر {gold21 - 35000} ديناراً "
            f"للبيع و{gold21 - 39000} ديناراً للشراء.",
            f"وفي محال الصياغة، تراوح سعر بيع مثقال الذهب الخليجي بين {gold21 + 5000} و{gold21 + 15000} ديناراً.",
        ])
        out.append(Doc(f"gold-{day}", f"gold-{day}", "shafaq", f"https://shafaq.example/ar/econ/gold-{day}",
                       f"أسعار الذهب في العراق {date:%d/%m}", gold, date))
    return out


def corpus(seed: int = 1) -> list[Doc]:
    rng = random.Random(seed)
    bases = base_stories()
    docs = list(bases)
    for base in bases:
        docs.extend(variants(base, rng))
    docs.extend(shared_background_pairs(bases, rng))
    docs.extend(market_reports())
    return docs

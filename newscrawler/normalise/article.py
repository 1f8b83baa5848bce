"""The normalise and validate steps of the ingestion path, shared by the crawl pipelines and
`newscrawler ingest`: keys every later stage relies on, and the reasons an item is not an article."""

from __future__ import annotations

from newscrawler.article import Article
from newscrawler.dedup.canonical import article_key, canonical_url
from newscrawler.dedup.fingerprint import content_hash
from newscrawler.normalise.language import detect_language
from newscrawler.normalise.text import clean_whitespace
from newscrawler.outlets import all_outlets, outlet_for_url

MIN_TEXT_CHARS = 80  # shorter bodies are captions, teasers or error pages


def normalise_article(article: Article) -> Article:
    """Canonical URL, `_id`, content hash, language and the credited original's key, in place."""
    outlet = all_outlets().get(article.outlet or "") or outlet_for_url(article.url)
    article.title = clean_whitespace(article.title or "").replace("\n", " ")
    article.text = clean_whitespace(article.text or "")
    article.canonical_url = canonical_url(article.url, article.canonical_url, outlet)
    article.id = article_key(article.canonical_url, outlet)
    article.content_hash = content_hash(article.text)
    if not article.language:
        article.language = detect_language(article.text)
    if article.source_url:  # a syndicated copy: the key its original has (or will have) in our store
        source = canonical_url(article.source_url, None)
        article.source_article_id = article_key(source, outlet_for_url(source))
    return article


_NORMALISED = "_newscrawler_normalised"


def mark_normalised(article: Article) -> None:
    """Normalised already (in the extraction worker) for its current text and URL."""
    setattr(article, _NORMALISED, (article.text, article.url, article.canonical_url))


def is_normalised(article: Article) -> bool:
    mark = getattr(article, _NORMALISED, None)
    return mark is not None and mark == (article.text, article.url, article.canonical_url)


def rejection_reason(article: Article) -> str | None:
    """Why this item is not a storable article, or None."""
    if not article.title:
        return "no_title"
    if len(article.text or "") < MIN_TEXT_CHARS:
        return "text_too_short"
    if not article.canonical_url or not article.id:
        return "no_key"
    return None

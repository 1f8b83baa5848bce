"""One ArticleStore per crawler, shared by the pipelines and extensions that need the database."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from newscrawler.scrapy_ext.redact import redact
from newscrawler.store import ArticleStore
from newscrawler.store.embedded import EmbeddedServer

log = logging.getLogger(__name__)


def resolve_mongo_uri(settings: Any) -> str:
    """MONGO_URI if set, else the embedded server (started now if it is not running)."""
    uri = settings.get("MONGO_URI")
    if uri:
        return str(uri)
    server = EmbeddedServer(Path(settings.get("NEWSCRAWLER_DATA_DIR")), settings.getint("EMBEDDED_DB_PORT"))
    uri = server.start()
    log.info("MONGO_URI unset: using the embedded database at %s (data in %s)", redact(uri), server.data_dir)
    return uri


def store_for(crawler: Any) -> ArticleStore:
    store = getattr(crawler, "_newscrawler_store", None)
    if store is None:
        settings = crawler.settings
        timeout = settings.getint("MONGO_SERVER_SELECTION_TIMEOUT_MS", 30_000)
        store = ArticleStore.open(resolve_mongo_uri(settings), settings.get("MONGO_DATABASE"),
                                  serverSelectionTimeoutMS=timeout)
        store.ensure_indexes()
        crawler._newscrawler_store = store
    return store

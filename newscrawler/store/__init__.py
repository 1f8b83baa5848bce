"""MongoDB storage: the only package that imports pymongo."""

from newscrawler.store.mongo import ArticleStore, BatchResult, connect

__all__ = ["ArticleStore", "BatchResult", "connect"]

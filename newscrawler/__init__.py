"""newscrawler: crawling and ingestion of Arabic and Kurdish-region news into MongoDB.

The library is importable without Scrapy or a database: extraction, normalisation, dedup keys and
the outlet registry are pure; `newscrawler.store` is the only module that talks to MongoDB.
"""

__version__ = "0.1.0"

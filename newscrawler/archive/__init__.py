"""The raw page archive: every fetched article response kept as WARC (per-record gzip, as Common
Crawl and CC-NEWS write it), indexed in MongoDB (`raw_pages`, `raw_latest`), re-extracted with
the current extractor (`newscrawler reextract`) and WARC files from elsewhere imported
(`newscrawler import-warc`).

Modules: records (what is archived, dates, digests), warcfile (writing and reading WARC files),
index (the MongoDB index), writer (the writer thread of a crawl), work (extraction in worker
processes and the batched write through ArticleWriter, shared by reextract and import),
reextract, importer. None of them imports Scrapy.
"""

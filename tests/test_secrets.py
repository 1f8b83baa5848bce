"""A password in MONGO_URI never appears in output, logs or database records.

The embedded nx-27017 server has no authentication (a URI with user:password@ fails to connect),
so the password travels two ways here: as user:password@ (the failure path: what is printed when
the database refuses) and as a `password=` URI option, which pymongo ignores, so a whole crawl and
its summary run with the password in MONGO_URI.
"""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

from newscrawler.scrapy_ext.redact import RedactingFilter, install_log_filter, redact
from newscrawler.store import ArticleStore
from tests.conftest import FAST, PROJECT_DIR, REPLICAS, free_port

SECRET = "s3cretPW"


def with_password_option(uri: str) -> str:
    return uri + ("&" if "?" in uri else ("?" if uri.endswith("/") else "/?")) + f"password={SECRET}"


def with_credentials(uri: str, port: int | None = None) -> str:
    parts = urlsplit(uri)
    netloc = parts.netloc.rsplit("@", 1)[-1]
    if port is not None:
        netloc = f"127.0.0.1:{port}"
    return f"{parts.scheme}://user:{SECRET}@{netloc}/"


def assert_no_secret_in_files(root: Path) -> None:
    for path in root.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path


def assert_no_secret_in_db(store: ArticleStore) -> None:
    db = store.articles.database
    for name in db.list_collection_names():
        for doc in db[name].find():
            assert SECRET not in repr(doc), (name, doc.get("_id"))


def test_redact_hides_uri_passwords() -> None:
    assert redact(f"mongodb://user:{SECRET}@db.example:27017/") == "mongodb://user:***@db.example:27017/"
    assert redact(f"mongodb+srv://u:{SECRET}@c.example/news?retryWrites=true") == \
        "mongodb+srv://u:***@c.example/news?retryWrites=true"
    assert redact(f"at mongodb://a:{SECRET}@h1:1,h2:2/?replicaSet=rs0&password={SECRET}&w=1 and redis://:{SECRET}@r:6379/0") \
        == "at mongodb://a:***@h1:1,h2:2/?replicaSet=rs0&password=***&w=1 and redis://:***@r:6379/0"
    assert redact(f"mongodb://h/?tlsCertificateKeyFilePassword={SECRET}") == "mongodb://h/?tlsCertificateKeyFilePassword=***"
    # Nothing else changes: no password, a user without one, an e-mail-like query value.
    for text in ("mongodb://127.0.0.1:27217/", "mongodb://user@h/", "https://site.example/a?b=c@d", "62 articles"):
        assert redact(text) == text


def test_log_filter_redacts_message_arguments_and_exception_text() -> None:
    uri = f"mongodb://user:{SECRET}@db.example:27017/"
    try:
        raise ConnectionError(f"no answer from {uri}")
    except ConnectionError:
        exc_info = sys.exc_info()
    # Records built directly (not through the logging factory): the filter alone redacts them.
    records = [logging.LogRecord("x", logging.ERROR, __file__, 1, "store at %s failed", (uri,), None),
               logging.LogRecord("x", logging.ERROR, __file__, 2, "write failed", (), exc_info)]
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    for record in records:
        handler.handle(record)
    out = stream.getvalue()
    assert SECRET not in out
    assert "store at mongodb://user:***@db.example:27017/ failed" in out
    assert "ConnectionError: no answer from mongodb://user:***@db.example:27017/" in out


def test_installed_filter_covers_loggers_and_handlers_added_later() -> None:
    install_log_filter()
    logger = logging.getLogger("nctest.secrets")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)  # added after installation, without the filter
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("connecting to %s", f"mongodb://u:{SECRET}@h/")
        try:
            raise RuntimeError(f"refused: mongodb://u:{SECRET}@h/")
        except RuntimeError:
            logger.exception("crawl failed")
    finally:
        logger.removeHandler(handler)
    assert SECRET not in stream.getvalue()
    assert "connecting to mongodb://u:***@h/" in stream.getvalue()
    assert "RuntimeError: refused: mongodb://u:***@h/" in stream.getvalue()


def _env(uri: str, db_name: str, tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "MONGO_URI": uri, "MONGO_DATABASE": db_name, "NEWSCRAWLER_DATA_DIR": str(tmp_path / "data")}


def test_newscrawler_crawl_summary_and_records_hide_the_password(mongo_uri: str, db_name: str, tmp_path: Path,
                                                                store: ArticleStore) -> None:
    uri = with_password_option(mongo_uri)
    proc = subprocess.run([sys.executable, "-m", "newscrawler.cli", "crawl", "zagros", "--replicas", str(REPLICAS)],
                          cwd=PROJECT_DIR, env=_env(uri, db_name, tmp_path), capture_output=True, text=True,
                          timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    assert f"articles in {db_name} at " in proc.stdout and "password=***" in proc.stdout, proc.stdout[-1000:]
    assert SECRET not in out
    assert store.articles.count_documents({}) > 0 and store.runs.count_documents({}) == 1
    assert_no_secret_in_db(store)
    assert_no_secret_in_files(tmp_path)


def test_scrapy_crawl_log_file_hides_the_password_of_a_refusing_database(
        replica, mongo_uri: str, db_name: str, tmp_path: Path) -> None:
    """user:password@ against a server that refuses it (or a closed port): the crawl fails, and
    neither its output nor its log file shows the password."""
    server = replica("zagros")
    for uri in (with_credentials(mongo_uri), with_credentials(mongo_uri, port=free_port())):
        log_file = tmp_path / f"crawl-{urlsplit(uri).port}.log"
        command = [sys.executable, "-m", "scrapy", "crawl", "zagros", "-a", f"base_url={server.origin}", *FAST,
                   "-s", f"LOG_FILE={log_file}", "-s", "MONGO_SERVER_SELECTION_TIMEOUT_MS=3000",
                   "-s", "LOG_LEVEL=DEBUG"]
        proc = subprocess.run(command, cwd=PROJECT_DIR, env=_env(uri, db_name, tmp_path), capture_output=True,
                              text=True, timeout=180)
        logged = log_file.read_text("utf-8")
        assert proc.returncode != 0, logged[-3000:]
        assert "ERROR" in logged, logged[-3000:]  # the failure is logged …
        assert SECRET not in proc.stdout + proc.stderr + logged  # … without the password
    assert_no_secret_in_files(tmp_path)


def test_newscrawler_crawl_failure_output_hides_the_password(mongo_uri: str, db_name: str, tmp_path: Path,
                                                            store: ArticleStore) -> None:
    uri = with_credentials(mongo_uri)
    proc = subprocess.run([sys.executable, "-m", "newscrawler.cli", "crawl", "zagros", "--replicas", str(REPLICAS)],
                          cwd=PROJECT_DIR, env={**_env(uri, db_name, tmp_path)}, capture_output=True, text=True,
                          timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out[-3000:]
    assert SECRET not in out, out[-3000:]
    assert_no_secret_in_db(store)


SPIDER = '''
import scrapy


class LeakySpider(scrapy.Spider):
    """Logs the URI and fails with it in the exception message, as a database error could."""
    name = "leaky"

    async def start(self):
        uri = self.settings.get("MONGO_URI")
        self.logger.warning("connecting to %s", uri)
        raise ConnectionError(f"database at {uri} refused the connection")
        yield
'''


def test_exception_carrying_the_uri_is_redacted_in_scrapy_log(mongo_uri: str, db_name: str, tmp_path: Path,
                                                              store: ArticleStore) -> None:
    spider = tmp_path / "leaky.py"
    spider.write_text(SPIDER, "utf-8")
    log_file = tmp_path / "leaky.log"
    uri = with_password_option(mongo_uri)
    proc = subprocess.run([sys.executable, "-m", "scrapy", "runspider", str(spider), "-s", f"LOG_FILE={log_file}"],
                          cwd=PROJECT_DIR, env=_env(uri, db_name, tmp_path), capture_output=True, text=True,
                          timeout=180)
    logged = log_file.read_text("utf-8")
    assert "connecting to mongodb://" in logged and "password=***" in logged, logged[-3000:]
    assert "ConnectionError: database at mongodb://" in logged, logged[-3000:]
    assert SECRET not in proc.stdout + proc.stderr + logged
    assert_no_secret_in_db(store)

"""Keep database passwords out of output: one redaction function, and a logging filter using it.

`redact(text)` hides the password of every URI in a string (`mongodb://user:pw@host` ->
`mongodb://user:***@host`, also `mongodb+srv://`, `redis://:pw@host`) and the value of
`password=` / `pwd=` / `tlsCertificateKeyFilePassword=` query options. Use it wherever a URI is
printed or logged; `RedactingFilter` applies it to every log record (message, arguments and the
formatted exception), so an exception whose message carries the URI is redacted too.
"""

from __future__ import annotations

import logging
import re
from typing import Any

MASK = "***"

# scheme://user:password@  — the password runs to the last '@' before the host part ends.
_USERINFO = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s:/@?#'\"]*:)(?P<pw>[^\s/?#'\"]*)(?=@)")
# ?password=…&  /  ;pwd=…  (URI options, connection strings)
_OPTION = re.compile(r"(?P<head>[?&;](?:[a-zA-Z]*password|pwd)=)(?P<pw>[^&;\s'\"#]*)", re.IGNORECASE)


def redact(text: Any) -> str:
    """`text` as a string with every URI password replaced by ***."""
    value = str(text)
    if "@" in value:
        value = _USERINFO.sub(lambda m: m["head"] + MASK if m["pw"] else m[0], value)
    if "=" in value:
        value = _OPTION.sub(lambda m: m["head"] + MASK if m["pw"] else m[0], value)
    return value


class RedactingFilter(logging.Filter):
    """Redact passwords in a log record: the formatted message and the exception text."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to the handler to report
            return True
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


_FILTER = RedactingFilter()
_base_factory: Any = None


def _redacting_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
    record = _base_factory(*args, **kwargs)
    # Scrapy's root logger lets DEBUG records through to its handler, which drops them below
    # LOG_LEVEL: do not format those (items, pymongo command dumps) only to redact them.
    handlers = logging.root.handlers
    if not handlers or record.levelno >= min(h.level for h in handlers):
        _FILTER.filter(record)
    return record


def install_log_filter(logger: logging.Logger | None = None) -> RedactingFilter:
    """Add the filter to every handler of `logger` (default: the root logger, where Scrapy's
    handler is) and to the logger itself, and redact every record when it is created (so a
    handler installed later, e.g. when Scrapy replaces its root handler, is covered too).
    Idempotent."""
    global _base_factory
    if _base_factory is None:
        _base_factory = logging.getLogRecordFactory()
        logging.setLogRecordFactory(_redacting_factory)
    target = logger or logging.getLogger()
    if _FILTER not in target.filters:
        target.addFilter(_FILTER)
    for handler in target.handlers:
        if _FILTER not in handler.filters:
            handler.addFilter(_FILTER)
    return _FILTER


class RedactLogExtension:
    """Scrapy extension: installs the filter on Scrapy's root log handler when a crawler is built
    (before pipelines and extensions that connect to the database can log a URI)."""

    def __init__(self) -> None:
        install_log_filter()

    @classmethod
    def from_crawler(cls, crawler: Any) -> RedactLogExtension:
        from scrapy import signals

        ext = cls()
        # Scrapy may re-install its root handler (new settings); install again when the engine starts.
        crawler.signals.connect(ext.reinstall, signal=signals.engine_started)
        crawler.signals.connect(ext.reinstall, signal=signals.spider_opened)
        return ext

    def reinstall(self, *args: Any, **kwargs: Any) -> None:
        install_log_filter()

"""Bytes -> text for HTML pages: HTTP header charset, then BOM/meta charset, then detection.

w3lib's html_to_unicode is what Scrapy uses (WHATWG rules: a declared windows-1256 is honoured,
a declared latin-1 is read as cp1252); charset-normalizer is the detector when nothing is declared.
"""

from __future__ import annotations

import re

from w3lib.encoding import html_body_declared_encoding, html_to_unicode, http_content_type_encoding

# Characters XML/libxml2 cannot hold (C0 controls but tab/LF/CR, lone surrogates, U+FFFE/U+FFFF):
# lxml refuses to set them as text or XPath variables, so they are dropped from the decoded page.
_NOT_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """`text` without the characters lxml cannot store."""
    return _NOT_XML_CHARS.sub("", text)


class UndecodableError(ValueError):
    """The bytes are not a text page (binary, or no encoding yields text)."""


def _detect(body: bytes) -> str | None:
    from charset_normalizer import from_bytes

    best = from_bytes(body[:200_000], cp_isolation=None).best()
    return best.encoding if best else None


def looks_binary(body: bytes) -> bool:
    """NUL bytes or a known binary signature in the first KB: an image/PDF/archive, not HTML."""
    head = body[:1024]
    signatures = (b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"PK\x03\x04", b"\x1f\x8b", b"RIFF")
    if head.startswith(signatures):
        return True
    return b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff"))


def decode_html(body: bytes | str, content_type: str | None = None) -> tuple[str, str]:
    """Return (text, encoding used). Raises UndecodableError for binary input."""
    if isinstance(body, str):
        return xml_safe(body), "str"
    if looks_binary(body):
        raise UndecodableError("binary content, not an HTML page")
    declared = http_content_type_encoding(content_type) if content_type else None
    if not declared and not html_body_declared_encoding(body):
        try:
            body.decode("utf-8")
            detected: str | None = "utf-8"  # valid UTF-8 is almost never anything else
        except UnicodeDecodeError:
            detected = _detect(body)
        if detected:
            encoding, text = html_to_unicode(None, body, default_encoding=detected)
            return xml_safe(text), encoding
    encoding, text = html_to_unicode(content_type, body)
    return xml_safe(text), encoding

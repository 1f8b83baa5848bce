"""Canonical URLs and the stable article key (`_id`) derived from them.

Two URLs of the same article must give the same key: tracking parameters, AMP and mobile
variants, scheme/host case, default ports, fragments, trailing slashes and percent-encoding
differences are folded; where the outlet has a numeric article id, the id is the key, so an
edited slug is not a new article.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

from newscrawler.outlets import Outlet

_TRACKING = re.compile(
    r"^(?:utm_\w+|fbclid|gclid|gclsrc|dclid|msclkid|yclid|twclid|igshid|mc_cid|mc_eid|_ga|_gl|"
    r"ref|ref_src|referrer|cmpid|ncid|ocid|s_cid|at_\w+|share|shared|from|source|spm|"
    r"amp|outputtype|__twitter_impression|wt\.mc_id|hootpostid|mkt_tok)$",
    re.IGNORECASE,
)
_SITE_PREFIXES = re.compile(r"^(?:www\d?|m|mobile|amp)\.")
_AMP_PATH = re.compile(r"/amp/?$|\.amp(?=\.html?$|$)", re.IGNORECASE)


def normalise_url(url: str) -> str:
    """A clean, fetchable form of `url`: lower-case scheme/host, no default port, no fragment,
    no tracking parameters, sorted query, uppercase percent-encoding (raw Arabic encoded)."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower() or "https"
    host = (parts.hostname or "").lower().rstrip(".")
    port = parts.port
    netloc = host if port is None or (scheme, port) in (("http", 80), ("https", 443)) else f"{host}:{port}"
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k)])
    return canonicalize_url(urlunsplit((scheme, netloc, parts.path or "/", query, "")))


def same_site(a: str, b: str) -> bool:
    """Hosts of a and b belong to one site (www./m./amp. variants of one registered host)."""
    host_a = _SITE_PREFIXES.sub("", (urlsplit(a).hostname or "").lower())
    host_b = _SITE_PREFIXES.sub("", (urlsplit(b).hostname or "").lower())
    return bool(host_a) and (host_a == host_b or host_a.endswith("." + host_b) or host_b.endswith("." + host_a))


def _segments(url: str) -> list[str]:
    return [s for s in urlsplit(url).path.split("/") if s]


def trusted_canonical(page_url: str, declared: str | None, outlet: Outlet | None) -> bool:
    """Whether a declared canonical (rel=canonical / og:url) names this article.

    Not when it points to another site (a syndication credit), nor when it is not an article
    address: a template that puts the home page or the section in every page's canonical would
    otherwise merge different articles into one `_id`. With an outlet that is its article URL
    rule; without one, the home page or a path the page's own path extends (its section) is not
    an article of its own."""
    if not declared or not same_site(page_url, declared):
        return False
    if outlet is not None:
        return outlet.is_article_url(declared) or not outlet.is_article_url(page_url)
    declared_path, page_path = _segments(declared), _segments(page_url)
    if not declared_path and not urlsplit(declared).query:
        return not page_path  # the home page is only its own canonical
    return not (len(declared_path) < len(page_path) and page_path[:len(declared_path)] == declared_path)


def canonical_url(page_url: str, declared: str | None, outlet: Outlet | None = None) -> str:
    """The page's declared canonical if it is trusted (see `trusted_canonical`), else the page
    URL; normalised either way."""
    chosen = declared if declared and trusted_canonical(page_url, declared, outlet) else page_url
    return normalise_url(chosen)


def url_key(url: str) -> str:
    """The dedup form of a URL: host without www./m./amp., AMP suffix and trailing slash removed."""
    parts = urlsplit(normalise_url(url))
    host = _SITE_PREFIXES.sub("", parts.hostname or "")
    if parts.port:
        host = f"{host}:{parts.port}"
    path = _AMP_PATH.sub("", parts.path).rstrip("/") or "/"
    return f"{host}{path}" + (f"?{parts.query}" if parts.query else "")


def article_key(url: str, outlet: Outlet | None) -> str:
    """Stable `_id` of the article at `url`: outlet + its own article id where it has one, else
    outlet + the URL's path key (any of the outlet's hosts), else the URL key. Hashed to a fixed
    length so any URL fits an index."""
    url = normalise_url(url)
    article_id = outlet.article_id(url) if outlet else None
    if outlet and article_id:
        match = outlet.article_re.search(urlsplit(url).path)
        edition = match.groupdict().get("edition") if match else None
        basis = f"{outlet.name}:{edition or ''}:{article_id}"
    elif outlet:  # any of the outlet's hosts (www., mirrors, a replica) is the same site
        key = url_key(url)
        basis = f"{outlet.name}::{key[key.index('/'):] if '/' in key else '/'}"
    else:
        basis = url_key(url)
    return hashlib.blake2b(basis.encode(), digest_size=12).hexdigest()

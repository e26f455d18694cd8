"""URL normalisation shared by the normalise pipeline and the site modules (w3lib does the heavy lifting)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

# Query parameters that only track where a click came from; they never select different content.
TRACKING_PARAMS = (
    "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "utm_id", "utm_name", "gclid",
    "fbclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "_ga", "ref", "ref_src", "cmp", "icid", "ito",
    "xtor", "at_medium", "at_campaign", "share", "wt_mc", "ocid", "s_cid", "yclid", "twclid", "li_fat_id",
)
TRACKING_PREFIXES = ("utm_", "at_", "pk_", "mtm_")


def strip_tracking(url: str) -> str:
    parts = urlsplit(url)
    if not parts.query:
        return url
    keep = [p for p in parts.query.split("&") if p and not _is_tracking(p.split("=", 1)[0])]
    return urlunsplit(parts._replace(query="&".join(keep)))


def _is_tracking(name: str) -> bool:
    name = name.lower()
    return name in TRACKING_PARAMS or name.startswith(TRACKING_PREFIXES)


def normalise_url(url: str, *, drop_suffixes: tuple[str, ...] = (), strip_www: bool = True) -> str:
    """One spelling per page: https, lower-case host (without ``www.`` unless ``strip_www`` is false), no
    fragment or tracking parameters, sorted query, no trailing slash, none of ``drop_suffixes`` (``/comments``)."""
    url = canonicalize_url(strip_tracking(url.strip()), keep_fragments=False)
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if strip_www and host.startswith("www."):
        host = host[4:]
    netloc = host if parts.port in (None, 80, 443) else f"{host}:{parts.port}"
    path = parts.path
    for suffix in drop_suffixes:
        if path.rstrip("/").endswith(suffix):
            path = path.rstrip("/")[: -len(suffix)]
    path = re.sub(r"/{2,}", "/", path).rstrip("/") or "/"
    scheme = "https" if parts.scheme in ("http", "https") else parts.scheme
    return urlunsplit((scheme, netloc, path, parts.query, ""))


DEFAULT_PORTS = {"http": 80, "https": 443}


def http_url(url: str, base: str | None = None) -> str | None:
    """``url`` as an absolute http(s) URL (a relative one resolved against ``base``), None when it cannot be
    one: another scheme (``javascript:``, ``ftp:``), no host, a malformed host (``http://[::1``) or port."""
    try:
        # Only a reference without a scheme is relative: urljoin would also fill in "http:///x" from the base.
        absolute = urljoin(base, url) if base and not urlsplit(url).scheme else url
        parts = urlsplit(absolute)
        parts.port  # noqa: B018 — raises ValueError for a port that is no number or out of range
        host = parts.hostname  # raises ValueError for a malformed IPv6 host
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not host:
        return None
    return absolute


def url_origin(url: str) -> tuple[str, str, int] | None:
    """``(scheme, host, port)`` of an http(s) URL, the port made explicit; None for anything else."""
    if http_url(url) is None:
        return None
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port or DEFAULT_PORTS[parts.scheme]


@dataclass(frozen=True)
class Origin:
    """Where requests may go: one scheme + host + port, or (``scheme`` None) a site's host and its subdomains
    over http and https on their default ports, which is how a public site redirects between them."""

    host: str
    scheme: str | None = None
    port: int | None = None

    @classmethod
    def site(cls, domain: str) -> Origin:
        return cls(domain.lower())

    @classmethod
    def exact(cls, url: str) -> Origin:
        origin = url_origin(url)
        if origin is None:
            raise ValueError(f"not an http(s) URL: {url!r}")
        scheme, host, port = origin
        return cls(host, scheme, port)

    @classmethod
    def of(cls, url: str) -> Origin:
        """The origin an operator means by naming ``url``: on a default port its site (``www.`` folded, with
        subdomains, http or https), on any other port (a mirror, a test server) exactly that origin."""
        scheme, host, port = cls.exact(url).key
        if port == DEFAULT_PORTS[scheme]:
            return cls.site(host.removeprefix("www."))
        return cls(host, scheme, port)

    @property
    def key(self) -> tuple[str | None, str, int | None]:
        return self.scheme, self.host, self.port

    def allows(self, scheme: str, host: str, port: int) -> bool:
        if self.scheme is None:
            return port == DEFAULT_PORTS[scheme] and (host == self.host or host.endswith("." + self.host))
        return (scheme, host, port) == (self.scheme, self.host, self.port)

    def __str__(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}" if self.scheme else f"http(s)://[*.]{self.host}"


class Origins:
    """The origins a spider may fetch from; every other URL (another port or scheme of the same host too) is
    refused."""

    def __init__(self, origins):
        self.origins = tuple(dict.fromkeys(origins))

    def allows(self, url: str) -> bool:
        origin = url_origin(url)
        return origin is not None and any(o.allows(*origin) for o in self.origins)

    def __str__(self) -> str:
        return ", ".join(map(str, self.origins))


__all__ = ["normalise_url", "strip_tracking", "TRACKING_PARAMS", "http_url", "url_origin", "Origin", "Origins"]

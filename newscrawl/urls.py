"""URL normalisation shared by the normalise pipeline and the site modules (w3lib does the heavy lifting)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

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


__all__ = ["normalise_url", "strip_tracking", "TRACKING_PARAMS"]

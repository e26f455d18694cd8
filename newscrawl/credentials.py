"""Connection URIs with credentials (``MONGO_URI``, ``REDIS_URL``) without those credentials, for any output.

An operator may write a password unescaped (``mongodb://user:p/a@ss@host:27017/db``). A regex that cuts the
user info at the first ``/`` or ``@`` then prints part of the password, and the clients' own parsers name
fragments of it in their errors (pymongo: ``Port contains non-digit characters``, redis-py: ``Port could not
be cast to integer value as 'p'``). So the URI is split with :func:`urllib.parse.urlsplit` and accepted only
when the split is unambiguous: the user info is everything before the last ``@`` of the authority, and no
``@`` may follow the authority (a password with an unescaped ``/ ? #`` moves the ``@`` that ends it there).
A URI that does not pass is *unparseable*: it is shown as its scheme and ``***`` only, and text that may
quote it (a client's error) is withheld whole — its credentials cannot be told apart from the rest.

Shown of a parseable URI: scheme, hosts and path; the user info becomes ``***:***@``, a query (which can
carry ``password=`` or ``tlsCertificateKeyFilePassword=``) ``?***`` and a fragment ``#***``.
"""

from __future__ import annotations

import re

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

MASK = "***"
WITHHELD = "(message withheld: it may quote the credentials of a URI that cannot be parsed)"
ESCAPE_HINT = ("a user name or password containing any of : / ? # [ ] @ % must be percent-encoded "
               "(urllib.parse.quote_plus)")


@dataclass(frozen=True)
class URIParts:
    scheme: str
    userinfo: str  # raw, as written ('' without credentials)
    hosts: str  # host[:port] list as written
    path: str
    query: str
    fragment: str


def _scheme(uri: str) -> str:
    """The scheme of ``uri`` when it is a well-formed one (RFC 3986: a letter, then letters, digits + - .)."""
    head, sep, _ = uri.partition(":")
    if sep and head and head.isascii() and head[0].isalpha() and all(c.isalnum() or c in "+-." for c in head):
        return head.lower()
    return ""


def _valid_host(host: str) -> bool:
    try:
        parts = urlsplit("//" + host)
        parts.port  # noqa: B018 — raises ValueError for a port that is not a number in range
    except ValueError:
        return False
    return bool(parts.hostname) and parts.netloc == host and not parts.path


def split_uri(uri: str) -> URIParts | None:
    """The parts of ``uri``, or None when it cannot be split without guessing where its credentials end."""
    if not isinstance(uri, str) or not uri.isprintable() or " " in uri:
        return None  # urlsplit silently drops tabs and newlines: what it returns is not what was written
    scheme = _scheme(uri)
    if not scheme or not uri[len(scheme) + 1:].startswith("//"):
        return None
    try:
        parts = urlsplit(uri)
    except ValueError:  # an unbalanced [ in the authority
        return None
    if "@" in parts.path + parts.query + parts.fragment:
        return None  # the credentials hold an unescaped / ? or #: the @ that ends them is past the authority
    userinfo, at, hosts = parts.netloc.rpartition("@")
    if hosts and not all(_valid_host(host) for host in hosts.split(",")):
        return None  # e.g. "user:p" taken for host:port
    if at and not userinfo:
        return None
    return URIParts(scheme, userinfo, hosts, parts.path, parts.query, parts.fragment)


# An unparseable URI shown as written: scheme, 1-3 slashes, host names, ports, commas and a path; nothing else.
TYPO = re.compile(r"[a-z][a-z0-9+.-]{1,20}:?/{1,3}[A-Za-z0-9.\-]+(:\d{1,5})?(,[A-Za-z0-9.\-]+(:\d{1,5})?)*(/[A-Za-z0-9_.\-]*)?")


def mask_uri(uri: str) -> str:
    """``uri`` with its credentials, query and fragment replaced by ``***``; an unparseable one as
    ``<scheme>://***`` (``***`` without a well-formed scheme), or as written when it is a scheme, slashes and a
    host with no place a secret could be in (``mongodb//localhost``, ``mongodb:/db.example.net:27017``), so
    a typo shows; a bare word (a password pasted by mistake) stays masked."""
    parts = split_uri(uri)
    if parts is None and isinstance(uri, str) and TYPO.fullmatch(uri):
        return uri
    if parts is None:
        scheme = _scheme(uri) if isinstance(uri, str) else ""
        return f"{scheme}://{MASK}" if scheme else MASK
    return (f"{parts.scheme}://{MASK + ':' + MASK + '@' if parts.userinfo else ''}{parts.hosts}{parts.path}"
            f"{'?' + MASK if parts.query else ''}{'#' + MASK if parts.fragment else ''}")


def secrets_of(uri: str) -> list[str] | None:
    """The strings of ``uri`` that must not be shown: user, password, user info, query values, each as
    written and percent-decoded, longest first; None when ``uri`` cannot be parsed (they are unknown)."""
    parts = split_uri(uri)
    if parts is None:
        return None
    found = set()
    if parts.userinfo:
        user, _, password = parts.userinfo.partition(":")
        found.update((parts.userinfo, user, password))
    for value in (parts.query, parts.fragment):
        found.add(value)
        for option in value.replace(";", "&").split("&"):  # as written; decoded below
            found.update((option, option.partition("=")[2]))
    found.update({unquote(s) for s in found} | {unquote(s.replace("+", " ")) for s in found})
    return sorted((s for s in found if s), key=len, reverse=True)


def redact(text: str, *uris: str) -> str:
    """``text`` (a client's error message, say) with every secret of each URI replaced by ``***``; the
    whole text is withheld when one of the URIs cannot be parsed. Linear in ``text`` per secret."""
    for uri in uris:
        if not uri:
            continue
        secrets = secrets_of(uri)
        if secrets is None:
            return WITHHELD
        for secret in secrets:
            text = text.replace(secret, MASK)
    return text


class UnparseableURI(ValueError):
    """A connection URI that cannot be split safely; its message names the setting, never a part of it."""

    def __init__(self, setting: str, uri: str):
        super().__init__(f"{setting} {mask_uri(uri)} cannot be parsed: {ESCAPE_HINT}")
        self.setting = setting


def check_uri(setting: str, uri: str | None) -> None:
    """Raise :class:`UnparseableURI` before a client library parses (and quotes) a URI it may misread."""
    if uri and split_uri(uri) is None:
        raise UnparseableURI(setting, uri)

"""A PostgreSQL URL: its form checked, and never shown with its password.

The URL may hold a password (``postgresql://user:secret@host/db``, or ``?password=secret``), so
nothing prints it as given: a settings error names the expected form, and every message, log
line and answer shows :func:`masked` instead, with any driver message passed through
:func:`scrubbed` first.
"""

from __future__ import annotations

import re
import urllib.parse

SCHEMES = ("postgresql", "postgres")
FORM = "postgresql://user:password@host:port/database"
HIDDEN = "***"
_QUERY_PASSWORD = re.compile(r"(?i)((?:^|&)password=)[^&]*")


def is_postgres_url(url: str) -> bool:
    """Whether ``url`` names a PostgreSQL database: ``postgresql://`` (or ``postgres://``), a
    host (or ``?host=/socket/folder``), a numeric port if any, and a database name."""
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 (raises for a port that is not a number)
    except ValueError:
        return False
    if parts.scheme not in SCHEMES or parts.fragment:
        return False
    query = urllib.parse.parse_qs(parts.query)
    host = parts.hostname or query.get("host", [""])[0]
    database = urllib.parse.unquote(parts.path.removeprefix("/"))
    return bool(host) and database != "" and "/" not in database


def masked(url: str) -> str:
    """``url`` with its password (in the user part or the query) replaced by ``***``."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return "(a database URL that cannot be read)"
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user, colon, _ = userinfo.partition(":")
        netloc = f"{user}{':' + HIDDEN if colon else ''}@{hostport}"
    query = _QUERY_PASSWORD.sub(rf"\g<1>{HIDDEN}", parts.query)
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def passwords(url: str) -> list[str]:
    """Every password ``url`` holds, as given and decoded (what a message might quote)."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return []
    found = []
    if parts.password:
        found += [parts.password, urllib.parse.unquote(parts.password)]
    for name, value in urllib.parse.parse_qsl(parts.query):
        if name.lower() == "password" and value:
            found.append(value)
    return sorted({secret for secret in found if secret}, key=len, reverse=True)


def scrubbed(message: str, url: str) -> str:
    """``message`` (a driver's words) with any password of ``url`` in it replaced."""
    for secret in passwords(url):
        message = message.replace(secret, HIDDEN)
    return message

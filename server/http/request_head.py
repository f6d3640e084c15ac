"""The first request of a connection read from its raw bytes, for the plain requests only.

The door in front of Hypercorn (:mod:`server.serving.door`) answers a render that is bound to
be refused before Hypercorn parses it, and must never read a request otherwise than h11 (which
Hypercorn parses with) would. So this reads a narrow, unambiguous subset of HTTP/1.1 and says
"not mine" for anything else, which then goes to Hypercorn untouched: ``POST``, an origin-form
target of unreserved characters only (no percent-encoding to decode, no query), ``HTTP/1.1``,
lines ending in CRLF, header names that are tokens and values of visible ASCII with single
spaces or tabs inside (no obsolete line folding, no bytes above 0x7E), exactly one ``Host``,
and a head of at most :data:`MAX_HEAD_BYTES`. Names come back lower-cased and values with
their surrounding whitespace removed, as h11 gives them to the app.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

MAX_HEAD_BYTES = 8192
_END = b"\r\n\r\n"
_REQUEST_LINE = re.compile(rb"POST (/[A-Za-z0-9._~/-]*) HTTP/1\.1")
_HEADER_LINE = re.compile(
    rb"([-!#$%&'*+.^_`|~0-9A-Za-z]+):[ \t]*((?:[\x21-\x7e]+(?:[ \t]+[\x21-\x7e]+)*)?)[ \t]*"
)


class Unread(Enum):
    """Why no request came out of the bytes: not all there yet, or not one read here."""

    INCOMPLETE = "incomplete"
    NOT_PLAIN = "not plain"


@dataclass(frozen=True)
class RequestHead:
    """A plain request's head: its path, its header lines in order (names lower-cased), and
    where its body starts in the bytes read."""

    path: str
    headers: list[tuple[bytes, bytes]]
    body_start: int


def read_head(data: bytes) -> RequestHead | Unread:
    """The head at the start of ``data``, :attr:`Unread.INCOMPLETE` while its end has not come
    (and cannot yet be told apart from a plain one), or :attr:`Unread.NOT_PLAIN`."""
    if not data.startswith(b"POST /"[: len(data)]):
        return Unread.NOT_PLAIN
    end = data.find(_END, 0, MAX_HEAD_BYTES + len(_END))
    if end < 0:
        return Unread.INCOMPLETE if len(data) < MAX_HEAD_BYTES else Unread.NOT_PLAIN
    lines = data[:end].split(b"\r\n")
    request_line = _REQUEST_LINE.fullmatch(lines[0])
    if request_line is None:
        return Unread.NOT_PLAIN
    headers: list[tuple[bytes, bytes]] = []
    hosts = 0
    for line in lines[1:]:
        header = _HEADER_LINE.fullmatch(line)
        if header is None:
            return Unread.NOT_PLAIN
        name = header[1].lower()
        hosts += name == b"host"
        headers.append((name, header[2]))
    if hosts != 1:
        return Unread.NOT_PLAIN
    return RequestHead(request_line[1].decode("ascii"), headers, end + len(_END))

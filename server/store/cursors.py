"""Listing cursors: a position (a document's sequence number) in an opaque string, marked with
the kind of store that made it, so that a cursor from another kind of store is refused
(:class:`~server.store.model.InvalidCursor`), never read as a position it is not."""

from __future__ import annotations

import base64
import binascii

from .model import InvalidCursor

_MAX_DIGITS = 18  # below 2**63: a bigint


def make_cursor(kind: str, seq: int) -> str:
    """The cursor of position ``seq`` for a store of ``kind`` (a short tag such as ``p1``)."""
    return base64.urlsafe_b64encode(f"{kind}:{seq}".encode()).decode().rstrip("=")


def read_cursor(kind: str, cursor: str) -> int:
    """The position in ``cursor``.

    Raises:
        InvalidCursor: it was not made by :func:`make_cursor` for this ``kind``.
    """
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, ValueError):
        raise InvalidCursor("the cursor is not one this server made") from None
    prefix = f"{kind}:"
    number = text.removeprefix(prefix)
    if not text.startswith(prefix) or not number.isdigit() or len(number) > _MAX_DIGITS:
        raise InvalidCursor("the cursor is not one this server made")
    return int(number)

"""``Idempotency-Key`` on a create (the IETF httpapi draft): a client that lost the answer to a
``POST`` may send it again with the same key and get the first answer, not a second document.

The key is scoped by owner and kept for :data:`KEEP`. The request it came with is named by a
fingerprint of what would be stored (template, title and data as read), so a retry that sends
the same document is the same request, and one that sends another is refused (422) instead of
being answered with a response that does not fit it.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

from quart import request

from ..store import DocumentInput, IdempotencyKey, document_json
from .problems import RequestError

HEADER = "Idempotency-Key"
KEEP = timedelta(hours=24)
KEY_CHARS = 255
REPLAYED_HEADER = "Idempotent-Replayed"


class InvalidIdempotencyKey(RequestError):
    status = 400
    type = "invalid-idempotency-key"
    title = "The Idempotency-Key header cannot be used"


def requested_key() -> str | None:
    """The request's idempotency key, None without the header.

    The draft makes the value a structured-field string (``"8e03978e"``); a bare token, which
    many clients send, is taken as well.

    Raises:
        InvalidIdempotencyKey: given more than once, empty, too long, or not visible ASCII.
    """
    values = request.headers.getlist(HEADER)
    if not values:
        return None
    if len(values) > 1:
        raise InvalidIdempotencyKey(f"{HEADER} was given {len(values)} times; give it once")
    raw = values[0].strip()
    key = raw[1:-1] if len(raw) >= 2 and raw[0] == raw[-1] == '"' else raw
    if not key or len(key) > KEY_CHARS:
        raise InvalidIdempotencyKey(f"{HEADER} must be 1 to {KEY_CHARS} characters")
    if not all("!" <= c <= "~" for c in key) or '"' in key or "\\" in key:
        raise InvalidIdempotencyKey(
            f"{HEADER} must be visible ASCII without spaces, quotes or backslashes"
        )
    return key


def fingerprint(document: DocumentInput) -> str:
    """What names the request: the SHA-256 of the document as it would be stored."""
    canonical = json.dumps([document.template, document.title], ensure_ascii=True)
    digest = hashlib.sha256(canonical.encode("ascii"))
    digest.update(b"\n")
    digest.update(document_json(document.data).encode("ascii"))
    return digest.hexdigest()


def idempotency(key: str, document: DocumentInput) -> IdempotencyKey:
    return IdempotencyKey(key, fingerprint(document))

"""What a stored document's id and title must be, whoever writes it.

The API makes ids itself and takes titles from clients; ``texrender documents import`` takes
both from a file, and holds them to the same rules, so that an import can store nothing the API
could not have (an id such as ``../../etc/passwd`` would end up in URLs, logs and file names).
Owners are API key owners: their rule is :func:`server.store.keys.check_name`. Nothing here
knows a database, so every backend makes ids (and replays a first answer) the same way.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from .model import DocumentInput, StoredDocument

TITLE_CHARS = 200
DOCUMENT_ID_CHARS = 22
_DOCUMENT_ID = re.compile(rf"[A-Za-z0-9_-]{{{DOCUMENT_ID_CHARS}}}")


def new_document_id() -> str:
    """128 random bits, URL-safe (22 characters): not guessable, not in order."""
    return secrets.token_urlsafe(16)


def document_id_problem(value: object) -> str | None:
    """Why ``value`` is not an id this server could have made (None: it is one)."""
    if isinstance(value, str) and _DOCUMENT_ID.fullmatch(value):
        return None
    return f"a document id is {DOCUMENT_ID_CHARS} letters, digits, '-' or '_' (as the API makes)"


def title_problem(value: object) -> str | None:
    """Why ``value`` is not a document title (None: it is one, or absent)."""
    if value is None or (isinstance(value, str) and len(value) <= TITLE_CHARS):
        return None
    return f"a title is a string of at most {TITLE_CHARS} characters"


REUSED_KEY = (
    "this Idempotency-Key came before with another request; use a new key for a new request"
)


def first_answer(document_id: str, created: datetime, document: DocumentInput) -> StoredDocument:
    """The document a create made, as it answered then: what an idempotent retry replays
    (the retry carries the same input, so only the id and the time need keeping)."""
    return StoredDocument(
        id=document_id,
        template=document.template,
        title=document.title,
        revision=1,
        created=created,
        updated=created,
        data=document.data,
    )

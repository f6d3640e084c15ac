"""The records a store holds and the two protocols a backend implements.

Nothing here knows SQL. Revisions count writes (1 on creation), so a client's ``If-Match``
names the version it read; cursors are opaque strings a backend makes and reads back.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol


def document_json(data: dict[str, Any]) -> str:
    """The data as a store keeps it (and as its size is counted): compact JSON, ASCII escapes,
    so that any string JSON can hold (a lone surrogate too) is kept as it came."""
    return json.dumps(data, ensure_ascii=True, separators=(",", ":"))


class StoreError(Exception):
    """A store could not do what was asked; subclasses say why."""


class DocumentNotFound(StoreError):
    """No document with that id belongs to that owner (whether or not it exists for another)."""


class RevisionMismatch(StoreError):
    """The document changed since the revision the caller named."""

    def __init__(self, current: int) -> None:
        super().__init__(f"the document is at revision {current}")
        self.current = current


class DocumentQuotaExceeded(StoreError):
    """The owner already holds as many documents as allowed."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"an owner may store at most {limit:,} documents")
        self.limit = limit


class DocumentOwnerConflict(StoreError):
    """An imported document's id is held by another owner: an import never moves a document
    from one owner to another."""

    def __init__(self, document_id: str) -> None:
        super().__init__(f"document {document_id} belongs to another owner here")
        self.document_id = document_id


class InvalidCursor(StoreError):
    """A pagination cursor this store did not make."""


class StoreUnavailable(StoreError):
    """The database cannot answer now (locked past the busy timeout, disk full, I/O error)."""


class IdempotencyKeyReused(StoreError):
    """An idempotency key this owner gave before came with another request: the key names
    one request only, so it is refused instead of replaying a response that does not fit."""


class KeyNotFound(StoreError):
    """No API key has that name."""


class NameTaken(StoreError):
    """A live (not revoked) API key with that name exists already."""


@dataclass(frozen=True)
class DocumentInput:
    """What a client gives: a template, its (already read and validated) data, a title."""

    template: str
    data: dict[str, Any]
    title: str | None = None


@dataclass(frozen=True)
class IdempotencyKey:
    """A client's ``Idempotency-Key`` (scoped by owner) and the fingerprint of the request
    that came with it: what makes a retried create return the first answer again."""

    key: str
    fingerprint: str


@dataclass(frozen=True)
class DocumentSummary:
    """A stored document without its data (what a listing shows)."""

    id: str
    template: str
    title: str | None
    revision: int
    created: datetime
    updated: datetime


@dataclass(frozen=True)
class StoredDocument(DocumentSummary):
    """A stored document, data included."""

    data: dict[str, Any]

    def as_input(self) -> DocumentInput:
        return DocumentInput(self.template, self.data, self.title)


@dataclass(frozen=True)
class ExportedDocument:
    """One document with its owner, as ``texrender documents export`` writes it."""

    owner: str
    document: StoredDocument


@dataclass(frozen=True)
class DocumentPage:
    """One page of a listing, newest first; ``next_cursor`` is None on the last page."""

    items: Sequence[DocumentSummary]
    next_cursor: str | None


@dataclass(frozen=True)
class ApiKey:
    """What is kept of an API key: never the key itself, only a hash of its secret part."""

    key_id: str
    name: str
    owner: str
    secret_hash: bytes
    created: datetime
    revoked: datetime | None = None
    last_used: datetime | None = None


class DocumentStore(Protocol):
    """Documents by owner. Every method may raise :class:`StoreError` subclasses as noted."""

    async def create(self, owner: str, document: DocumentInput, *, quota: int) -> StoredDocument:
        """Store a new document under a fresh id.

        Raises:
            DocumentQuotaExceeded: the owner holds ``quota`` documents already.
        """
        ...

    async def create_once(
        self,
        owner: str,
        document: DocumentInput,
        *,
        quota: int,
        once: IdempotencyKey,
        keep: timedelta,
    ) -> tuple[StoredDocument, bool]:
        """Store a new document, unless the owner gave ``once.key`` in the last ``keep``: then
        answer the document as that first request created it, and True (replayed).

        The replay is rebuilt from what was kept (id and time of creation) and ``document``
        (the same fingerprint means the same input), at revision 1: it is the first answer,
        not the document now, which may have changed or gone since. Two requests with the
        same key at once make one document; the other replays it. Records past ``keep`` are
        dropped as new ones come.

        Raises:
            DocumentQuotaExceeded: as :meth:`create` (nothing is kept of the key then).
            IdempotencyKeyReused: the key came before with another fingerprint.
        """
        ...

    async def get(self, owner: str, document_id: str) -> StoredDocument:
        """Raises: DocumentNotFound."""
        ...

    async def list_documents(
        self, owner: str, *, limit: int, cursor: str | None = None, template: str | None = None
    ) -> DocumentPage:
        """The owner's documents, newest first, ``limit`` at a time, optionally of one template.

        A document stored while a client pages through appears at the front, never on a later
        page: pages after a cursor neither repeat nor skip anything.

        Raises:
            InvalidCursor: ``cursor`` was not made by this store.
        """
        ...

    async def replace(
        self,
        owner: str,
        document_id: str,
        document: DocumentInput,
        *,
        expected_revision: int | None = None,
    ) -> StoredDocument:
        """Replace the document (its id and creation time stay); the revision goes up by one.

        Raises:
            DocumentNotFound, RevisionMismatch (``expected_revision`` is not the current one).
        """
        ...

    async def delete(
        self, owner: str, document_id: str, *, expected_revision: int | None = None
    ) -> None:
        """Raises: DocumentNotFound, RevisionMismatch."""
        ...

    async def move_documents(self, owner: str, new_owner: str) -> int:
        """Give every document of ``owner`` to ``new_owner``, ids, revisions and dates kept (as
        ``texrender documents move`` hands what was stored with auth off, as ``local``, to a
        key's owner): how many moved. The new owner's quota is not checked."""
        ...

    async def export(self, after: int = 0, limit: int = 100) -> tuple[list[ExportedDocument], int]:
        """Every owner's documents, oldest first, ``limit`` at a time: the page and the position
        to continue from (a page shorter than ``limit`` is the last)."""
        ...

    async def import_documents(
        self, documents: Iterable[ExportedDocument], *, replace: bool = False
    ) -> tuple[int, int]:
        """Store exported documents under their own ids and owners, all in one transaction:
        every one is written, or (on any error) none is. How many were written and skipped: an
        id the same owner holds is skipped, or overwritten with ``replace``.

        Raises:
            DocumentOwnerConflict: another owner holds one of the ids (nothing is written).
        """
        ...


class KeyStore(Protocol):
    """API keys: added, found by their public id, listed, revoked, deleted. A name belongs to
    one live key at a time; revoked keys keep theirs, and a new key may take it."""

    async def add_key(self, key: ApiKey) -> None:
        """Raises: NameTaken (a live key has that name)."""
        ...

    async def find_key(self, key_id: str) -> ApiKey | None: ...

    async def list_keys(self) -> list[ApiKey]: ...

    async def revoke_key(self, name: str) -> ApiKey:
        """Revoke the live key of that name (or answer the latest revoked one, if none is live).

        Raises: KeyNotFound."""
        ...

    async def delete_key(self, name: str) -> int:
        """Forget every key of that name, live or revoked: how many there were.

        Raises: KeyNotFound."""
        ...

    async def touch_key(self, key_id: str, when: datetime) -> None:
        """Note that the key was used (``keys list`` shows it)."""
        ...


class Store(DocumentStore, KeyStore, Protocol):
    """Both, in one database, with a way to let go of it."""

    async def aclose(self) -> None: ...

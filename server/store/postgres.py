"""The shared store: documents and API keys in PostgreSQL, for several instances at once.

It answers exactly as :class:`~server.store.sqlite.SqliteStore` does; where SQLite has one
writer at a time, PostgreSQL has many, so what SQLite gets from that is taken explicitly here:

- A create counts the owner's documents and inserts under a transaction-level advisory lock on
  the owner, so two creates at once (on two instances) cannot pass the quota together, and an
  owner's documents get their sequence numbers in the order they commit: a listing's cursor
  (a position in that order) never passes a document that appears later.
- A conditional write reads the revision ``FOR UPDATE``: the row stays as read until it commits.
- An import locks every owner it writes to (in one order, so two imports cannot deadlock) and
  the rows of its ids, all in one transaction.

The data is stored as the text :func:`~server.store.model.document_json` made, and a title as
a JSON string (see :mod:`server.store.pg_migrations` for why). Calls run in worker threads
(:mod:`server.store.pg_pool`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

import psycopg

from .cursors import make_cursor, read_cursor
from .model import (
    ApiKey,
    DocumentInput,
    DocumentNotFound,
    DocumentOwnerConflict,
    DocumentPage,
    DocumentQuotaExceeded,
    DocumentSummary,
    ExportedDocument,
    IdempotencyKey,
    IdempotencyKeyReused,
    KeyNotFound,
    NameTaken,
    RevisionMismatch,
    StoredDocument,
    document_json,
)
from .observer import StoreObserver
from .pg_pool import Connection, PgConnections, utc
from .rules import REUSED_KEY, first_answer, new_document_id
from .sqlite import now

CURSOR_KIND = "p1"
_NO_CURSOR = 2**62  # larger than any seq
# The advisory lock space of owners (pg_advisory_xact_lock(int, int)): "td", then hashtext(owner).
# The two-key space never meets the one-key space of the migration lock.
_OWNER_LOCKS = 0x7464
# Every query written out whole (no SQL is ever pieced together): the columns in this order.
_LIST = (
    "SELECT seq, id, template, title, revision, created, updated FROM documents"
    " WHERE owner = %s AND seq < %s ORDER BY seq DESC LIMIT %s"
)
_LIST_TEMPLATE = (
    "SELECT seq, id, template, title, revision, created, updated FROM documents"
    " WHERE owner = %s AND template = %s AND seq < %s ORDER BY seq DESC LIMIT %s"
)
_GET = (
    "SELECT seq, id, template, title, revision, created, updated, data FROM documents"
    " WHERE owner = %s AND id = %s"
)
_EXPORT = (
    "SELECT seq, id, template, title, revision, created, updated, data, owner FROM documents"
    " WHERE seq > %s ORDER BY seq LIMIT %s"
)
_INSERT = (
    "INSERT INTO documents (id, owner, template, title, data, revision, created, updated)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
    " RETURNING seq, id, template, title, revision, created, updated, data"
)
_REPLACE = (
    "UPDATE documents SET template = %s, title = %s, data = %s, revision = revision + 1,"
    " updated = %s WHERE owner = %s AND id = %s"
    " RETURNING seq, id, template, title, revision, created, updated, data"
)
_FIND_KEY = (
    "SELECT key_id, name, owner, secret_hash, created, revoked, last_used FROM api_keys"
    " WHERE key_id = %s"
)
_LIST_KEYS = (
    "SELECT key_id, name, owner, secret_hash, created, revoked, last_used FROM api_keys"
    ' ORDER BY created, name COLLATE "C"'
)
_LAST_KEY_NAMED = (
    "SELECT key_id, name, owner, secret_hash, created, revoked, last_used FROM api_keys"
    " WHERE name = %s ORDER BY revoked DESC NULLS LAST LIMIT 1"
)
# Records past their time, whoever's: rows another transaction is dropping are left to it.
_DROP_EXPIRED_KEYS = (
    "DELETE FROM idempotency_keys WHERE ctid IN (SELECT ctid FROM idempotency_keys"
    " WHERE expires <= %s FOR UPDATE SKIP LOCKED)"
)
Row = tuple[Any, ...]


class PostgresStore:
    """:class:`~server.store.DocumentStore` and :class:`~server.store.KeyStore` on PostgreSQL."""

    def __init__(self, connections: PgConnections) -> None:
        self.connections = connections

    @classmethod
    async def open(
        cls, url: str, *, pool_size: int = 4, observer: StoreObserver | None = None
    ) -> PostgresStore:
        """The store in the database ``url`` names, its schema brought up to date.

        Raises:
            SchemaTooNew: the database was migrated by a newer texrender.
            psycopg.Error: it cannot be reached or used (see :meth:`PgConnections.open`).
        """
        return cls(await PgConnections.open(url, size=pool_size, observer=observer))

    async def aclose(self) -> None:
        await self.connections.aclose()

    async def ping(self, timeout_s: float) -> bool:
        """Whether the database answers now (for ``/readyz``)."""
        return await self.connections.ping(timeout_s)

    # Documents.

    async def create(self, owner: str, document: DocumentInput, *, quota: int) -> StoredDocument:
        def work(db: Connection) -> StoredDocument:
            with db.transaction():
                return _insert(db, owner, document, quota, now())

        return await self.connections.call("create", work)

    async def create_once(
        self,
        owner: str,
        document: DocumentInput,
        *,
        quota: int,
        once: IdempotencyKey,
        keep: timedelta,
    ) -> tuple[StoredDocument, bool]:
        def work(db: Connection) -> tuple[StoredDocument, bool]:
            moment = now()
            with db.transaction():
                # The owner's lock (taken by _insert too) makes racing retries of one key wait
                # for each other: the first creates, the others find its record.
                _lock_owners(db, [owner])
                db.execute(_DROP_EXPIRED_KEYS, (moment,))
                row = db.execute(
                    "SELECT fingerprint, document_id, created FROM idempotency_keys"
                    " WHERE owner = %s AND key = %s",
                    (owner, once.key),
                ).fetchone()
                if row is not None:
                    fingerprint, document_id, created = row
                    if fingerprint != once.fingerprint:
                        raise IdempotencyKeyReused(REUSED_KEY)
                    return first_answer(document_id, utc(created), document), True
                stored = _insert(db, owner, document, quota, moment)
                db.execute(
                    "INSERT INTO idempotency_keys (owner, key, fingerprint, document_id,"
                    " created, expires) VALUES (%s, %s, %s, %s, %s, %s)",
                    (owner, once.key, once.fingerprint, stored.id, stored.created, moment + keep),
                )
                return stored, False

        return await self.connections.call("create_once", work)

    async def get(self, owner: str, document_id: str) -> StoredDocument:
        if not _storable(owner, document_id):
            raise DocumentNotFound(document_id)
        return await self.connections.call("get", lambda db: _get(db, owner, document_id))

    async def list_documents(
        self, owner: str, *, limit: int, cursor: str | None = None, template: str | None = None
    ) -> DocumentPage:
        below = _NO_CURSOR if cursor is None else read_cursor(CURSOR_KIND, cursor)
        if not _storable(owner, template or ""):
            return DocumentPage([], None)

        def work(db: Connection) -> DocumentPage:
            if template is None:
                rows = db.execute(_LIST, (owner, below, limit + 1)).fetchall()
            else:
                rows = db.execute(_LIST_TEMPLATE, (owner, template, below, limit + 1)).fetchall()
            more = len(rows) > limit
            rows = rows[:limit]
            next_cursor = make_cursor(CURSOR_KIND, rows[-1][0]) if more and rows else None
            return DocumentPage([_summary(row) for row in rows], next_cursor)

        return await self.connections.call("list", work)

    async def replace(
        self,
        owner: str,
        document_id: str,
        document: DocumentInput,
        *,
        expected_revision: int | None = None,
    ) -> StoredDocument:
        if not _storable(owner, document_id):
            raise DocumentNotFound(document_id)

        def work(db: Connection) -> StoredDocument:
            with db.transaction():
                _check_revision(db, owner, document_id, expected_revision)
                cursor = db.execute(_REPLACE, (*_columns(document), now(), owner, document_id))
                return _document(_one(cursor))

        return await self.connections.call("replace", work)

    async def delete(
        self, owner: str, document_id: str, *, expected_revision: int | None = None
    ) -> None:
        if not _storable(owner, document_id):
            raise DocumentNotFound(document_id)

        def work(db: Connection) -> None:
            with db.transaction():
                _check_revision(db, owner, document_id, expected_revision)
                db.execute(
                    "DELETE FROM documents WHERE owner = %s AND id = %s", (owner, document_id)
                )

        await self.connections.call("delete", work)

    async def move_documents(self, owner: str, new_owner: str) -> int:
        if not _storable(owner):
            return 0

        def work(db: Connection) -> int:
            with db.transaction():
                _lock_owners(db, [owner, new_owner])
                moved = db.execute(
                    "UPDATE documents SET owner = %s WHERE owner = %s", (new_owner, owner)
                ).rowcount
            return moved

        return await self.connections.call("move", work)

    async def export(self, after: int = 0, limit: int = 100) -> tuple[list[ExportedDocument], int]:
        def work(db: Connection) -> tuple[list[ExportedDocument], int]:
            rows = db.execute(_EXPORT, (after, limit)).fetchall()
            exported = [ExportedDocument(row[-1], _document(row[:-1])) for row in rows]
            return exported, rows[-1][0] if rows else after

        return await self.connections.call("export", work)

    async def import_documents(
        self, documents: Iterable[ExportedDocument], *, replace: bool = False
    ) -> tuple[int, int]:
        batch = list(documents)

        def work(db: Connection) -> tuple[int, int]:
            with db.transaction():  # one transaction: any error below rolls every line back
                _lock_owners(db, [item.owner for item in batch])
                held: dict[str, str] = dict(
                    db.execute(
                        "SELECT id, owner FROM documents WHERE id = ANY(%s) FOR UPDATE",
                        ([item.document.id for item in batch],),
                    ).fetchall()
                )
                inserts: list[Row] = []
                updates: list[Row] = []
                skipped = 0
                for item in batch:  # decided as SQLite does, one line after the other
                    doc = item.document
                    values = (*_columns(doc.as_input()), doc.revision, doc.created, doc.updated)
                    holder = held.get(doc.id)
                    if holder is None:
                        inserts.append((doc.id, item.owner, *values))
                        held[doc.id] = item.owner
                    elif holder != item.owner:
                        raise DocumentOwnerConflict(doc.id)
                    elif replace:
                        updates.append((*values, doc.id, item.owner))
                    else:
                        skipped += 1
                with db.cursor() as cursor:
                    cursor.executemany(
                        "INSERT INTO documents (id, owner, template, title, data, revision,"
                        " created, updated) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                        inserts,
                    )
                    cursor.executemany(
                        "UPDATE documents SET template = %s, title = %s, data = %s,"
                        " revision = %s, created = %s, updated = %s WHERE id = %s AND owner = %s",
                        updates,
                    )
            return len(inserts) + len(updates), skipped

        return await self.connections.call("import", work)

    # API keys.

    async def add_key(self, key: ApiKey) -> None:
        def work(db: Connection) -> None:
            try:
                db.execute(
                    "INSERT INTO api_keys (key_id, name, owner, secret_hash, created)"
                    " VALUES (%s, %s, %s, %s, %s)",
                    (key.key_id, key.name, key.owner, key.secret_hash, key.created),
                )
            except psycopg.errors.UniqueViolation as exc:
                raise NameTaken(
                    f"an API key named {key.name!r} exists already (revoke or delete it first)"
                ) from exc

        await self.connections.call("add_key", work)

    async def find_key(self, key_id: str) -> ApiKey | None:
        if not _storable(key_id):
            return None

        def work(db: Connection) -> ApiKey | None:
            row = db.execute(_FIND_KEY, (key_id,)).fetchone()
            return _key(row) if row is not None else None

        return await self.connections.call("find_key", work)

    async def list_keys(self) -> list[ApiKey]:
        def work(db: Connection) -> list[ApiKey]:
            rows = db.execute(_LIST_KEYS).fetchall()
            return [_key(row) for row in rows]

        return await self.connections.call("list_keys", work)

    async def revoke_key(self, name: str) -> ApiKey:
        if not _storable(name):
            raise KeyNotFound(f"no API key is named {name!r}")

        def work(db: Connection) -> ApiKey:
            with db.transaction():
                db.execute(
                    "UPDATE api_keys SET revoked = %s WHERE name = %s AND revoked IS NULL",
                    (now(), name),
                )
                row = db.execute(_LAST_KEY_NAMED, (name,)).fetchone()
            if row is None:
                raise KeyNotFound(f"no API key is named {name!r}")
            return _key(row)

        return await self.connections.call("revoke_key", work)

    async def delete_key(self, name: str) -> int:
        if not _storable(name):
            raise KeyNotFound(f"no API key is named {name!r}")

        def work(db: Connection) -> int:
            deleted = db.execute("DELETE FROM api_keys WHERE name = %s", (name,)).rowcount
            if deleted == 0:
                raise KeyNotFound(f"no API key is named {name!r}")
            return deleted

        return await self.connections.call("delete_key", work)

    async def touch_key(self, key_id: str, when: datetime) -> None:
        if not _storable(key_id):
            return
        await self.connections.call(
            "touch_key",
            lambda db: db.execute(
                "UPDATE api_keys SET last_used = %s WHERE key_id = %s", (when, key_id)
            ),
        )


def _storable(*values: str) -> bool:
    """Whether PostgreSQL text can hold every value: it cannot hold U+0000, so an id or a name
    with one in it names nothing stored (SQLite would find nothing either)."""
    return not any("\x00" in value for value in values)


def _lock_owners(db: Connection, owners: Sequence[str]) -> None:
    """Take each owner's advisory lock until the transaction ends, in one order (the locks'
    own), so that two transactions taking several cannot deadlock."""
    db.execute(
        "SELECT pg_advisory_xact_lock(%s, key) FROM"
        " (SELECT DISTINCT hashtext(owner) AS key FROM unnest(%s::text[]) AS owner"
        "  ORDER BY key) AS keys",
        (_OWNER_LOCKS, list(owners)),
    )


def _insert(
    db: Connection, owner: str, document: DocumentInput, quota: int, moment: datetime
) -> StoredDocument:
    """A new document under a fresh id, inside the caller's transaction, under the owner's
    lock: counted and inserted with no other create of the owner in between."""
    _lock_owners(db, [owner])
    row = db.execute("SELECT count(*) FROM documents WHERE owner = %s", (owner,)).fetchone()
    if row is not None and row[0] >= quota:
        raise DocumentQuotaExceeded(quota)
    values = (new_document_id(), owner, *_columns(document), 1, moment, moment)
    return _document(_one(db.execute(_INSERT, values)))


def _columns(document: DocumentInput) -> tuple[str, str | None, str]:
    """A document's template, title and data as stored."""
    title = json.dumps(document.title) if document.title is not None else None
    return document.template, title, document_json(document.data)


def _get(db: Connection, owner: str, document_id: str) -> StoredDocument:
    row = db.execute(_GET, (owner, document_id)).fetchone()
    if row is None:
        raise DocumentNotFound(document_id)
    return _document(row)


def _check_revision(db: Connection, owner: str, document_id: str, expected: int | None) -> None:
    row = db.execute(
        "SELECT revision FROM documents WHERE owner = %s AND id = %s FOR UPDATE",
        (owner, document_id),
    ).fetchone()
    if row is None:
        raise DocumentNotFound(document_id)
    if expected is not None and row[0] != expected:
        raise RevisionMismatch(row[0])


def _one(cursor: psycopg.Cursor[Row]) -> Row:
    row = cursor.fetchone()
    assert row is not None, "a RETURNING statement returned no row"
    return row


def _summary(row: Row) -> DocumentSummary:
    _, document_id, template, title, revision, created, updated = row[:7]
    return DocumentSummary(
        id=document_id,
        template=template,
        title=json.loads(title) if title is not None else None,
        revision=revision,
        created=utc(created),
        updated=utc(updated),
    )


def _document(row: Row) -> StoredDocument:
    return StoredDocument(**vars(_summary(row)), data=json.loads(row[7]))


def _key(row: Row) -> ApiKey:
    key_id, name, owner, secret_hash, created, revoked, last_used = row
    return ApiKey(
        key_id=key_id,
        name=name,
        owner=owner,
        secret_hash=bytes(secret_hash),
        created=utc(created),
        revoked=utc(revoked) if revoked is not None else None,
        last_used=utc(last_used) if last_used is not None else None,
    )

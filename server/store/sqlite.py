"""The default store: one SQLite file under the data directory, in WAL mode.

SQLite calls block, so every call runs in a worker thread, never on the event loop, with at most
``connections`` at once (a :class:`trio.CapacityLimiter`); each thread borrows a connection from
a small pool and gives it back. Writes take the write lock up front (``BEGIN IMMEDIATE``), so two
writers (two workers of one server, or the CLI beside it) queue on ``busy_timeout`` instead of
failing half-way. ``synchronous=FULL``: a write that was acknowledged survives a crash of the
process and of the machine.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import trio

from .migrations import migrate
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
    InvalidCursor,
    KeyNotFound,
    NameTaken,
    RevisionMismatch,
    StoredDocument,
    StoreError,
    StoreUnavailable,
    document_json,
)
from .observer import StoreObserver
from .rules import REUSED_KEY as _REUSED
from .rules import first_answer, new_document_id

log = logging.getLogger("texrender.store")

FILE_NAME = "texrender.sqlite3"
BUSY_TIMEOUT_S = 10.0  # a writer waits this long for another's lock before giving up
_CURSOR_PREFIX = "s1:"
_NO_CURSOR = 2**62  # larger than any seq
_LIST = (
    "SELECT seq, id, template, title, revision, created, updated FROM documents"
    " WHERE owner = ? AND seq < ? ORDER BY seq DESC LIMIT ?"
)
_LIST_TEMPLATE = (
    "SELECT seq, id, template, title, revision, created, updated FROM documents"
    " WHERE owner = ? AND template = ? AND seq < ? ORDER BY seq DESC LIMIT ?"
)
_EXPORT = (
    "SELECT seq, id, template, title, revision, created, updated, owner, data FROM documents"
    " WHERE seq > ? ORDER BY seq LIMIT ?"
)
_GET = (
    "SELECT seq, id, template, title, revision, created, updated, data FROM documents"
    " WHERE owner = ? AND id = ?"
)
T = TypeVar("T")


def now() -> datetime:
    return datetime.now(UTC)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text is not None else None


class SqliteStore:
    """:class:`~server.store.DocumentStore` and :class:`~server.store.KeyStore` on SQLite."""

    def __init__(
        self,
        path: Path,
        *,
        connections: int = 4,
        busy_timeout_s: float = BUSY_TIMEOUT_S,
        observer: StoreObserver | None = None,
    ) -> None:
        self.path = path
        self.observer = observer
        self.busy_timeout_s = busy_timeout_s
        self._limiter = trio.CapacityLimiter(connections)
        self._idle: list[sqlite3.Connection] = []
        self._closed = False

    @classmethod
    async def open(
        cls,
        data_dir: Path,
        *,
        connections: int = 4,
        busy_timeout_s: float = BUSY_TIMEOUT_S,
        observer: StoreObserver | None = None,
    ) -> SqliteStore:
        """The store in ``data_dir`` (made if missing), its schema brought up to date; each
        call's duration is told to ``observer`` (the metrics).

        Raises:
            SchemaTooNew: the file was written by a newer texrender.
            sqlite3.Error, OSError: the file cannot be opened or written.
        """
        store = cls(
            data_dir / FILE_NAME,
            connections=connections,
            busy_timeout_s=busy_timeout_s,
            observer=observer,
        )
        await trio.to_thread.run_sync(store._prepare)
        return store

    def _prepare(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        _keep_private(self.path)
        connection = self._connect()
        try:
            connection.execute("PRAGMA journal_mode = WAL")
            migrate(connection)
        except BaseException:
            connection.close()
            raise
        self._idle.append(connection)

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, timeout=self.busy_timeout_s
        )
        connection.row_factory = sqlite3.Row
        connection.execute("PRAGMA synchronous = FULL")
        connection.execute("PRAGMA foreign_keys = ON")
        return connection

    async def aclose(self) -> None:
        """Close the pooled connections (calls still running keep theirs until they finish)."""
        self._closed = True
        idle, self._idle = self._idle, []
        for connection in idle:
            await trio.to_thread.run_sync(connection.close)

    async def _call(self, operation: str, work: Callable[[sqlite3.Connection], T]) -> T:
        """``work`` in a worker thread with a pooled connection, timed for the observer (as
        PostgreSQL's calls are: the same metrics whichever store is in use)."""
        async with self._limiter:
            held = [self._idle.pop()] if self._idle else []
            started, failed = time.perf_counter(), True
            try:
                result = await trio.to_thread.run_sync(self._run, held, work)
                failed = False
                return result
            except StoreError as exc:
                failed = isinstance(exc, StoreUnavailable)
                raise
            finally:
                if self.observer is not None:
                    seconds = time.perf_counter() - started
                    self.observer.store_called(operation, seconds, failed=failed)
                if held:
                    if self._closed:
                        held[0].close()
                    else:
                        self._idle.append(held[0])

    def _run(self, held: list[sqlite3.Connection], work: Callable[[sqlite3.Connection], T]) -> T:
        try:
            if not held:
                held.append(self._connect())
            return work(held[0])
        except sqlite3.OperationalError as exc:
            # Locked past the busy timeout, a full disk, an I/O error: the request may be
            # retried; nothing was half-written (each write is one transaction).
            raise StoreUnavailable(f"the document store cannot answer now: {exc}") from exc

    # Documents.

    async def create(self, owner: str, document: DocumentInput, *, quota: int) -> StoredDocument:
        def work(db: sqlite3.Connection) -> StoredDocument:
            with _writing(db):
                return _insert(db, owner, document, quota, now())

        return await self._call("create", work)

    async def create_once(
        self,
        owner: str,
        document: DocumentInput,
        *,
        quota: int,
        once: IdempotencyKey,
        keep: timedelta,
    ) -> tuple[StoredDocument, bool]:
        def work(db: sqlite3.Connection) -> tuple[StoredDocument, bool]:
            moment = now()
            with _writing(db):
                db.execute("DELETE FROM idempotency_keys WHERE expires <= ?", (_stamp(moment),))
                row = db.execute(
                    "SELECT fingerprint, document_id, created FROM idempotency_keys"
                    " WHERE owner = ? AND key = ?",
                    (owner, once.key),
                ).fetchone()
                if row is not None:
                    if row["fingerprint"] != once.fingerprint:
                        raise IdempotencyKeyReused(_REUSED)
                    created = datetime.fromisoformat(row["created"])
                    return first_answer(row["document_id"], created, document), True
                stored = _insert(db, owner, document, quota, moment)
                db.execute(
                    "INSERT INTO idempotency_keys (owner, key, fingerprint, document_id,"
                    " created, expires) VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        owner,
                        once.key,
                        once.fingerprint,
                        stored.id,
                        _stamp(stored.created),
                        _stamp(moment + keep),
                    ),
                )
                return stored, False

        return await self._call("create_once", work)

    async def get(self, owner: str, document_id: str) -> StoredDocument:
        return await self._call("get", lambda db: _get(db, owner, document_id))

    async def list_documents(
        self, owner: str, *, limit: int, cursor: str | None = None, template: str | None = None
    ) -> DocumentPage:
        before = _read_cursor(cursor) if cursor is not None else None

        def work(db: sqlite3.Connection) -> DocumentPage:
            below = _NO_CURSOR if before is None else before
            if template is None:
                rows = db.execute(_LIST, (owner, below, limit + 1)).fetchall()
            else:
                rows = db.execute(_LIST_TEMPLATE, (owner, template, below, limit + 1)).fetchall()
            more = len(rows) > limit
            rows = rows[:limit]
            next_cursor = _make_cursor(rows[-1]["seq"]) if more and rows else None
            return DocumentPage([_summary(row) for row in rows], next_cursor)

        return await self._call("list", work)

    async def replace(
        self,
        owner: str,
        document_id: str,
        document: DocumentInput,
        *,
        expected_revision: int | None = None,
    ) -> StoredDocument:
        def work(db: sqlite3.Connection) -> StoredDocument:
            with _writing(db):
                _check_revision(db, owner, document_id, expected_revision)
                db.execute(
                    "UPDATE documents SET template = ?, title = ?, data = ?,"
                    " revision = revision + 1, updated = ? WHERE owner = ? AND id = ?",
                    (
                        document.template,
                        document.title,
                        document_json(document.data),
                        _stamp(now()),
                        owner,
                        document_id,
                    ),
                )
                return _get(db, owner, document_id)

        return await self._call("replace", work)

    async def delete(
        self, owner: str, document_id: str, *, expected_revision: int | None = None
    ) -> None:
        def work(db: sqlite3.Connection) -> None:
            with _writing(db):
                _check_revision(db, owner, document_id, expected_revision)
                db.execute("DELETE FROM documents WHERE owner = ? AND id = ?", (owner, document_id))

        await self._call("delete", work)

    async def move_documents(self, owner: str, new_owner: str) -> int:
        def work(db: sqlite3.Connection) -> int:
            with _writing(db):
                moved = db.execute(
                    "UPDATE documents SET owner = ? WHERE owner = ?", (new_owner, owner)
                ).rowcount
            return int(moved)

        return await self._call("move", work)

    async def export(self, after: int = 0, limit: int = 100) -> tuple[list[ExportedDocument], int]:
        def work(db: sqlite3.Connection) -> tuple[list[ExportedDocument], int]:
            rows = db.execute(_EXPORT, (after, limit)).fetchall()
            exported = [ExportedDocument(row["owner"], _document(row)) for row in rows]
            return exported, rows[-1]["seq"] if rows else after

        return await self._call("export", work)

    async def import_documents(
        self, documents: Iterable[ExportedDocument], *, replace: bool = False
    ) -> tuple[int, int]:
        batch = list(documents)

        def work(db: sqlite3.Connection) -> tuple[int, int]:
            written = skipped = 0
            with _writing(db):  # one transaction: any error below rolls every line back
                for item in batch:
                    doc = item.document
                    values = (
                        doc.template,
                        doc.title,
                        document_json(doc.data),
                        doc.revision,
                        _stamp(doc.created),
                        _stamp(doc.updated),
                        doc.id,
                        item.owner,
                    )
                    held = db.execute(
                        "SELECT owner FROM documents WHERE id = ?", (doc.id,)
                    ).fetchone()
                    if held is None:
                        db.execute(
                            "INSERT INTO documents (template, title, data, revision, created,"
                            " updated, id, owner) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                            values,
                        )
                    elif held["owner"] != item.owner:
                        raise DocumentOwnerConflict(doc.id)
                    elif replace:
                        db.execute(
                            "UPDATE documents SET template = ?, title = ?, data = ?,"
                            " revision = ?, created = ?, updated = ? WHERE id = ? AND owner = ?",
                            values,
                        )
                    else:
                        skipped += 1
                        continue
                    written += 1
            return written, skipped

        return await self._call("import", work)

    # API keys.

    async def add_key(self, key: ApiKey) -> None:
        def work(db: sqlite3.Connection) -> None:
            try:
                with _writing(db):
                    db.execute(
                        "INSERT INTO api_keys (key_id, name, owner, secret_hash, created)"
                        " VALUES (?, ?, ?, ?, ?)",
                        (key.key_id, key.name, key.owner, key.secret_hash, _stamp(key.created)),
                    )
            except sqlite3.IntegrityError as exc:
                raise NameTaken(
                    f"an API key named {key.name!r} exists already (revoke or delete it first)"
                ) from exc

        await self._call("add_key", work)

    async def find_key(self, key_id: str) -> ApiKey | None:
        def work(db: sqlite3.Connection) -> ApiKey | None:
            row = db.execute("SELECT * FROM api_keys WHERE key_id = ?", (key_id,)).fetchone()
            return _key(row) if row is not None else None

        return await self._call("find_key", work)

    async def list_keys(self) -> list[ApiKey]:
        def work(db: sqlite3.Connection) -> list[ApiKey]:
            rows = db.execute("SELECT * FROM api_keys ORDER BY created, name").fetchall()
            return [_key(row) for row in rows]

        return await self._call("list_keys", work)

    async def revoke_key(self, name: str) -> ApiKey:
        def work(db: sqlite3.Connection) -> ApiKey:
            with _writing(db):
                db.execute(
                    "UPDATE api_keys SET revoked = ? WHERE name = ? AND revoked IS NULL",
                    (_stamp(now()), name),
                )
                row = db.execute(
                    "SELECT * FROM api_keys WHERE name = ? ORDER BY revoked DESC LIMIT 1", (name,)
                ).fetchone()
            if row is None:
                raise KeyNotFound(f"no API key is named {name!r}")
            return _key(row)

        return await self._call("revoke_key", work)

    async def delete_key(self, name: str) -> int:
        def work(db: sqlite3.Connection) -> int:
            with _writing(db):
                deleted = db.execute("DELETE FROM api_keys WHERE name = ?", (name,)).rowcount
            if deleted == 0:
                raise KeyNotFound(f"no API key is named {name!r}")
            return int(deleted)

        return await self._call("delete_key", work)

    async def touch_key(self, key_id: str, when: datetime) -> None:
        def work(db: sqlite3.Connection) -> None:
            with _writing(db):
                db.execute(
                    "UPDATE api_keys SET last_used = ? WHERE key_id = ?", (_stamp(when), key_id)
                )

        await self._call("touch_key", work)


@contextlib.contextmanager
def _writing(db: sqlite3.Connection) -> Iterator[None]:
    """One write transaction, its lock taken at the start; rolled back on any error."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _insert(
    db: sqlite3.Connection, owner: str, document: DocumentInput, quota: int, moment: datetime
) -> StoredDocument:
    """A new document under a fresh id, inside the caller's write transaction."""
    (count,) = db.execute("SELECT count(*) FROM documents WHERE owner = ?", (owner,)).fetchone()
    if count >= quota:
        raise DocumentQuotaExceeded(quota)
    document_id = new_document_id()
    stamp = _stamp(moment)
    db.execute(
        "INSERT INTO documents (id, owner, template, title, data, revision, created, updated)"
        " VALUES (?, ?, ?, ?, ?, 1, ?, ?)",
        (
            document_id,
            owner,
            document.template,
            document.title,
            document_json(document.data),
            stamp,
            stamp,
        ),
    )
    return _get(db, owner, document_id)


def _get(db: sqlite3.Connection, owner: str, document_id: str) -> StoredDocument:
    row = db.execute(_GET, (owner, document_id)).fetchone()
    if row is None:
        raise DocumentNotFound(document_id)
    return _document(row)


def _check_revision(
    db: sqlite3.Connection, owner: str, document_id: str, expected: int | None
) -> None:
    row = db.execute(
        "SELECT revision FROM documents WHERE owner = ? AND id = ?", (owner, document_id)
    ).fetchone()
    if row is None:
        raise DocumentNotFound(document_id)
    if expected is not None and row["revision"] != expected:
        raise RevisionMismatch(row["revision"])


def _summary(row: sqlite3.Row) -> DocumentSummary:
    return DocumentSummary(
        id=row["id"],
        template=row["template"],
        title=row["title"],
        revision=row["revision"],
        created=datetime.fromisoformat(row["created"]),
        updated=datetime.fromisoformat(row["updated"]),
    )


def _document(row: sqlite3.Row) -> StoredDocument:
    summary = _summary(row)
    return StoredDocument(**vars(summary), data=json.loads(row["data"]))


def _key(row: sqlite3.Row) -> ApiKey:
    return ApiKey(
        key_id=row["key_id"],
        name=row["name"],
        owner=row["owner"],
        secret_hash=bytes(row["secret_hash"]),
        created=datetime.fromisoformat(row["created"]),
        revoked=_moment(row["revoked"]),
        last_used=_moment(row["last_used"]),
    )


def _make_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"{_CURSOR_PREFIX}{seq}".encode()).decode().rstrip("=")


def _read_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, ValueError):
        raise InvalidCursor("the cursor is not one this server made") from None
    number = text.removeprefix(_CURSOR_PREFIX)
    if not text.startswith(_CURSOR_PREFIX) or not number.isdigit() or len(number) > 18:
        raise InvalidCursor("the cursor is not one this server made")
    return int(number)


def _keep_private(path: Path) -> None:
    """The database holds every owner's documents and every key's hash: readable by this user
    only. A new file is made 0600 (SQLite gives its -wal and -shm files the same mode); one
    left readable by others (an older texrender) is narrowed, with a warning."""
    try:
        descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            try:
                mode = file.stat().st_mode
            except FileNotFoundError:
                continue
            if mode & 0o077:
                log.warning("%s was readable by others; made private (0600)", file)
                file.chmod(0o600)
    else:
        os.close(descriptor)

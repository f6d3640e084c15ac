"""The SQLite schema, one numbered step at a time; ``PRAGMA user_version`` says where a file is.

Each step runs in one transaction with the version bump, so a file is always at a version,
never between two. A step is never edited once released: a change is a new step.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from .model import StoreError


@dataclass(frozen=True)
class Migration:
    version: int
    summary: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "documents and API keys",
        (
            """
            CREATE TABLE documents (
                seq INTEGER PRIMARY KEY AUTOINCREMENT,
                id TEXT NOT NULL UNIQUE,
                owner TEXT NOT NULL,
                template TEXT NOT NULL,
                title TEXT,
                data TEXT NOT NULL,
                revision INTEGER NOT NULL,
                created TEXT NOT NULL,
                updated TEXT NOT NULL
            )
            """,
            "CREATE INDEX documents_by_owner ON documents (owner, seq)",
            """
            CREATE TABLE api_keys (
                key_id TEXT PRIMARY KEY,
                name TEXT NOT NULL UNIQUE,
                owner TEXT NOT NULL,
                secret_hash BLOB NOT NULL,
                created TEXT NOT NULL,
                revoked TEXT
            )
            """,
        ),
    ),
    Migration(
        2,
        "listing by template; when each key was last used",
        (
            "CREATE INDEX documents_by_owner_template ON documents (owner, template, seq)",
            "ALTER TABLE api_keys ADD COLUMN last_used TEXT",
        ),
    ),
    Migration(
        3,
        "a revoked key's name can be given to a new key: names are unique among live keys only",
        (
            """
            CREATE TABLE api_keys_3 (
                key_id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                owner TEXT NOT NULL,
                secret_hash BLOB NOT NULL,
                created TEXT NOT NULL,
                revoked TEXT,
                last_used TEXT
            )
            """,
            "INSERT INTO api_keys_3 (key_id, name, owner, secret_hash, created, revoked, last_used)"
            " SELECT key_id, name, owner, secret_hash, created, revoked, last_used FROM api_keys",
            "DROP TABLE api_keys",
            "ALTER TABLE api_keys_3 RENAME TO api_keys",
            "CREATE UNIQUE INDEX api_keys_live_name ON api_keys (name) WHERE revoked IS NULL",
            "CREATE INDEX api_keys_by_name ON api_keys (name, created)",
        ),
    ),
    Migration(
        4,
        "idempotency keys: a retried create answers the first response again",
        (
            """
            CREATE TABLE idempotency_keys (
                owner TEXT NOT NULL,
                key TEXT NOT NULL,
                fingerprint TEXT NOT NULL,
                document_id TEXT NOT NULL,
                created TEXT NOT NULL,
                expires TEXT NOT NULL,
                PRIMARY KEY (owner, key)
            )
            """,
            "CREATE INDEX idempotency_keys_by_expiry ON idempotency_keys (expires)",
        ),
    ),
)
LATEST = MIGRATIONS[-1].version


class SchemaTooNew(StoreError):
    """The database was written by a newer texrender; this one must not touch it."""


def schema_version(connection: sqlite3.Connection) -> int:
    row = connection.execute("PRAGMA user_version").fetchone()
    return int(row[0])


def migrate(
    connection: sqlite3.Connection, migrations: tuple[Migration, ...] = MIGRATIONS
) -> list[Migration]:
    """Bring the database up to the last of ``migrations``; the steps applied, in order.

    Several processes may start at once on the same file: ``BEGIN IMMEDIATE`` takes the write
    lock before the version is read, so each step runs exactly once.

    Raises:
        SchemaTooNew: the file is at a version past the last step known here.
    """
    applied = []
    for step in migrations:
        connection.execute("BEGIN IMMEDIATE")
        try:
            current = schema_version(connection)
            if current > migrations[-1].version:
                raise SchemaTooNew(
                    f"the database is at schema version {current}; this texrender knows up to "
                    f"{migrations[-1].version}: use a newer texrender"
                )
            if current >= step.version:
                connection.execute("ROLLBACK")
                continue
            for statement in step.statements:
                connection.execute(statement)
            # PRAGMA takes no parameters; the version is an int from the table above.
            connection.execute(f"PRAGMA user_version = {int(step.version)}")
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise
        applied.append(step)
    return applied

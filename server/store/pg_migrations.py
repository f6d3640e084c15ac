"""The PostgreSQL schema, one numbered step at a time; the table ``texrender_schema`` says which
steps a database has had.

Every instance migrates at start-up, and several may start at once: the steps run in one
transaction that first takes a transaction-level advisory lock (:data:`MIGRATION_LOCK`), so the
others wait, then find the steps done and do nothing. PostgreSQL's DDL is transactional, so a
database is always at a version, never between two. A step is never edited once released: a
change is a new step.

Why these types: ``data`` is ``text`` holding the JSON exactly as
:func:`~server.store.model.document_json` wrote it, since ``jsonb`` (and ``text`` itself)
refuses ``\\u0000`` and lone surrogates, which a document may hold; ``title`` is kept as a JSON
string for the same reason (PostgreSQL text cannot hold U+0000; a title may).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import LiteralString

import psycopg
from psycopg.rows import TupleRow

from .migrations import SchemaTooNew

# pg_advisory_xact_lock's key for migrations: "texrendr" in ASCII, a number nothing else uses.
MIGRATION_LOCK = int.from_bytes(b"texrendr", "big") >> 1


@dataclass(frozen=True)
class PgMigration:
    version: int
    summary: str
    statements: tuple[LiteralString, ...]


MIGRATIONS: tuple[PgMigration, ...] = (
    PgMigration(
        1,
        "documents and API keys (as SQLite's steps 1 to 3 left them)",
        (
            """
            CREATE TABLE documents (
                seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                id text NOT NULL UNIQUE,
                owner text NOT NULL,
                template text NOT NULL,
                title text,
                data text NOT NULL,
                revision integer NOT NULL,
                created timestamptz NOT NULL,
                updated timestamptz NOT NULL
            )
            """,
            "CREATE INDEX documents_by_owner ON documents (owner, seq)",
            "CREATE INDEX documents_by_owner_template ON documents (owner, template, seq)",
            """
            CREATE TABLE api_keys (
                key_id text PRIMARY KEY,
                name text NOT NULL,
                owner text NOT NULL,
                secret_hash bytea NOT NULL,
                created timestamptz NOT NULL,
                revoked timestamptz,
                last_used timestamptz
            )
            """,
            "CREATE UNIQUE INDEX api_keys_live_name ON api_keys (name) WHERE revoked IS NULL",
            "CREATE INDEX api_keys_by_name ON api_keys (name, created)",
        ),
    ),
    PgMigration(
        2,
        "idempotency keys: a retried create answers the first response again",
        (
            """
            CREATE TABLE idempotency_keys (
                owner text NOT NULL,
                key text NOT NULL,
                fingerprint text NOT NULL,
                document_id text NOT NULL,
                created timestamptz NOT NULL,
                expires timestamptz NOT NULL,
                PRIMARY KEY (owner, key)
            )
            """,
            "CREATE INDEX idempotency_keys_by_expiry ON idempotency_keys (expires)",
        ),
    ),
)
LATEST = MIGRATIONS[-1].version
_SCHEMA_TABLE = """
    CREATE TABLE IF NOT EXISTS texrender_schema (
        version integer PRIMARY KEY,
        summary text NOT NULL,
        applied timestamptz NOT NULL DEFAULT now()
    )
"""


def schema_version(connection: psycopg.Connection[TupleRow]) -> int:
    """The last step a database has had (0: none, or no schema table yet)."""
    row = connection.execute(
        "SELECT CASE WHEN to_regclass('texrender_schema') IS NULL THEN 0"
        " ELSE (SELECT coalesce(max(version), 0) FROM texrender_schema) END"
    ).fetchone()
    return int(row[0]) if row is not None else 0


def migrate(
    connection: psycopg.Connection[TupleRow],
    migrations: tuple[PgMigration, ...] = MIGRATIONS,
) -> list[PgMigration]:
    """Bring the database up to the last of ``migrations``, in one transaction under the
    migration lock; the steps applied, in order (none when another instance did them).

    Raises:
        SchemaTooNew: the database is at a version past the last step known here.
        psycopg.Error: the database refused (no right to create tables, gone).
    """
    known = migrations[-1].version
    with connection.transaction():
        connection.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        connection.execute(_SCHEMA_TABLE)
        current = schema_version(connection)
        if current > known:
            raise SchemaTooNew(
                f"the database is at schema version {current}; this texrender knows up to "
                f"{known}: use a newer texrender"
            )
        applied = [step for step in migrations if step.version > current]
        for step in applied:
            for statement in step.statements:
                connection.execute(statement)
            connection.execute(
                "INSERT INTO texrender_schema (version, summary) VALUES (%s, %s)",
                (step.version, step.summary),
            )
    return applied

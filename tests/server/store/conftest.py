"""The stores under test: every behaviour test of a store runs on each backend, SQLite (a file
in the test's folder) and PostgreSQL (a fresh database on the session's server), through the
``store`` fixture (or ``new_store`` for more than one)."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import psycopg
import pytest
import trio

from server.store import Store
from server.store.postgres import PostgresStore
from server.store.sqlite import SqliteStore
from tests.postgres_server import PostgresServer

BACKENDS = ("sqlite", "postgres")
NewStore = Callable[[], Awaitable[Store]]


@pytest.fixture(params=BACKENDS)
async def new_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[NewStore]:
    """Open a fresh, empty store of the test's backend (each call another); all are closed
    (and their databases dropped) after the test."""
    server: PostgresServer | None = None
    if request.param == "postgres":
        server = request.getfixturevalue("postgres_server")
    opened: list[Store] = []
    databases: list[str] = []

    async def open_one() -> Store:
        store: Store
        if server is None:
            store = await SqliteStore.open(tmp_path / f"store-{len(opened)}")
        else:
            url = await trio.to_thread.run_sync(server.new_database)
            databases.append(url)
            store = await PostgresStore.open(url)
        opened.append(store)
        return store

    try:
        yield open_one
    finally:
        for store in opened:
            await store.aclose()
        if server is not None:
            for url in databases:
                await trio.to_thread.run_sync(server.drop_database, url)


@pytest.fixture
async def store(new_store: NewStore) -> Store:
    """A fresh, empty store of each backend in turn."""
    return await new_store()


def database_text(store: Store) -> str:
    """Every row the store's database holds, as text (to look for what must not be there)."""
    if isinstance(store, SqliteStore):
        with contextlib.closing(sqlite3.connect(store.path)) as db:
            return "\n".join(db.iterdump())
    assert isinstance(store, PostgresStore)
    with psycopg.connect(store.connections.url) as db:
        rows = db.execute(
            "SELECT row_to_json(t)::text FROM api_keys t"
            " UNION ALL SELECT row_to_json(t)::text FROM documents t"
        ).fetchall()
    return "\n".join(row[0] for row in rows)

"""What only the PostgreSQL store has to get right: several instances on one database (quotas,
migrations), a server that stops and comes back, start-up failures told in one line without
the password, and /readyz's check of the database asked at most once a second."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import psycopg
import pytest
import trio

from server.settings import Settings
from server.startup import StartupFailed, open_store
from server.store import (
    DocumentInput,
    DocumentQuotaExceeded,
    InvalidCursor,
    Store,
    StoreUnavailable,
)
from server.store.health import DatabaseCheck
from server.store.migrations import SchemaTooNew
from server.store.pg_migrations import LATEST, MIGRATIONS, migrate, schema_version
from server.store.postgres import PostgresStore
from server.store.sqlite import SqliteStore
from tests.postgres_server import PASSWORD, PostgresServer, running_postgres

RECOVERY_S = 20.0


def doc(n: int) -> DocumentInput:
    return DocumentInput("echo", {"text": f"document {n}"}, title=f"n{n}")


async def test_two_instances_creating_at_once_never_pass_the_quota(postgres_url: str) -> None:
    first = await PostgresStore.open(postgres_url, pool_size=8)
    second = await PostgresStore.open(postgres_url, pool_size=8)
    made: list[str] = []
    refused: list[int] = []

    async def create(store: PostgresStore, n: int) -> None:
        try:
            made.append((await store.create("alice", doc(n), quota=7)).id)
        except DocumentQuotaExceeded as exc:
            refused.append(exc.limit)

    try:
        for _ in range(3):  # rounds: each a fresh race for the last free places
            async with trio.open_nursery() as nursery:
                for n in range(24):
                    nursery.start_soon(create, first if n % 2 else second, n)
            page = await first.list_documents("alice", limit=100)
            assert len(page.items) == len(made) == 7
            assert refused == [7] * (len(refused))
            for item in page.items[:4]:
                await second.delete("alice", item.id)
            made[:] = [item.id for item in page.items[4:]]
    finally:
        await first.aclose()
        await second.aclose()


async def test_three_instances_starting_at_once_migrate_once(
    postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="texrender.store")
    stores: list[PostgresStore] = []

    async def start() -> None:
        stores.append(await PostgresStore.open(postgres_url))

    async with trio.open_nursery() as nursery:
        for _ in range(3):
            nursery.start_soon(start)
    for store in stores:
        await store.create("alice", doc(1), quota=10)
        await store.aclose()
    applied = [r.getMessage() for r in caplog.records if "database schema: step" in r.message]
    assert len(applied) == len(MIGRATIONS), applied
    with psycopg.connect(postgres_url) as db:
        rows = db.execute("SELECT version FROM texrender_schema ORDER BY version").fetchall()
    assert [version for (version,) in rows] == [step.version for step in MIGRATIONS]


def test_racing_migrations_are_applied_by_one_of_them(postgres_url: str) -> None:
    """Three connections migrate a fresh database at the same moment: one applies every step,
    the others wait for its lock and find nothing left to do."""
    barrier = threading.Barrier(3)
    results: list[list[int]] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with psycopg.connect(postgres_url, autocommit=True) as connection:
                barrier.wait(timeout=10)
                results.append([step.version for step in migrate(connection)])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert sorted(results) == [[], [], [step.version for step in MIGRATIONS]]


async def test_a_schema_from_a_newer_texrender_is_left_alone(postgres_url: str) -> None:
    await (await PostgresStore.open(postgres_url)).aclose()
    with psycopg.connect(postgres_url) as db:
        db.execute(
            "INSERT INTO texrender_schema (version, summary) VALUES (%s, 'later')", (LATEST + 1,)
        )
    with pytest.raises(SchemaTooNew):
        await PostgresStore.open(postgres_url)
    with pytest.raises(StartupFailed) as failed:
        await open_store(Settings(database_url=postgres_url))
    message = str(failed.value)
    assert "was migrated by a newer texrender" in message
    assert f"schema version {LATEST + 1}" in message
    assert PASSWORD not in message
    assert "texrender:***@127.0.0.1" in message
    with psycopg.connect(postgres_url) as db:
        assert schema_version(db) == LATEST + 1
        assert db.execute("SELECT to_regclass('documents') IS NOT NULL").fetchone() == (True,)


async def test_start_up_failures_are_one_line_without_the_password(
    postgres_server: PostgresServer, postgres_url: str
) -> None:
    wrong = postgres_server.url(postgres_url.rsplit("/", 1)[1], password="not-the-password")
    missing = postgres_server.url("no_such_database")
    closed = f"postgresql://texrender:{PASSWORD}@127.0.0.1:1/texrender"
    expected = {
        wrong: "password authentication failed",
        missing: 'database "no_such_database" does not exist',
        closed: "Connection refused",
    }
    for url, words in expected.items():
        with pytest.raises(StartupFailed) as failed:
            await open_store(Settings(database_url=url))
        message = str(failed.value)
        assert words in message
        assert "\n" not in message
        assert message.startswith("cannot use the database postgresql://texrender:***@127.0.0.1:")
        assert message.endswith("(set TEXRENDER_DATABASE_URL or --database-url)")
        assert PASSWORD not in message
        assert "not-the-password" not in message


async def test_a_cursor_from_another_kind_of_store_is_refused(
    postgres_url: str, tmp_path: Path
) -> None:
    stores: list[Store] = [await SqliteStore.open(tmp_path), await PostgresStore.open(postgres_url)]
    cursors = []
    for store in stores:
        for n in range(3):
            await store.create("alice", doc(n), quota=10)
        page = await store.list_documents("alice", limit=1)
        assert page.next_cursor is not None
        assert (
            len((await store.list_documents("alice", limit=5, cursor=page.next_cursor)).items) == 2
        )
        cursors.append(page.next_cursor)
    sqlite, postgres = stores
    with pytest.raises(InvalidCursor):
        await postgres.list_documents("alice", limit=5, cursor=cursors[0])
    with pytest.raises(InvalidCursor):
        await sqlite.list_documents("alice", limit=5, cursor=cursors[1])
    for store in stores:
        await store.aclose()


async def test_a_stopped_database_is_unavailable_then_used_again() -> None:
    """Stopped mid-test: every call is StoreUnavailable (503 to clients), soon, with no
    password in the words; started again, the same store answers without being reopened.
    Hung, it fails the readiness check within the check's timeout."""
    with running_postgres() as server:
        url = await trio.to_thread.run_sync(server.new_database)
        store = await PostgresStore.open(url)
        try:
            kept = await store.create("alice", doc(1), quota=10)
            assert await store.ping(1.0)
            await trio.to_thread.run_sync(server.stop)

            started = time.monotonic()
            with pytest.raises(StoreUnavailable) as down:
                await store.get("alice", kept.id)
            assert time.monotonic() - started < 5.0
            assert PASSWORD not in str(down.value)
            with pytest.raises(StoreUnavailable):
                await store.create("alice", doc(2), quota=10)
            assert not await store.ping(1.0)

            await trio.to_thread.run_sync(server.start)
            with trio.fail_after(RECOVERY_S):
                while True:
                    try:
                        assert await store.get("alice", kept.id) == kept
                        break
                    except StoreUnavailable:
                        await trio.sleep(0.1)
            await store.create("alice", doc(3), quota=10)
            assert await store.ping(1.0)

            # Hung (SIGSTOP: connections open, nothing answers): the check still answers in time.
            server.pause()
            try:
                started = time.monotonic()
                assert not await store.ping(0.5)
                assert time.monotonic() - started < 1.5
            finally:
                server.resume()
            with trio.fail_after(RECOVERY_S):
                while not await store.ping(1.0):
                    await trio.sleep(0.1)
        finally:
            await store.aclose()


class CountingPings:
    """The real store, with its pings counted."""

    def __init__(self, store: PostgresStore) -> None:
        self.store = store
        self.pings = 0

    async def ping(self, timeout_s: float) -> bool:
        self.pings += 1
        return await self.store.ping(timeout_s)


async def test_a_flood_of_readiness_checks_asks_the_database_once_a_second(
    postgres_url: str,
) -> None:
    counted = CountingPings(await PostgresStore.open(postgres_url))
    check = DatabaseCheck(counted, every_s=1.0)
    answers: list[bool] = []

    async def ask() -> None:
        answers.append(await check.reachable())

    try:
        async with trio.open_nursery() as nursery:
            for _ in range(200):
                nursery.start_soon(ask)
        assert answers == [True] * 200
        assert counted.pings == 1
        for _ in range(50):
            assert await check.reachable()
        assert counted.pings == 1
        await trio.sleep(1.05)
        assert await check.reachable()
        assert counted.pings == 2
    finally:
        await counted.store.aclose()


async def test_sqlite_needs_no_check(tmp_path: Path) -> None:
    store = await SqliteStore.open(tmp_path)
    assert await DatabaseCheck(store).reachable()
    await store.aclose()

"""Connections to PostgreSQL for the store: a psycopg pool, used only from worker threads.

psycopg's calls block, so every store call runs in a worker thread (``trio.to_thread``),
never on the event loop, under a :class:`trio.CapacityLimiter` as large as the pool: a call
beyond it waits in Trio, where it can be cancelled, never in a thread blocked on the pool. The
pool checks a connection before lending it (one round trip), so connections broken by a
database restart are replaced instead of failing a request each. A database that cannot be
reached, a statement past its timeout, a connection lost half-way: each is
:class:`~server.store.model.StoreUnavailable` (503, to be retried), nothing half-written, since
every write is one transaction.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

import psycopg
import trio
from psycopg.rows import TupleRow
from psycopg_pool import ConnectionPool, PoolClosed, PoolTimeout

from .dburl import masked, scrubbed
from .model import StoreUnavailable
from .observer import PoolStatistics, StoreObserver
from .pg_migrations import migrate

log = logging.getLogger("texrender.store")

Connection = psycopg.Connection[TupleRow]
T = TypeVar("T")

CONNECT_TIMEOUT_S = 5  # to open one connection (libpq's connect_timeout: whole seconds)
# How long a call waits for the pool to lend a connection: it has one at once unless the
# database is down or restarting, when a short wait rides out a restart and a longer one would
# only hold the request.
CONNECTION_WAIT_S = 2.0
# psycopg_pool retries a failed connect with a doubling delay until this, then gives up, and
# the next call starts again from one second: so a database back after a long outage is used
# again within seconds, not after a delay that grew with the outage.
RECONNECT_GIVE_UP_S = 5.0
# Server-side bounds of one statement, and of a wait for a lock (a quota's, a row's), like
# SQLite's busy timeout: past them the call is StoreUnavailable, and may be retried.
STATEMENT_TIMEOUT_MS = 30_000
LOCK_TIMEOUT_MS = 10_000
_FAILURES = (psycopg.OperationalError, PoolTimeout, PoolClosed)


def utc(moment: datetime) -> datetime:
    """A ``timestamptz`` as UTC, whatever the session's time zone (exports must not differ)."""
    return moment.astimezone(UTC)


class PgConnections:
    """A pool of connections to one database, and the threads that use it."""

    def __init__(
        self, url: str, *, size: int, observer: StoreObserver | None = None, name: str = "store"
    ) -> None:
        self.url = url
        self.size = size
        self._observer = observer
        self._limiter = trio.CapacityLimiter(size)
        self._pool: ConnectionPool[Connection] = ConnectionPool(
            url,
            min_size=1,
            max_size=size,
            open=False,
            kwargs={
                "autocommit": True,  # a write is an explicit transaction (conn.transaction())
                "connect_timeout": CONNECT_TIMEOUT_S,
                "application_name": "texrender",
                # A database machine that vanishes (no FIN, no RST) is noticed in about half a
                # minute, not after the kernel's two hours of silence.
                "keepalives_idle": 10,
                "keepalives_interval": 5,
                "keepalives_count": 3,
                "tcp_user_timeout": 30_000,
            },
            configure=_configure,
            check=ConnectionPool.check_connection,
            timeout=CONNECTION_WAIT_S,
            reconnect_timeout=RECONNECT_GIVE_UP_S,
            name=f"texrender-{name}",
        )

    @classmethod
    async def open(
        cls, url: str, *, size: int, observer: StoreObserver | None = None
    ) -> PgConnections:
        """Connect, bring the schema up to date, open the pool.

        Raises:
            SchemaTooNew: the database was migrated by a newer texrender.
            psycopg.Error: it cannot be reached, refused the credentials, has no such database,
                or refused the migration (the message never holds the password).
        """
        await trio.to_thread.run_sync(_migrate, url)
        connections = cls(url, size=size, observer=observer)
        try:
            await trio.to_thread.run_sync(connections._open_pool)
        except PoolTimeout as exc:
            raise psycopg.OperationalError(f"the pool could not connect: {exc}") from None
        if observer is not None:
            observer.watch_pool(connections.statistics)
        log.info("document store: PostgreSQL at %s, at most %d connections", masked(url), size)
        return connections

    def _open_pool(self) -> None:
        self._pool.open(wait=True, timeout=CONNECT_TIMEOUT_S)

    async def aclose(self) -> None:
        """Close the pool (a call still running finishes first)."""
        await trio.to_thread.run_sync(self._pool.close)

    async def call(self, operation: str, work: Callable[[Connection], T]) -> T:
        """``work(connection)`` in a worker thread, with a connection from the pool.

        Raises:
            StoreUnavailable: the database could not answer; whatever ``work`` raises else.
        """
        async with self._limiter:
            started = time.perf_counter()
            failed = False
            try:
                return await trio.to_thread.run_sync(self._run, work)
            except StoreUnavailable:
                failed = True
                raise
            finally:
                if self._observer is not None:
                    seconds = time.perf_counter() - started
                    self._observer.store_called(operation, seconds, failed=failed)

    def _run(self, work: Callable[[Connection], T]) -> T:
        try:
            with self._pool.connection() as connection:
                return work(connection)
        except _FAILURES as exc:
            raise StoreUnavailable(
                f"the document store cannot answer now: {self.reason(exc)}"
            ) from exc

    async def ping(self, timeout_s: float) -> bool:
        """Whether the database answers ``SELECT 1`` within ``timeout_s`` (outside the limiter:
        a busy pool is not a dead database). A thread stuck on a hung server is left behind,
        holding one connection, and the answer is False."""

        def work() -> None:
            with self._pool.connection(timeout=timeout_s) as connection:
                connection.execute("SELECT 1")

        with trio.move_on_after(timeout_s):
            try:
                await trio.to_thread.run_sync(work, abandon_on_cancel=True)
            except (psycopg.Error, PoolTimeout, PoolClosed):
                return False
            return True
        return False

    def statistics(self) -> PoolStatistics:
        """The pool now; cheap and lock-free, for the metrics' scrape."""
        stats = self._pool.get_stats()
        opened = stats.get("pool_size", 0)
        idle = stats.get("pool_available", 0)
        return PoolStatistics(
            size=self.size,
            open=opened,
            in_use=max(0, opened - idle),
            waiting=self._limiter.statistics().tasks_waiting + stats.get("requests_waiting", 0),
        )

    def reason(self, exc: BaseException) -> str:
        """A driver's error in one line, without the password."""
        text = " ".join(str(exc).split()) or type(exc).__name__
        return scrubbed(text, self.url)


def _configure(connection: Connection) -> None:
    """Each new connection's session: statement and lock timeouts (set once, not per call)."""
    connection.execute(
        "SELECT set_config('statement_timeout', %s, false), set_config('lock_timeout', %s, false)",
        (str(STATEMENT_TIMEOUT_MS), str(LOCK_TIMEOUT_MS)),
    )


def _migrate(url: str) -> None:
    with psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT_S, autocommit=True) as connection:
        for step in migrate(connection):
            log.info("database schema: step %d applied (%s)", step.version, step.summary)

"""A real PostgreSQL (Debian's package) for the tests: ``initdb`` into a fresh folder and
``postgres`` started as a child process on a free loopback port, as an unprivileged user when
the tests run as root (``initdb`` refuses root), with fsync off (nothing here must survive a
crash); a fresh database for each test, so that tests never see each other's rows; it can be
stopped and started again on the same port mid-test, and is torn down with its folder at the
end, failure or not."""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict

import psycopg

from loadtest.drive import free_port, process_table

PG_ROOT = Path("/usr/lib/postgresql")
MISSING = "PostgreSQL is not installed (Debian's postgresql package; make test installs it)"
START_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 10.0
USER = "texrender"
# Not a secret: a password the tests look for, to prove it is never printed.
PASSWORD = "pg-test-password-5d1c"
_names = itertools.count(1)


def newest_bin() -> Path | None:
    """The ``bin`` folder of the newest PostgreSQL installed (``/usr/lib/postgresql/<N>/bin``),
    found by its version number, not by ``PATH`` (Debian does not put it there)."""
    found = [
        folder / "bin"
        for folder in (PG_ROOT.iterdir() if PG_ROOT.is_dir() else ())
        if folder.name.isdigit() and (folder / "bin" / "initdb").is_file()
    ]
    return max(found, key=lambda path: int(path.parent.name), default=None)


PG_BIN = newest_bin()


def _unprivileged_user() -> pwd.struct_passwd | None:
    """``postgres`` (or ``nobody``) when the tests run as root, else None (run as ourselves)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise RuntimeError("no unprivileged user (postgres, nobody) to run PostgreSQL as")


@dataclass
class PostgresServer:
    """One PostgreSQL server (a cluster of its own); :meth:`url` is what ``database_url`` is
    set to, :meth:`new_database` gives a test a database of its own."""

    folder: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    durable: bool = False  # fsync and synchronous commits on, as in production (benchmarks)

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def log(self) -> Path:
        return self.folder / "postgres.log"

    def url(self, database: str = "postgres", *, password: str = PASSWORD) -> str:
        return f"postgresql://{USER}:{password}@127.0.0.1:{self.port}/{database}"

    def init(self) -> None:
        """``initdb``: a superuser with a password, which TCP connections must give."""
        assert PG_BIN is not None, MISSING
        password_file = self.folder / "password"
        password_file.write_text(PASSWORD + "\n")
        _give_away(self.folder)
        argv = [str(PG_BIN / "initdb"), "-D", str(self.data), "-U", USER]
        argv += [f"--pwfile={password_file}", "--auth-host=scram-sha-256", "--auth-local=trust"]
        argv += ["-E", "UTF8", "--no-locale", "--no-sync", "--no-instructions"]
        done = subprocess.run(
            argv,
            cwd=self.folder,
            env=_environment(),
            capture_output=True,
            check=False,
            **_run_as(),
        )
        password_file.unlink()
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed: {done.stderr.decode(errors='replace')[-2000:]}")

    def start(self) -> None:
        """Start it (again, on the same port) and wait until it answers a query."""
        assert PG_BIN is not None, MISSING
        argv = [str(PG_BIN / "postgres"), "-D", str(self.data), "-p", str(self.port)]
        argv += ["-k", str(self.folder), "-c", "listen_addresses=127.0.0.1"]
        if not self.durable:
            for setting in ("fsync=off", "synchronous_commit=off", "full_page_writes=off"):
                argv += ["-c", setting]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                argv,
                cwd=self.folder,
                env=_environment(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a ^C to the tests is not its signal
                **_run_as(),
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"postgres stopped: {self.log.read_text()[-2000:]}")
            try:
                with psycopg.connect(self.url(), connect_timeout=2) as connection:
                    connection.execute("SELECT 1")
                    return
            except psycopg.OperationalError:
                time.sleep(0.02)
        raise RuntimeError(f"postgres did not answer within {START_TIMEOUT_S} s")

    def stop(self) -> None:
        """A fast shutdown (SIGINT: sessions are ended, nothing waits for clients), or SIGKILL
        if it does not end in time."""
        if self.process is None or self.process.poll() is not None:
            return
        self.resume()  # a paused one too
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=STOP_TIMEOUT_S)

    def pause(self) -> None:
        """SIGSTOP to the postmaster and every backend: connections stay open, nothing answers
        (a frozen machine). Backends are sessions of their own, so each is signalled."""
        self._signal_all(signal.SIGSTOP)

    def resume(self) -> None:
        self._signal_all(signal.SIGCONT)

    def _signal_all(self, number: int) -> None:
        assert self.process is not None
        for pid in (self.process.pid, *_children(self.process.pid)):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, number)

    def execute(self, statement: str, database: str = "postgres") -> None:
        """One statement outside a transaction (CREATE DATABASE cannot run inside one)."""
        with psycopg.connect(self.url(database), autocommit=True) as connection:
            connection.execute(statement.encode())

    def new_database(self) -> str:
        """A fresh, empty database of its own: its URL."""
        name = f"test_{next(_names)}_{os.getpid()}"
        assert re.fullmatch(r"\w+", name)
        self.execute(f"CREATE DATABASE {name} TEMPLATE template0")
        return self.url(name)

    def drop_database(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        assert re.fullmatch(r"\w+", name)
        self.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


class _RunAs(TypedDict, total=False):
    user: int
    group: int
    extra_groups: list[int]


def _run_as() -> _RunAs:
    """Popen's arguments to run a program as the unprivileged user (none when not root)."""
    user = _unprivileged_user()
    if user is None:
        return {}
    return {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}


def _children(parent: int) -> list[int]:
    """The living children of ``parent`` (from /proc)."""
    return [pid for pid, ppid, _ in process_table() if ppid == parent]


def _environment() -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "TZ": "UTC"}


def _give_away(folder: Path) -> None:
    """The folder (and what is in it) to the user PostgreSQL runs as."""
    user = _unprivileged_user()
    if user is None:
        return
    for path in (folder, *folder.rglob("*")):
        os.chown(path, user.pw_uid, user.pw_gid)


@contextlib.contextmanager
def running_postgres(*, durable: bool = False) -> Iterator[PostgresServer]:
    """A started PostgreSQL in a fresh folder, stopped and removed at the end."""
    folder = Path(tempfile.mkdtemp(prefix="texrender-postgres-"))
    server = PostgresServer(folder, durable=durable)
    try:
        server.init()
        for attempt in range(3):  # the free port may be taken between the probe and the start
            try:
                server.start()
                break
            except RuntimeError:
                if attempt == 2:
                    raise
                server.stop()
                server.port = free_port()
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)

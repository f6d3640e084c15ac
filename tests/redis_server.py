"""A real ``redis-server`` (Debian's package) for the tests: started as a child process on a
free loopback port in a fresh folder (as ``nobody`` when the tests run as root), with no
persistence; it can be killed, paused and started again on the same port mid-test, and is
torn down with its folder at the end."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from loadtest.drive import free_port

REDIS_SERVER = shutil.which("redis-server")
MISSING = "redis-server is not installed (Debian's redis-server package; make test installs it)"
START_TIMEOUT_S = 10.0


def command(port: int, *words: str, timeout_s: float = 1.0) -> bytes:
    """One command in Redis's inline form, and the first line of its answer (``+PONG``)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout_s) as connection:
        connection.sendall(" ".join(words).encode() + b"\r\n")
        answer = b""
        while not answer.endswith(b"\r\n"):
            chunk = connection.recv(4096)
            if not chunk:
                break
            answer += chunk
        return answer.split(b"\r\n", 1)[0]


@dataclass
class RedisServer:
    """One redis-server process; :attr:`url` is what ``cache_url`` is set to."""

    folder: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def log(self) -> Path:
        return self.folder / "redis.log"

    def start(self) -> None:
        """Start it (again, on the same port) and wait until it answers PING."""
        assert REDIS_SERVER is not None, MISSING
        argv = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1"]
        argv += ["--save", "", "--appendonly", "no", "--dir", str(self.folder)]
        argv += ["--daemonize", "no", "--protected-mode", "yes"]
        argv += ["--maxmemory", "64mb", "--maxmemory-policy", "allkeys-lru"]  # as recommended
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                user=_unprivileged_user(),
                start_new_session=True,  # a ^C to the tests is not its signal
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server stopped: {self.log.read_text()[-2000:]}")
            with contextlib.suppress(OSError):
                if command(self.port, "PING") == b"+PONG":
                    return
            time.sleep(0.01)
        raise RuntimeError(f"redis-server did not answer within {START_TIMEOUT_S} s")

    def kill(self) -> None:
        """SIGKILL, as a crash: nothing is flushed, connections drop."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)  # a paused one too
            self.process.kill()
            self.process.wait(timeout=10)

    def pause(self) -> None:
        """SIGSTOP: connections stay open and nothing answers (a Redis that hangs)."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def command(self, *words: str) -> bytes:
        return command(self.port, *words)


def _unprivileged_user() -> str | None:
    """``nobody`` when the tests run as root (a server needs no privileges), else None."""
    return "nobody" if os.geteuid() == 0 else None


@contextlib.contextmanager
def running_redis() -> Iterator[RedisServer]:
    """A started redis-server in a fresh folder, killed and removed at the end."""
    folder = Path(tempfile.mkdtemp(prefix="texrender-redis-"))
    user = _unprivileged_user()
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
    server = RedisServer(folder)
    try:
        for attempt in range(3):  # the free port may be taken between the probe and the start
            try:
                server.start()
                break
            except RuntimeError:
                if attempt == 2:
                    raise
                server.kill()
                server.port = free_port()
        yield server
    finally:
        server.kill()
        shutil.rmtree(folder, ignore_errors=True)

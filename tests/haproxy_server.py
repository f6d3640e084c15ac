"""A real HAProxy (Debian's package) for the tests, run from the example configuration
``deploy/haproxy/haproxy.cfg`` itself: its frontend, statistics page and socket moved to free
loopback ports and a fresh folder, its three servers to the given ports; ``haproxy -db`` in
the foreground as a child process (as ``nobody`` when the tests run as root), its log in the
folder, torn down with the folder at the end. Its statistics socket tells each server's state
and its retries."""

from __future__ import annotations

import contextlib
import csv
import io
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tests.redis_server import free_port

HAPROXY = shutil.which("haproxy")
MISSING = "haproxy is not installed (Debian's haproxy package; make test installs it)"
EXAMPLE = Path(__file__).resolve().parent.parent / "deploy" / "haproxy" / "haproxy.cfg"
START_TIMEOUT_S = 10.0
BACKEND = "texrender"  # the backend whose checks the others track


class ConfigChanged(AssertionError):
    """The example no longer has a line this fixture moves: change one or the other."""


def moved_config(
    example: str, folder: Path, port: int, stats_port: int, servers: Sequence[int]
) -> str:
    """The example with its addresses moved: ``bind :8000`` to ``port``, the statistics page
    to ``stats_port``, the socket into ``folder``, server N to ``servers[N-1]``."""
    moves = [
        (r"(?m)^(\s*bind) :8000$", rf"\1 127.0.0.1:{port}"),
        (r"(?m)^(\s*bind) 127\.0\.0\.1:8404$", rf"\1 127.0.0.1:{stats_port}"),
        (r"(?m)^(\s*stats socket) /run/haproxy/texrender\.sock", rf"\1 {folder / 'stats.sock'}"),
    ]
    for number, server_port in enumerate(servers, start=1):
        moves.append((rf"127\.0\.0\.1:800{number}\b", f"127.0.0.1:{server_port}"))
    for pattern, replacement in moves:
        example, count = re.subn(pattern, replacement, example)
        if count == 0:
            raise ConfigChanged(f"{EXAMPLE} has no {pattern!r} any more")
    return example


@dataclass
class HAProxyServer:
    """One haproxy process in front of ``servers`` (loopback ports); :attr:`url` is its
    frontend."""

    folder: Path
    servers: Sequence[int]
    port: int = field(default_factory=free_port)
    stats_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def stats_url(self) -> str:
        return f"http://127.0.0.1:{self.stats_port}/stats"

    @property
    def config(self) -> Path:
        return self.folder / "haproxy.cfg"

    @property
    def log(self) -> Path:
        return self.folder / "haproxy.log"

    def start(self) -> None:
        """Write the configuration, start haproxy and wait until its socket answers."""
        assert HAPROXY is not None, MISSING
        text = EXAMPLE.read_text(encoding="utf-8")
        self.config.write_text(
            moved_config(text, self.folder, self.port, self.stats_port, self.servers)
        )
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [HAPROXY, "-f", str(self.config), "-db"],
                cwd=self.folder,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                user=_unprivileged_user(),
                start_new_session=True,  # a ^C to the tests is not its signal
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"haproxy stopped: {self.log.read_text()[-2000:]}")
            with contextlib.suppress(OSError):
                self.stats()
                return
            time.sleep(0.02)
        raise RuntimeError(f"haproxy did not answer within {START_TIMEOUT_S} s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # "hard stop": connections closed at once
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def command(self, words: str) -> str:
        """One command on the statistics socket (``show stat``, ``show servers state``)."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.settimeout(5)
            connection.connect(str(self.folder / "stats.sock"))
            connection.sendall(words.encode() + b"\n")
            answer = b""
            while chunk := connection.recv(65536):
                answer += chunk
        return answer.decode()

    def stats(self) -> list[dict[str, str]]:
        """``show stat``: one row a frontend, backend and server (pxname, svname, status,
        wretr retries, wredis redispatches, stot sessions, hrsp_5xx, ...)."""
        text = self.command("show stat").lstrip("# ")
        return list(csv.DictReader(io.StringIO(text)))

    def states(self, backend: str = BACKEND) -> dict[str, str]:
        """Each server of ``backend``: ``UP``, ``DOWN``, ``UP 1/2`` (going down), ``DOWN 1/2``
        (coming up), ``MAINT``, ``no check``."""
        return {
            row["svname"]: row["status"]
            for row in self.stats()
            if row["pxname"] == backend and row["svname"] not in ("FRONTEND", "BACKEND")
        }

    def wait_for(self, server: str, status: str, timeout_s: float = 60.0) -> None:
        """Wait until ``server`` of the checked backend is ``status`` (a guard, not a measure)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.states().get(server) == status:
                return
            time.sleep(0.05)
        raise AssertionError(f"{server} is {self.states().get(server)}, not {status}")


def _unprivileged_user() -> str | None:
    """``nobody`` when the tests run as root (a proxy on high ports needs no privilege)."""
    return "nobody" if os.geteuid() == 0 else None


@contextlib.contextmanager
def running_haproxy(servers: Sequence[int]) -> Iterator[HAProxyServer]:
    """A started HAProxy in front of ``servers`` in a fresh folder, stopped and removed after."""
    folder = Path(tempfile.mkdtemp(prefix="texrender-haproxy-"))
    user = _unprivileged_user()
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
    proxy = HAProxyServer(folder, servers)
    try:
        for attempt in range(3):  # a free port may be taken between the probe and the start
            try:
                proxy.start()
                break
            except RuntimeError:
                if attempt == 2:
                    raise
                proxy.stop()
                proxy.port, proxy.stats_port = free_port(), free_port()
        yield proxy
    finally:
        proxy.stop()
        shutil.rmtree(folder, ignore_errors=True)

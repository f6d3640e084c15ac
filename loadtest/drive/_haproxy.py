"""A proxy to load through: HAProxy run from the example configuration
``deploy/haproxy/haproxy.cfg`` itself, its frontend, statistics page and socket moved to free
loopback ports and a folder of its own, its three servers to the given ports; ``haproxy -db``
in the foreground as a child process, its log in the folder. The statistics socket tells each
server's state and the retries it made. The bench runs it; so does the tests' fixture
(``tests/haproxy_server.py``)."""

from __future__ import annotations

import contextlib
import csv
import io
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ._spawn import REPO

HAPROXY = shutil.which("haproxy")
MISSING = "haproxy is not installed (Debian's haproxy package)"
EXAMPLE = REPO / "deploy" / "haproxy" / "haproxy.cfg"
START_TIMEOUT_S = 10.0
CHECKED_BACKEND = "texrender"  # the backend whose checks the others track
RENDERS_BACKEND = "texrender_renders"


class ConfigChanged(AssertionError):
    """The example no longer has a line this module moves: change one or the other."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def moved_config(
    example: str, folder: Path, port: int, stats_port: int, servers: Sequence[int]
) -> str:
    """The example with its addresses moved: ``bind :8000`` to ``port``, the statistics page
    to ``stats_port``, the socket into ``folder``, server N to ``servers[N-1]``.

    Raises: ConfigChanged if a line to move is not there.
    """
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


def renders_balanced_by(config: str, balance: str) -> str:
    """The configuration with the render backend's ``balance`` line replaced (the bench
    compares the example's hash of the body with ``roundrobin``).

    Raises: ConfigChanged if the render backend has no balance line.
    """
    pattern = rf"(?ms)^(backend {RENDERS_BACKEND}\n(?:\s+\S.*\n)*?\s+balance) [^\n]+"
    config, count = re.subn(pattern, rf"\1 {balance}", config)
    if count != 1:
        raise ConfigChanged(f"{EXAMPLE}: no balance line in backend {RENDERS_BACKEND}")
    return config


@dataclass
class HAProxy:
    """One haproxy process in front of ``servers`` (loopback ports), run as ``user`` (None:
    as this process); :attr:`url` is its frontend."""

    folder: Path
    servers: Sequence[int]
    user: str | None = None
    renders_balance: str | None = None  # None: the example's
    port: int = field(default_factory=free_port)
    stats_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def config(self) -> Path:
        return self.folder / "haproxy.cfg"

    @property
    def log(self) -> Path:
        return self.folder / "haproxy.log"

    def start(self) -> None:
        """Write the configuration, start haproxy and wait until its socket answers.

        Raises: RuntimeError if it stops or does not answer in time.
        """
        assert HAPROXY is not None, MISSING
        text = moved_config(
            EXAMPLE.read_text(encoding="utf-8"), self.folder, self.port, self.stats_port,
            self.servers,
        )  # fmt: skip
        if self.renders_balance is not None:
            text = renders_balanced_by(text, self.renders_balance)
        self.config.write_text(text)
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [HAPROXY, "-f", str(self.config), "-db"],
                cwd=self.folder,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                user=self.user,
                start_new_session=True,  # a ^C to the caller is not its signal
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"haproxy stopped: {self.log.read_text()[-2000:]}")
            with contextlib.suppress(OSError):
                self.stats()
                return
            time.sleep(0.02)
        raise RuntimeError(f"haproxy did not answer within {START_TIMEOUT_S:g} s")

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
        wretr retries, wredis redispatches, econ, eresp, stot requests, ...)."""
        text = self.command("show stat").lstrip("# ")
        return list(csv.DictReader(io.StringIO(text)))

    def states(self, backend: str = CHECKED_BACKEND) -> dict[str, str]:
        """Each server of ``backend``: ``UP``, ``DOWN``, ``UP 1/2`` (going down), ``DOWN 1/2``
        (coming up), ``MAINT``, ``no check``."""
        return {
            row["svname"]: row["status"]
            for row in self.stats()
            if row["pxname"] == backend and row["svname"] not in ("FRONTEND", "BACKEND")
        }

    def wait_for(self, server: str, status: str, timeout_s: float = 60.0) -> None:
        """Wait until ``server`` of the checked backend is ``status`` (a guard, not a measure).

        Raises: TimeoutError if it is not in time.
        """
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.states().get(server) == status:
                return
            time.sleep(0.05)
        raise TimeoutError(f"{server} is {self.states().get(server)}, not {status}")

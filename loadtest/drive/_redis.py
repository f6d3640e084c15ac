"""A Redis for the servers to share: ``redis-server`` (Debian's package) as a child process on
a free loopback port in a folder of its own, with no persistence and the eviction policy the
README recommends; stopped and its folder removed at the end."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from ._haproxy import free_port

REDIS_SERVER = shutil.which("redis-server")
START_TIMEOUT_S = 10.0


def _pong(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
        connection.sendall(b"PING\r\n")
        return connection.recv(64).startswith(b"+PONG")


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    """A started redis-server: its URL (``redis://127.0.0.1:PORT/0``).

    Raises: RuntimeError if it is not installed, stops, or does not answer in time.
    """
    if REDIS_SERVER is None:
        raise RuntimeError("redis-server is not installed (Debian's redis-server package)")
    folder = Path(tempfile.mkdtemp(prefix="texrender-bench-redis-"))
    port = free_port()
    argv = [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    argv += ["--appendonly", "no", "--dir", str(folder), "--daemonize", "no"]
    argv += ["--maxmemory", "256mb", "--maxmemory-policy", "allkeys-lru"]
    with (folder / "redis.log").open("ab") as log:
        process = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"redis-server stopped: {(folder / 'redis.log').read_text()}")
            with contextlib.suppress(OSError):
                if _pong(port):
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not answer in {START_TIMEOUT_S:g} s")
            time.sleep(0.02)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.kill()
        process.wait()
        shutil.rmtree(folder, ignore_errors=True)

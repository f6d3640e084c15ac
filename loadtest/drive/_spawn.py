"""A server to load, started here: ``texrender serve`` (or the bench's yardstick) in a
subprocess on a free loopback port, found by the URL it logs, stopped by SIGTERM (its graceful
drain) and SIGKILL if that takes too long.

Two flavours: :class:`Server` blocks, its stderr drained by a thread, for a program that runs
Trio only in between (the bench runs the harness's command line for each load);
:class:`TrioServer` lives in a Trio run and logs to a file (the soak, which reads that log).
"""

from __future__ import annotations

import collections
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx
import trio

from ._http import side_client
from ._priority import restore_priority

# The checkout this runs from: its templates, its tools.
REPO = Path(__file__).resolve().parents[2]
TEXRENDER = Path(sys.executable).parent / "texrender"
RUNNING_ON = re.compile(r"[Rr]unning on (http://\S+)")  # Hypercorn and uvicorn
STARTUP_TIMEOUT_S = 60.0


class SpawnError(Exception):
    """The server did not start, or not in time; the message says why."""


class Server:
    """``texrender serve`` on a free loopback port, its stderr drained by a thread."""

    def __init__(self, argv: list[str], env: dict[str, str] | None = None) -> None:
        self.process = subprocess.Popen(
            argv,
            env=env,
            preexec_fn=restore_priority,  # the harness may be niced, the server is not
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.tail: collections.deque[str] = collections.deque(maxlen=40)
        self.reader = threading.Thread(target=self._drain, args=(self.process.stderr,))
        self.reader.daemon = True
        self.reader.start()

    def _drain(self, stream: IO[str] | None) -> None:
        if stream is not None:
            for line in stream:
                self.tail.append(line.rstrip())
                self.lines.put(line)
        self.lines.put(None)

    def wait_for_url(self, timeout_s: float = STARTUP_TIMEOUT_S) -> str:
        """The URL Hypercorn logs ("Running on http://127.0.0.1:PORT").

        Raises: SpawnError if the server exits or says nothing in time.
        """
        try:
            while True:
                line = self.lines.get(timeout=timeout_s)
                if line is None:
                    raise SpawnError("texrender serve exited:\n" + "\n".join(self.tail))
                if match := RUNNING_ON.search(line):
                    return match[1]
        except queue.Empty:
            raise SpawnError(f"texrender serve did not start in {timeout_s:g} s") from None

    def stop(self, timeout_s: float = 20.0) -> int:
        """SIGTERM (graceful drain), then SIGKILL if it takes longer than ``timeout_s``."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._close_stderr()
        return self.process.returncode

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._close_stderr()

    def _close_stderr(self) -> None:
        """Once the reader has drained it (the server is gone, so it ends), close the pipe."""
        self.reader.join(5)
        if not self.reader.is_alive() and self.process.stderr is not None:
            self.process.stderr.close()


@contextmanager
def serving(argv: list[str], env: dict[str, str] | None = None) -> Iterator[Server]:
    """A :class:`Server` for the ``with`` block: stopped gracefully when the block ends, killed
    at once if it raises (or is interrupted)."""
    server = Server(argv, env)
    try:
        yield server
    except BaseException:
        server.kill()
        raise
    server.stop()


def wait_ready(url: str, timeout_s: float = STARTUP_TIMEOUT_S) -> dict[str, Any]:
    """/readyz once it answers 200 (formats built), so no run measures start-up.

    Raises: SpawnError if it does not in time.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        response = httpx.get(f"{url}/readyz", timeout=10)
        if response.status_code == 200:
            body: dict[str, Any] = response.json()
            return body
        if time.monotonic() > deadline:
            raise SpawnError(f"server not ready after {timeout_s:g} s: {response.text}")
        time.sleep(0.1)


@dataclass
class TrioServer:
    """A server in a subprocess under Trio, logging to a file; ``url`` once it logged it."""

    process: trio.Process
    log_path: Path
    url: str = ""

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


@dataclass(frozen=True)
class StopResult:
    """How the server ended after SIGTERM."""

    exit_s: float
    returncode: int | None
    killed: bool


async def start_server(
    argv: list[str], env: dict[str, str], log: IO[bytes], log_path: Path, *, timeout_s: float
) -> TrioServer:
    """Start the server, its output into ``log`` (the file at ``log_path``), and wait for its
    URL and a 200 from ``/readyz`` (formats built).

    Raises: SpawnError if it exits or is not ready within ``timeout_s``.
    """
    process = await trio.lowlevel.open_process(
        argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env
    )
    server = TrioServer(process, log_path)
    with trio.move_on_after(timeout_s):
        while not server.url:
            if process.poll() is not None:
                raise SpawnError(f"texrender serve exited:\n{server.log_tail()}")
            text = await trio.Path(log_path).read_text(encoding="utf-8", errors="replace")
            if match := RUNNING_ON.search(text):
                server.url = match[1]
            else:
                await trio.sleep(0.1)
        async with side_client(server.url) as client:
            while True:
                if (await client.get("/readyz")).status_code == 200:
                    break
                await trio.sleep(0.2)
        return server
    process.kill()
    await process.wait()
    raise SpawnError(f"texrender serve not ready in {timeout_s:g} s:\n{server.log_tail()}")


async def stop_server(server: TrioServer, timeout_s: float) -> StopResult:
    """SIGTERM, then SIGKILL if it is still there after ``timeout_s``."""
    started = trio.current_time()
    killed = False
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        with trio.move_on_after(timeout_s):
            await server.process.wait()
        if server.process.poll() is None:
            killed = True
            server.process.kill()
            await server.process.wait()
    return StopResult(trio.current_time() - started, server.process.returncode, killed)

"""The health probe in a process of its own.

The load generator is busy (it parses every PDF it receives), so a probe in the same process
would measure the harness's own delays as much as the server's. Here a separate process with a
plain blocking client sends ``GET path`` every ``interval_s``, times each answer from its
scheduled tick, and ships the samples back in small batches over a pipe.

The client is the standard library's :mod:`http.client` on one kept-alive connection, not
httpx: on a machine whose cores are all busy the client's own CPU is part of every figure, and
httpx's took the probe's p50 from 2.2 to 4.9 ms (the same run, both beside each other, the
server's own handling 0.1 ms); a connection that fails is opened again for the next probe.
"""

from __future__ import annotations

import contextlib
import http.client
import multiprocessing
import multiprocessing.connection
import socket
import ssl
import time
import urllib.parse
from collections.abc import Callable

import trio

from ._priority import restore_priority

BATCH_S = 0.25
# (perf_counter at the answer, latency in seconds, status)
Sample = tuple[float, float, str]


def probe_forever(
    url: str,
    path: str,
    interval_s: float,
    timeout_s: float,
    out: multiprocessing.connection.Connection,
) -> None:
    """The child: probe until the parent closes its end of the pipe (or says stop), at the
    priority the harness had before it niced its load generator."""
    restore_priority()
    batch: list[Sample] = []
    last_sent = time.perf_counter()
    client = ProbeClient(url, timeout_s)
    with contextlib.closing(client):
        out.send([])  # ready: the parent starts the load only now
        tick = time.perf_counter()
        while not out.poll():
            tick += interval_s
            delay = tick - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            status = client.get(path)
            now = time.perf_counter()
            batch.append((now, now - tick, status))
            if now - last_sent >= BATCH_S:
                out.send(batch)
                batch, last_sent = [], now
    with contextlib.suppress(OSError, EOFError):  # the parent may be gone: nobody to tell
        out.recv()  # consume "stop", so closing does not reset the connection
        out.send(batch)
    out.close()


# What a kept-alive connection the server closed while it was idle gives on its next use.
_STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


class ProbeClient:
    """``GET`` on one kept-alive connection (http or https), opened again after a failure;
    each answer's status, or a short name for a failure that produced none."""

    def __init__(self, url: str, timeout_s: float) -> None:
        parts = urllib.parse.urlsplit(url)
        self._prefix = parts.path.rstrip("/")
        self._https = parts.scheme == "https"
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or (443 if self._https else 80)
        self._timeout_s = timeout_s
        self._connection: http.client.HTTPConnection | None = None

    def get(self, path: str) -> str:
        reused = self._connection is not None
        try:
            return self._get(path)
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            if not (reused and isinstance(exc, _STALE)):
                return _failure_name(exc)
        # A kept-alive connection the server had closed meanwhile: once more, on a new one.
        try:
            return self._get(path)
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            return _failure_name(exc)

    def _get(self, path: str) -> str:
        if self._connection is None:
            self._connection = self._connect()
        self._connection.request("GET", self._prefix + path)
        response = self._connection.getresponse()
        response.read()
        if response.will_close:
            self.close()
        return str(response.status)

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _connect(self) -> http.client.HTTPConnection:
        if self._https:
            context = ssl.create_default_context()
            return http.client.HTTPSConnection(
                self._host, self._port, timeout=self._timeout_s, context=context
            )
        return http.client.HTTPConnection(self._host, self._port, timeout=self._timeout_s)


def _failure_name(exc: BaseException) -> str:
    """The same names the load's client gives (``timeout``, ``connect-error``...)."""
    if isinstance(exc, TimeoutError):
        return "timeout"
    if isinstance(exc, (ConnectionRefusedError, socket.gaierror)):
        return "connect-error"
    if isinstance(exc, http.client.HTTPException):
        return "protocol-error"
    return "read-error"


async def probe_in_process(
    url: str,
    path: str,
    interval_s: float,
    timeout_s: float,
    on_probe: Callable[[float, float, str], None],
    *,
    task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Run the probe process until cancelled, passing each sample to ``on_probe(now, latency,
    status)`` with ``now`` on Trio's clock. Started (``nursery.start``) once the process is
    up and probing, so a short run does not end before its first probe."""
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe(duplex=True)
    child = context.Process(
        target=probe_forever, args=(url, path, interval_s, timeout_s, theirs), daemon=True
    )
    child.start()
    theirs.close()
    # Trio's clock and perf_counter differ by a constant offset.
    offset = trio.current_time() - time.perf_counter()

    def deliver(samples: list[Sample]) -> None:
        for at, latency, status in samples:
            on_probe(at + offset, latency, status)

    try:
        await trio.lowlevel.wait_readable(ours.fileno())
        try:
            deliver(ours.recv())
        except EOFError:
            raise RuntimeError("the health probe process exited before it started") from None
        task_status.started()
        while True:
            await trio.lowlevel.wait_readable(ours.fileno())
            deliver(ours.recv())
    finally:
        with trio.CancelScope(shield=True):
            ours.send("stop")
            with trio.move_on_after(timeout_s + 5):
                while True:
                    await trio.lowlevel.wait_readable(ours.fileno())
                    try:
                        final = ours.recv()
                    except (EOFError, OSError):
                        break
                    deliver(final)
            ours.close()
            await trio.to_thread.run_sync(child.join, 5)
            if child.is_alive():
                child.kill()
                await trio.to_thread.run_sync(child.join)

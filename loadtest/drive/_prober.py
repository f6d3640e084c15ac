"""The health probe in a process of its own.

The load generator is busy (it parses every PDF it receives), so a probe in the same process
would measure the harness's own delays as much as the server's. Here a separate process with a
plain blocking client sends ``GET path`` every ``interval_s``, times each answer from its
scheduled tick, and ships the samples back in small batches over a pipe.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.connection
import time
from collections.abc import Callable

import httpx
import trio

from ._http import error_name
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
    with httpx.Client(base_url=url, timeout=timeout_s) as client:
        out.send([])  # ready: the parent starts the load only now
        tick = time.perf_counter()
        while not out.poll():
            tick += interval_s
            delay = tick - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            try:
                status = str(client.get(path).status_code)
            except httpx.HTTPError as exc:
                status = error_name(exc)
            now = time.perf_counter()
            batch.append((now, now - tick, status))
            if now - last_sent >= BATCH_S:
                out.send(batch)
                batch, last_sent = [], now
    with contextlib.suppress(OSError, EOFError):  # the parent may be gone: nobody to tell
        out.recv()  # consume "stop", so closing does not reset the connection
        out.send(batch)
    out.close()


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

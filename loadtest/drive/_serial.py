"""One client rendering one body after another, in a process of its own: the fairness bench's
probe key.

It is the client whose latency is the measurement while a flood runs beside it in the harness's
own process; there, 64 busy clients would delay its answers as much as the server does (the
same reason the health probe has a process of its own). The child keeps one blocking
``httpx.Client`` (one keep-alive connection, the key on every request) for every round it is
asked for, so an idle round and a flooded one are sent alike; each answer comes back with its
latency, status, problem type, and the server's own account of it (``Server-Timing``: its TeX
time and its wait for a render slot).
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass

import httpx
import trio

from ._http import JSON_HEADERS, auth_headers, error_name, problem_type, server_timing_ms
from ._priority import restore_priority

# Below the server's keep-alive timeout (5 s by default), so an idle connection is dropped by
# this client first, never reused at the moment the server closes it.
KEEPALIVE_EXPIRY_S = 2.0
START_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Answer:
    """One render of the serial client: latency from send to last byte, the status (or a
    transport error's name), the problem type of an error answer, and ``Server-Timing``'s
    ``tex`` and ``queue`` in ms (``None`` for an answer without them: a refusal, a cache hit)."""

    latency_s: float
    status: str
    problem: str | None = None
    tex_ms: float | None = None
    queue_ms: float | None = None


class SerialClientError(Exception):
    """The serial client's process did not start, exited, or did not answer in time."""


# What the parent asks for: (path, bodies, budget_s); None to stop.
Round = tuple[str, list[bytes], float]


def _one(client: httpx.Client, path: str, body: bytes) -> Answer:
    started = time.perf_counter()
    try:
        response = client.post(path, content=body, headers=JSON_HEADERS)
    except httpx.HTTPError as exc:
        return Answer(time.perf_counter() - started, error_name(exc))
    latency = time.perf_counter() - started
    return Answer(
        latency,
        str(response.status_code),
        problem_type(response),
        server_timing_ms(response, "tex"),
        server_timing_ms(response, "queue"),
    )


def serve_rounds(
    url: str, key: str | None, timeout_s: float, pipe: multiprocessing.connection.Connection
) -> None:
    """The child: answer each round the parent sends with the list of its answers, until told
    to stop (or the parent is gone). A round stops after its last body or its budget. It runs
    at the priority the harness had before it niced its load generator (a latency probe)."""
    restore_priority()
    limits = httpx.Limits(max_connections=1, keepalive_expiry=KEEPALIVE_EXPIRY_S)
    headers = auth_headers(key)
    with httpx.Client(base_url=url, timeout=timeout_s, headers=headers, limits=limits) as client:
        pipe.send("ready")
        while True:
            try:
                asked: Round | None = pipe.recv()
            except (EOFError, OSError):
                return
            if asked is None:
                return
            path, bodies, budget_s = asked
            deadline = time.perf_counter() + budget_s
            answers = []
            for body in bodies:
                if time.perf_counter() >= deadline:
                    break
                answers.append(_one(client, path, body))
            pipe.send(answers)


class SerialClient:
    """The parent's side: :meth:`render` sends a round and waits for its answers."""

    def __init__(self, pipe: multiprocessing.connection.Connection, timeout_s: float) -> None:
        self._pipe = pipe
        self._timeout_s = timeout_s

    async def _receive(self, within_s: float) -> object:
        with trio.move_on_after(within_s):
            await trio.lowlevel.wait_readable(self._pipe.fileno())
            try:
                return self._pipe.recv()
            except (EOFError, OSError):
                raise SerialClientError("the serial client's process exited") from None
        raise SerialClientError(f"the serial client did not answer within {within_s:g} s")

    async def render(self, path: str, bodies: list[bytes], budget_s: float) -> list[Answer]:
        """POST ``bodies`` to ``path`` one after another, each sent when the last one answered;
        no body is sent once ``budget_s`` has passed (the one in flight may take the request
        timeout more).

        Raises:
            SerialClientError: the round took longer than that and some, or the process died.
        """
        self._pipe.send((path, bodies, budget_s))
        answers = await self._receive(budget_s + self._timeout_s + 10.0)
        assert isinstance(answers, list)
        return answers


@asynccontextmanager
async def serial_client(
    url: str, *, key: str | None = None, timeout_s: float = 60.0
) -> AsyncIterator[SerialClient]:
    """A :class:`SerialClient` whose process is up (its client made) for the ``async with``;
    stopped, or killed if it does not stop, when the block ends."""
    auth_headers(key)  # a malformed key fails here, not in the child
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe(duplex=True)
    child = context.Process(
        target=serve_rounds, args=(url, key, timeout_s, theirs), daemon=True, name="serial-client"
    )
    child.start()
    theirs.close()
    try:
        serial = SerialClient(ours, timeout_s)
        if await serial._receive(START_TIMEOUT_S) != "ready":
            raise SerialClientError("the serial client's process did not start")
        yield serial
    finally:
        with trio.CancelScope(shield=True):
            with suppress(OSError):
                ours.send(None)
            ours.close()
            await trio.to_thread.run_sync(child.join, 5)
            if child.is_alive():
                child.kill()
                await trio.to_thread.run_sync(child.join)

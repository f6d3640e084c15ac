"""The traffic: closed loop (N clients, each waits for its answer), open loop (Poisson arrivals
that do not wait), and the health probe that runs beside either.

A closed-loop client told ``Retry-After`` on a 429 or 503 waits that long before its next
request, as a polite client does (``honor_retry_after=False`` makes it a hostile one that asks
again at once). Open-loop arrivals are independent of answers, so they never wait.

In the open loop every request has a scheduled time fixed in advance, and its latency is
measured from that time, not from when it was actually sent. A server (or harness) that stalls
therefore cannot hide the requests that should have been sent during the stall: the
"coordinated omission" that makes closed-loop tools report flattering percentiles.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import httpx
import trio

from .record import Recorder

JSON_HEADERS = {"content-type": "application/json", "accept": "application/pdf"}
# Most specific first: ConnectTimeout is both a TimeoutException and a TransportError.
_ERROR_NAMES: tuple[tuple[type[httpx.HTTPError], str], ...] = (
    (httpx.TimeoutException, "timeout"),
    (httpx.ConnectError, "connect-error"),
    (httpx.ReadError, "read-error"),
    (httpx.WriteError, "write-error"),
    (httpx.RemoteProtocolError, "protocol-error"),
    (httpx.TransportError, "transport-error"),
)


def error_name(exc: httpx.HTTPError) -> str:
    """A short status-like name for a failure that produced no HTTP status."""
    for kind, name in _ERROR_NAMES:
        if isinstance(exc, kind):
            return name
    return "http-error"


RETRYABLE = frozenset({429, 503})


def retry_after_s(response: httpx.Response) -> float | None:
    """Seconds a 429 or 503 asks the client to wait (``Retry-After`` in seconds; the HTTP-date
    form is not used by texrender and counts as absent)."""
    if response.status_code not in RETRYABLE:
        return None
    value = response.headers.get("retry-after", "")
    return float(value) if value.isdigit() else None


async def send_one(
    client: httpx.AsyncClient,
    recorder: Recorder,
    path: str,
    body: bytes,
    scheduled: float,
    timeout_s: float,
) -> float | None:
    """POST one body and record its outcome, latency counted from ``scheduled``; returns the
    answer's ``Retry-After`` seconds, if it had one.

    ``timeout_s`` bounds the whole exchange (httpx's own timeouts are per phase). A request
    cancelled before it ended (the run's drain time ran out) counts as ``unfinished``, so
    ``sent == ok + errors`` always holds.
    """
    recorder.on_sent(trio.current_time(), scheduled)
    status, nbytes, retry = "unfinished", 0, None
    try:
        with trio.move_on_after(timeout_s) as scope:
            response = await client.post(path, content=body, headers=JSON_HEADERS)
            status, nbytes = str(response.status_code), len(response.content)
            retry = retry_after_s(response)
        if scope.cancelled_caught:
            status = "timeout"
    except httpx.HTTPError as exc:
        status = error_name(exc)
    finally:
        end = trio.current_time()
        recorder.on_done(end, end - scheduled, status, nbytes)
    return retry


class Tickets:
    """A shared budget of requests (``None``: unlimited), taken one at a time."""

    def __init__(self, total: int | None) -> None:
        self.left = total

    def take(self) -> bool:
        if self.left is None:
            return True
        if self.left <= 0:
            return False
        self.left -= 1
        return True


async def closed_loop(
    client: httpx.AsyncClient,
    next_request: Callable[[], tuple[str, bytes]],
    recorder: Recorder,
    *,
    concurrency: int,
    stop_at: float | None,
    requests: int | None,
    drain_s: float,
    timeout_s: float,
    honor_retry_after: bool = True,
    ramp_s: float = 0.0,
) -> None:
    """``concurrency`` clients; each sends its next request as soon as the last one answered
    (or, told ``Retry-After``, that many seconds later, unless ``honor_retry_after`` is off).

    Client ``i`` starts ``i * ramp_s / concurrency`` seconds in, so a large run does not open
    with every client arriving in the same instant (``ramp_s=0``: all at once).
    After ``stop_at`` no request starts; those in flight get ``drain_s`` to finish.
    """
    tickets = Tickets(requests)
    first = trio.current_time()

    async def client_loop(start_at: float) -> None:
        await trio.sleep_until(start_at)
        while (stop_at is None or trio.current_time() < stop_at) and tickets.take():
            path, body = next_request()
            retry = await send_one(client, recorder, path, body, trio.current_time(), timeout_s)
            if retry is not None and honor_retry_after:
                recorder.on_backoff(retry)
                resume = trio.current_time() + retry
                await trio.sleep_until(resume if stop_at is None else min(resume, stop_at))

    async with trio.open_nursery() as nursery:
        if stop_at is not None:
            nursery.cancel_scope.deadline = stop_at + drain_s
        for index in range(concurrency):
            nursery.start_soon(client_loop, first + index * ramp_s / concurrency)


async def open_loop(
    client: httpx.AsyncClient,
    next_request: Callable[[], tuple[str, bytes]],
    recorder: Recorder,
    *,
    rate: float,
    stop_at: float | None,
    requests: int | None,
    drain_s: float,
    timeout_s: float,
    max_in_flight: int,
    rng: random.Random,
) -> None:
    """Poisson arrivals at ``rate`` per second, each sent at its time whatever the others do.

    At most ``max_in_flight`` requests are outstanding (a safety cap); a request held back by
    the cap still has its latency counted from its scheduled time.
    """
    cap = trio.Semaphore(max_in_flight)

    async def fire(path: str, body: bytes, scheduled: float) -> None:
        try:
            await send_one(client, recorder, path, body, scheduled, timeout_s)
        finally:
            cap.release()

    async with trio.open_nursery() as nursery:
        scheduled = recorder.start
        sent = 0
        while requests is None or sent < requests:
            scheduled += rng.expovariate(rate)
            if stop_at is not None and scheduled >= stop_at:
                break
            await trio.sleep_until(scheduled)
            await cap.acquire()
            path, body = next_request()
            nursery.start_soon(fire, path, body, scheduled)
            sent += 1
        nursery.cancel_scope.deadline = trio.current_time() + drain_s

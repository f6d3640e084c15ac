"""The traffic: closed loop (N clients, each waits for its answer) and open loop (Poisson
arrivals that do not wait).

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
from collections.abc import Awaitable, Callable

import httpx
import trio

from ..record import Recorder
from ._http import send_one

# Sends one request whose latency counts from the scheduled time it is given.
Send = Callable[[float], Awaitable[object]]


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


async def poisson_arrivals(
    start: float,
    next_send: Callable[[], Send],
    *,
    rate: float,
    rng: random.Random,
    stop_at: float | None,
    requests: int | None,
    drain_s: float,
    max_in_flight: int,
) -> tuple[int, float]:
    """Poisson arrivals at ``rate`` per second from ``start``, each sent at its time whatever
    the others do: ``next_send()`` picks what the next arrival sends.

    At most ``max_in_flight`` requests are outstanding (a safety cap); a request held back by
    the cap still has its latency counted from its scheduled time. No arrival is scheduled at
    or after ``stop_at``, nor more than ``requests``; those in flight then get ``drain_s`` to
    finish. Returns how many were sent and when the schedule ended (the drain began then).
    """
    cap = trio.Semaphore(max_in_flight)

    async def fire(send: Send, scheduled: float) -> None:
        try:
            await send(scheduled)
        finally:
            cap.release()

    async with trio.open_nursery() as nursery:
        scheduled, sent = start, 0
        while requests is None or sent < requests:
            scheduled += rng.expovariate(rate)
            if stop_at is not None and scheduled >= stop_at:
                break
            await trio.sleep_until(scheduled)
            await cap.acquire()
            nursery.start_soon(fire, next_send(), scheduled)
            sent += 1
        ended = trio.current_time()
        nursery.cancel_scope.deadline = ended + drain_s
    return sent, ended


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
    """:func:`poisson_arrivals` of ``next_request()``, each POSTed from ``client`` and recorded
    in ``recorder``, from its start."""

    def next_send() -> Send:
        path, body = next_request()

        async def send(scheduled: float) -> None:
            await send_one(client, recorder, path, body, scheduled, timeout_s)

        return send

    await poisson_arrivals(
        recorder.start,
        next_send,
        rate=rate,
        rng=rng,
        stop_at=stop_at,
        requests=requests,
        drain_s=drain_s,
        max_in_flight=max_in_flight,
    )

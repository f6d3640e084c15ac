"""The soak's traffic: the capacity run (a closed loop of unique renders), then the mix as
Poisson arrivals, each kind sent its way: through the load client, or (aborted and too-large
requests) on a raw connection of its own that is closed or read as a real client would."""

from __future__ import annotations

import random
from typing import Any
from urllib.parse import urlsplit

import trio

from ..drive import Send, Workload, closed_loop, load_client, poisson_arrivals, send_one
from ..record import Recorder, histogram_summary
from ._bodies import Bodies, Request
from ._config import SoakConfig
from ._kinds import Mix
from ._tally import Tally

# A client must give up an idle connection before the server does (texrender closes them after
# keep_alive_timeout_s, 5 s by default): with equal timeouts, a request sent on a connection in
# the very moment the server closes it is lost (seen once in a 10-minute soak: httpx's default
# expiry is 5 s too). The client's half of the keep-alive contract, as every client should do.
KEEPALIVE_EXPIRY_S = 2.0


async def measure_capacity(
    url: str, bodies: Bodies, slots: int, duration_s: float, timeout_s: float
) -> dict[str, Any]:
    """Renders/s of unique ``resume-classic`` bodies from a closed loop of 2x slots clients."""
    workload = Workload([bodies.resume], [1.0])
    recorder = Recorder(trio.current_time())
    clients = 2 * slots
    async with load_client(
        url, clients, timeout_s, keepalive_expiry_s=KEEPALIVE_EXPIRY_S
    ) as client:
        await closed_loop(
            client,
            workload.next_request,
            recorder,
            concurrency=clients,
            stop_at=recorder.start + duration_s,
            requests=None,
            drain_s=timeout_s,
            timeout_s=timeout_s,
        )
    recorder.end = trio.current_time()
    elapsed = recorder.elapsed(recorder.end)
    ok = recorder.status_counts.get("200", 0)
    return {
        "clients": clients,
        "elapsed_s": round(elapsed, 3),
        "renders_per_s": round(ok / elapsed, 3) if elapsed > 0 else 0.0,
        "status_counts": dict(sorted(recorder.status_counts.items())),
        "latency_ms": histogram_summary(recorder.histogram),
    }


async def drive(
    url: str,
    config: SoakConfig,
    rate: float,
    requests: int,
    mix: Mix,
    bodies: Bodies,
    tally: Tally,
) -> float:
    """Poisson arrivals at ``rate`` until the duration or ``requests`` is used up, each kind
    sent its way; latency counts from the scheduled time, as in the open loop. Returns the
    load window in seconds."""
    rng = random.Random(config.seed + 1)  # noqa: S311 (arrival times, not secrets)
    stop_at = tally.start + config.duration_s
    client = load_client(
        url, config.max_in_flight, config.timeout_s, keepalive_expiry_s=KEEPALIVE_EXPIRY_S
    )
    async with client:

        def next_send() -> Send:
            kind = mix.next_kind()
            request = bodies.for_kind(kind)

            async def send(scheduled: float) -> None:
                recorder = tally.of(kind)
                if kind == "aborted":
                    await send_raw(
                        url, recorder, request, scheduled, config.abort_after_s, "aborted"
                    )
                elif kind == "too-large":
                    await send_raw(url, recorder, request, scheduled, config.timeout_s, "timeout")
                else:
                    await send_one(
                        client, recorder, request.path, request.body, scheduled, config.timeout_s
                    )

            return send

        sent, ended = await poisson_arrivals(
            tally.start,
            next_send,
            rate=rate,
            rng=rng,
            stop_at=stop_at,
            requests=requests,
            drain_s=config.timeout_s,
            max_in_flight=config.max_in_flight,
        )
    # The window is the whole duration, unless the request count ended it early.
    return (stop_at if sent < requests else ended) - tally.start


async def _read_status(stream: trio.SocketStream) -> str:
    """The status of the answer's first line, or why there is none."""
    received = b""
    try:
        while b"\r\n" not in received:
            chunk = await stream.receive_some()
            if not chunk:
                return "closed-without-answer"
            received += chunk
    except (trio.BrokenResourceError, trio.ClosedResourceError):
        return "read-error"
    fields = received.split(b"\r\n", 1)[0].split()
    return fields[1].decode(errors="replace") if len(fields) > 1 else "bad-status-line"


async def send_raw(
    url: str,
    recorder: Recorder,
    request: Request,
    scheduled: float,
    give_up_after_s: float,
    silence: str,
) -> None:
    """POST on a connection of its own, read the status line, close: ``silence`` if nothing
    came within ``give_up_after_s`` (the ``aborted`` kind: a client that gives up mid-render).
    The 2 MiB body goes this way too, so a server that closes under the upload is seen as it
    is (``write-error`` when no answer can be read after it), with no client library between.
    """
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    head = (
        f"POST {request.path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(request.body)}\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    recorder.on_sent(trio.current_time(), scheduled)
    status = silence
    try:
        with trio.move_on_after(give_up_after_s):
            stream = await trio.open_tcp_stream(host, port)
            async with stream:
                wrote = True
                try:
                    await stream.send_all(head + request.body)
                except trio.BrokenResourceError:
                    wrote = False  # closed under the upload: its answer may still be there
                status = await _read_status(stream)
                if not wrote and status in {"read-error", "closed-without-answer"}:
                    status = "write-error"
    except OSError:
        status = "connect-error"
    finally:
        end = trio.current_time()
        recorder.on_done(end, end - scheduled, status)

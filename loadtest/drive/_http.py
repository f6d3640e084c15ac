"""One request, and the clients that send them: the load's client, with a connection for every
request that may be outstanding, and a side client for the probe and the server's figures.

A request's latency counts from the time it was *scheduled*, which the caller gives: the open
loop's fixed arrival time, or the moment a closed-loop client sends. A failure that produced no
HTTP status is recorded under a short name of its own (``timeout``, ``connect-error``...).
"""

from __future__ import annotations

import httpx
import trio

from ..record import Recorder

JSON_HEADERS = {"content-type": "application/json", "accept": "application/pdf"}
# The probe and the server's figures: their own bound, never stuck behind the load.
PROBE_TIMEOUT_S = 10.0
# Most specific first: ConnectTimeout is both a TimeoutException and a TransportError.
_ERROR_NAMES: tuple[tuple[type[httpx.HTTPError], str], ...] = (
    (httpx.TimeoutException, "timeout"),
    (httpx.ConnectError, "connect-error"),
    (httpx.ReadError, "read-error"),
    (httpx.WriteError, "write-error"),
    (httpx.RemoteProtocolError, "protocol-error"),
    (httpx.TransportError, "transport-error"),
)
RETRYABLE = frozenset({429, 503})


def load_client(
    url: str, connections: int, timeout_s: float, *, keepalive_expiry_s: float = 5.0
) -> httpx.AsyncClient:
    """A client with ``connections`` connections, one per possible outstanding request, so
    httpx's pool never queues requests the server should have seen (and no pool timeout
    distorts latency). ``keepalive_expiry_s`` is how long an idle connection is kept (httpx's
    own default: 5 s)."""
    return httpx.AsyncClient(
        base_url=url,
        timeout=httpx.Timeout(timeout_s),
        limits=httpx.Limits(
            max_connections=connections,
            max_keepalive_connections=connections,
            keepalive_expiry=keepalive_expiry_s,
        ),
    )


def side_client(url: str) -> httpx.AsyncClient:
    """A separate client for the probe and the server's figures: never stuck behind the load."""
    return httpx.AsyncClient(base_url=url, timeout=PROBE_TIMEOUT_S)


def error_name(exc: httpx.HTTPError) -> str:
    """A short status-like name for a failure that produced no HTTP status."""
    for kind, name in _ERROR_NAMES:
        if isinstance(exc, kind):
            return name
    return "http-error"


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

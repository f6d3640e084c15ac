"""One request, and the clients that send them: the load's client, with a connection for every
request that may be outstanding, and a side client for the probe and the server's figures.

A request's latency counts from the time it was *scheduled*, which the caller gives: the open
loop's fixed arrival time, or the moment a closed-loop client sends. A failure that produced no
HTTP status is recorded under a short name of its own (``timeout``, ``connect-error``...); a
problem+json answer is also recorded by its problem type (``429`` ``owner-queue-full``...).

Either client can carry an API key (``Authorization: Bearer <key>`` on every request), so any
load can run against a server with auth on. The key is a secret: it is never written into a
report, only :func:`key_label` (its public id).
"""

from __future__ import annotations

import json
import re

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
# texrender's keys read trk_<key id>_<secret>; the key id is public (it names the key).
_KEY_ID = re.compile(r"^(trk_[0-9A-Za-z]+)_")
# A problem body larger than this is not parsed for its type (texrender's are a few hundred bytes).
_PROBLEM_MAX_BYTES = 65_536


def auth_headers(key: str | None) -> dict[str, str]:
    """``Authorization: Bearer <key>``, or nothing without a key.

    Raises:
        ValueError: the key is empty or holds white space or control characters (it would not
            be one header value, or would be sent as something else than what was given).
    """
    if key is None:
        return {}
    if not key or any(c.isspace() or not c.isprintable() for c in key):
        raise ValueError("an API key is one word of printable characters")
    return {"authorization": f"Bearer {key}"}


def key_label(key: str | None) -> str | None:
    """What a report may say of a key: its public id (``trk_<id>_…``) or ``"(set)"``; never
    the secret."""
    if key is None:
        return None
    match = _KEY_ID.match(key)
    return f"{match[1]}_…" if match else "(set)"


def load_client(
    url: str,
    connections: int,
    timeout_s: float,
    *,
    keepalive_expiry_s: float = 5.0,
    key: str | None = None,
) -> httpx.AsyncClient:
    """A client with ``connections`` connections, one per possible outstanding request, so
    httpx's pool never queues requests the server should have seen (and no pool timeout
    distorts latency). ``keepalive_expiry_s`` is how long an idle connection is kept (httpx's
    own default: 5 s); ``key``, an API key sent with every request."""
    return httpx.AsyncClient(
        base_url=url,
        timeout=httpx.Timeout(timeout_s),
        headers=auth_headers(key),
        limits=httpx.Limits(
            max_connections=connections,
            max_keepalive_connections=connections,
            keepalive_expiry=keepalive_expiry_s,
        ),
    )


def side_client(url: str, *, key: str | None = None) -> httpx.AsyncClient:
    """A separate client for the probe and the server's figures: never stuck behind the load.
    With ``key``, its requests carry it too (a template's sample needs one when auth is on)."""
    return httpx.AsyncClient(base_url=url, timeout=PROBE_TIMEOUT_S, headers=auth_headers(key))


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


def problem_type(response: httpx.Response) -> str | None:
    """The problem type of an error answer in ``application/problem+json`` (RFC 9457), as its
    last path segment (``/problems/owner-queue-full`` gives ``owner-queue-full``); ``None``
    for a success, another media type, or a body that is not a problem."""
    if response.status_code < 400:
        return None
    media_type = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "application/problem+json" or len(response.content) > _PROBLEM_MAX_BYTES:
        return None
    try:
        body = json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return None
    kind = body.get("type") if isinstance(body, dict) else None
    if not isinstance(kind, str) or not kind.strip("/"):
        return None
    return kind.rstrip("/").rsplit("/", 1)[-1]


def server_timing_ms(response: httpx.Response, metric: str) -> float | None:
    """The ``dur`` of one metric of the answer's ``Server-Timing`` (``tex;dur=141.2``), in ms."""
    for header in response.headers.get_list("server-timing"):
        for entry in header.split(","):
            name, *params = (part.strip() for part in entry.split(";"))
            if name != metric:
                continue
            for param in params:
                key, _, value = param.partition("=")
                if key.strip().lower() == "dur":
                    try:
                        return float(value.strip().strip('"'))
                    except ValueError:
                        return None
    return None


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
    status, nbytes, retry, problem = "unfinished", 0, None, None
    try:
        with trio.move_on_after(timeout_s) as scope:
            response = await client.post(path, content=body, headers=JSON_HEADERS)
            status, nbytes = str(response.status_code), len(response.content)
            retry = retry_after_s(response)
            problem = problem_type(response)
        if scope.cancelled_caught:
            status, problem = "timeout", None
    except httpx.HTTPError as exc:
        status = error_name(exc)
    finally:
        end = trio.current_time()
        recorder.on_done(end, end - scheduled, status, nbytes, problem)
    return retry

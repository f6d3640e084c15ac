"""The door: a connection's first request refused for load before Hypercorn sets it up.

Under overload a client that ignores ``Retry-After`` asks again at once, on a new connection
(the refusal said ``Connection: close``). Answered through Hypercorn, even by the ASGI layer
in front of Quart (:mod:`server.http.early_refusal`), each such refusal paid for Hypercorn's
connection set-up (its task group, protocol objects, an h11 parser, a task for the app, an
idle timer) and two writes: 0.90 ms of server CPU against 0.20 ms for the bare accept, read,
write and close. So every connection Hypercorn accepts meets this door first. While no render
could be refused (a slot is free, or the queue has room for the one owner there is) it hands
the connection straight to Hypercorn, reading nothing. Otherwise it reads the first request
itself (:mod:`server.http.request_head`: a plain one only), and if that request is bound to
be refused (:mod:`server.http.refusal_policy`: the very rules and answer of the ASGI layer)
writes the 429 in one write and closes; anything else, or a request not whole within
:data:`READ_WAIT_S`, goes to Hypercorn with the bytes read replayed, as if never touched. TLS
connections go straight to Hypercorn.

Hypercorn's Trio worker makes each connection's handler from the name ``TCPServer`` in
``hypercorn.trio.run``; :func:`install_door` points that name at :func:`_connection`, which
puts the door in front of Hypercorn's own ``TCPServer`` for apps wrapped in :class:`DoorApp`
and changes nothing for any other app.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import trio
from hypercorn.config import Config
from hypercorn.trio import run as hypercorn_run
from hypercorn.trio.tcp_server import TCPServer
from hypercorn.trio.worker_context import WorkerContext
from hypercorn.typing import AppWrapper, ASGIReceiveCallable, ASGISendCallable, LifespanState

from rendering import RenderOrder

from ..app import TexrenderApp
from ..http.asgi import RequestCounter, requests_counter
from ..http.refusal_policy import (
    RefusalHeaders,
    bound_order,
    count_refusal,
    may_refuse,
    refusal_answer,
    refusal_for,
    refusal_headers,
    refusal_log,
)
from ..http.request_head import RequestHead, Unread, read_head
from ..http.request_id import choose_request_id, request_id_var
from ..state import EXTENSION_KEY, AppState

log = logging.getLogger("texrender.serve")

# How long the door reads a first request before it hands the connection on unanswered.
READ_WAIT_S = 1.0
_RECEIVE_BYTES = 65536
# Besides the headers that send any early refusal the long way, the ones whose handling is
# Hypercorn's own (an interim 100 answer, a protocol switch).
_LONG_WAY = frozenset(
    {b"if-none-match", b"prefer", b"transfer-encoding", b"expect", b"upgrade", b"http2-settings"}
)
_GONE = (trio.BrokenResourceError, trio.ClosedResourceError, OSError)

LongWay = Callable[[Any], Awaitable[None]]


class _Replayed:
    """A socket stream whose first bytes, read by the door, are given back first: what
    Hypercorn's ``TCPServer`` uses of a plain connection, and nothing else (it asks for a TLS
    handshake and takes the missing attribute to mean there is none)."""

    __slots__ = ("_first", "_stream", "socket")

    def __init__(self, stream: trio.SocketStream, first: bytes) -> None:
        self._stream = stream
        self._first = first
        self.socket = stream.socket

    async def receive_some(self, max_bytes: int | None = None) -> bytes | bytearray:
        if self._first:
            given = self._first if max_bytes is None else self._first[:max_bytes]
            self._first = self._first[len(given) :]
            return given
        return await self._stream.receive_some(max_bytes)

    async def send_all(self, data: bytes | bytearray | memoryview) -> None:
        await self._stream.send_all(data)

    async def send_eof(self) -> None:
        await self._stream.send_eof()

    async def aclose(self) -> None:
        await self._stream.aclose()


@dataclass
class _FirstRequest:
    """What the door read of a connection: its bytes and, if they hold the whole of a first
    request that only load could stop, its order, headers and body."""

    data: bytes
    order: RenderOrder | None = None
    headers: RefusalHeaders | None = None
    body: bytes = b""


class Door:
    """Refuses a connection's first request when it is bound to be refused, before Hypercorn."""

    def __init__(self, app: TexrenderApp, config: Config) -> None:
        self._extensions = app.extensions
        self._config = config
        self._log = refusal_log(app.extensions)
        self._in_flight: RequestCounter = requests_counter(app)
        # Hypercorn answers a Host it does not serve itself: with server names set, no door.
        self.open = not config.server_names

    async def meet(self, stream: trio.SocketStream, long_way: LongWay) -> None:
        """Answer ``stream``'s first request here, or pass the connection on to ``long_way``."""
        state = self._extensions.get(EXTENSION_KEY)
        if not self.open or not isinstance(state, AppState) or not may_refuse(state):
            await long_way(stream)
            return
        started = trio.current_time()
        first = await _read_first(stream, state)
        refused = None
        if first.order is not None and not state.draining:
            refused = refusal_for(state, first.order, first.body)
        if refused is None or first.order is None or first.headers is None:
            await long_way(_Replayed(stream, first.data))
            return
        order = first.order
        incoming = first.headers.request_id
        request_id = choose_request_id(incoming.decode("latin-1") if incoming else None)
        request_id_var.set(request_id)
        self._in_flight.value += 1  # a draining server waits for it to be answered
        try:
            if await _pause_unless_gone(state, stream):
                body, answer = refusal_answer(state, first.headers, refused, request_id, close=True)
                lines = [*answer, *self._config.response_headers("h11")]
                head = b"".join(name + b": " + value + b"\r\n" for name, value in lines)
                status = f"HTTP/1.1 {refused.status} \r\n".encode()
                await stream.send_all(status + head + b"\r\n" + body)
                count_refusal(state, self._log, order, refused, trio.current_time() - started)
                await stream.send_eof()
        except _GONE:
            pass  # the client went away: nothing to answer
        finally:
            self._in_flight.value -= 1
            await stream.aclose()


async def _read_first(stream: trio.SocketStream, state: AppState) -> _FirstRequest:
    """Read until the first request's head and whole body are in, the head is not a plain
    one or not one that only load could stop, the client is done, or :data:`READ_WAIT_S`
    ends; only in the first case does the answer hold an order."""
    data = bytearray()  # grown in place: a large body comes in many pieces
    head: RequestHead | None = None
    headers = RefusalHeaders()
    order = None
    with trio.move_on_after(READ_WAIT_S):
        while True:
            try:
                more = await stream.receive_some(_RECEIVE_BYTES)
            except _GONE:
                break
            if not more:
                break
            data += more
            if head is None:
                read = read_head(bytes(data))
                if read is Unread.INCOMPLETE:
                    continue
                if isinstance(read, Unread):
                    break
                head = read
                headers = refusal_headers(head.headers, _LONG_WAY)
                order = bound_order(state, head.path, headers)
                if order is None:
                    break
            assert headers.content_length is not None  # bound_order checked it
            end = head.body_start + headers.content_length
            if len(data) >= end:
                whole = bytes(data)
                return _FirstRequest(whole, order, headers, whole[head.body_start : end])
    return _FirstRequest(bytes(data))


async def _pause_unless_gone(state: AppState, stream: trio.SocketStream) -> bool:
    """The refusal's pause (:class:`server.tarpit.Tarpit`), cut short if the client goes
    away; whether it is still there to be answered. Bytes it sends meanwhile are dropped."""
    with state.refusals.holding() as pause_s, trio.move_on_after(pause_s):
        if pause_s <= 0:
            return True
        try:
            while await stream.receive_some(_RECEIVE_BYTES):
                pass
        except _GONE:
            pass
        return False  # the client is gone
    return True


@dataclass
class DoorApp:
    """The app Hypercorn serves, with the door its plain connections meet first."""

    inner: AppWrapper
    door: Door

    async def __call__(
        self,
        scope: Any,
        receive: ASGIReceiveCallable,
        send: ASGISendCallable,
        sync_spawn: Callable[..., Any],
        call_soon: Callable[..., Any],
    ) -> None:
        await self.inner(scope, receive, send, sync_spawn, call_soon)


async def _hypercorn(
    app: AppWrapper,
    config: Config,
    context: WorkerContext,
    state: LifespanState,
    stream: Any,
) -> None:
    await TCPServer(app, config, context, state, stream)


def _connection(
    app: AppWrapper,
    config: Config,
    context: WorkerContext,
    state: LifespanState,
    stream: Any,
) -> Awaitable[None]:
    """Hypercorn's handler for one accepted connection, the door in front where there is one."""
    if isinstance(app, DoorApp) and isinstance(stream, trio.SocketStream):
        return app.door.meet(stream, partial(_hypercorn, app.inner, config, context, state))
    return TCPServer(app, config, context, state, stream)


def install_door() -> bool:
    """Make Hypercorn's Trio worker open each connection with :func:`_connection` (once);
    whether the door stands. When Hypercorn no longer makes its handlers from that name (a new
    version), the door is an optimisation the server can do without: it says so in the log
    and every connection goes to Hypercorn as it would without it.
    """
    current = getattr(hypercorn_run, "TCPServer", None)
    if current is _connection:
        return True
    if current is not TCPServer:
        log.warning(
            "hypercorn.trio.run.TCPServer is not Hypercorn's own class: serving without the "
            "door (refusals under load take the ASGI layer instead)"
        )
        return False
    setattr(hypercorn_run, "TCPServer", _connection)  # noqa: B010 (mypy: a class's name)
    return True

"""Renders refused for load before Quart's request machinery runs, on a connection already
open.

Under overload most render requests are refused (429), and a client that ignores
``Retry-After`` asks again at once: answered through Quart (request object, hooks, the error
handler, the response object), each refusal cost more server CPU than a ``/healthz``, taken from
the TeX runs everyone is waiting for. This ASGI layer sits in front of Quart and answers the
renders that are bound to be refused itself (:mod:`server.http.refusal_policy` says which, and
what the answer says), from the queue's state and the raw headers, the body read here. Anything
else goes on to Quart untouched, its body replayed.

A connection's first request meets the door in front of Hypercorn before it comes here
(:mod:`server.serving.door`), which refuses the same requests for less; this layer answers the
ones that come later on a kept-alive connection, and those over HTTP/2 or TLS.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import trio
from hypercorn.typing import (
    ASGIReceiveCallable,
    ASGIReceiveEvent,
    ASGISendCallable,
    HTTPScope,
)

from rendering import RenderOrder, RenderQueueFull

from ..state import EXTENSION_KEY, AppState
from .refusal_policy import (
    PREFIX,
    RefusalHeaders,
    bound_order,
    count_refusal,
    may_refuse,
    refusal_answer,
    refusal_for,
    refusal_headers,
    refusal_log,
)
from .request_id import choose_request_id, request_id_var

# The body is read here for at most this long; a slower one goes on to Quart (its own limit).
BODY_WAIT_S = 1.0

Inner = Callable[[HTTPScope, ASGIReceiveCallable, ASGISendCallable], Awaitable[None]]


@dataclass
class _Replay:
    """A receive callable that gives back the messages already read, then reads on."""

    messages: list[ASGIReceiveEvent]
    receive: ASGIReceiveCallable

    async def __call__(self) -> ASGIReceiveEvent:
        if self.messages:
            return self.messages.pop(0)
        return await self.receive()


class EarlyRefusal:
    """The ASGI layer: refuses what is bound to be refused, passes the rest to ``inner``."""

    def __init__(self, extensions: dict[str, object], inner: Inner) -> None:
        self._extensions = extensions
        self._inner = inner
        self._log = refusal_log(extensions)

    async def __call__(
        self, scope: HTTPScope, receive: ASGIReceiveCallable, send: ASGISendCallable
    ) -> None:
        state = self._extensions.get(EXTENSION_KEY)
        if (
            not isinstance(state, AppState)
            or scope["method"] != "POST"
            or not scope["path"].startswith(PREFIX)
            or scope["query_string"]
            or not may_refuse(state)  # the usual case: no need to look at the headers
        ):
            await self._inner(scope, receive, send)
            return
        started = trio.current_time()
        headers = refusal_headers(scope["headers"])
        order = bound_order(state, scope["path"], headers)
        # Most requests stop here: a slot is free or there is room to wait.
        if order is None or state.service.pipeline.admission.refusal(order.owner) is None:
            await self._inner(scope, receive, send)
            return
        assert headers.content_length is not None  # checked by bound_order
        messages, whole = await _read_body(receive, headers.content_length)
        refused = None
        if whole:
            body = b"".join(m.get("body", b"") for m in messages)  # type: ignore[misc]
            refused = refusal_for(state, order, body)
        if refused is None:
            await self._inner(scope, _Replay(messages, receive), send)
            return
        await self._refuse(state, scope, headers, order, refused, started, receive, send)

    async def _refuse(
        self,
        state: AppState,
        scope: HTTPScope,
        headers: RefusalHeaders,
        order: RenderOrder,
        refused: RenderQueueFull,
        started: float,
        receive: ASGIReceiveCallable,
        send: ASGISendCallable,
    ) -> None:
        incoming = headers.request_id.decode("latin-1") if headers.request_id else None
        request_id = choose_request_id(incoming)
        request_id_var.set(request_id)
        if not await _pause_unless_gone(state, receive):
            return
        close = scope["http_version"] in ("1.0", "1.1")
        body, answer = refusal_answer(state, headers, refused, request_id, close=close)
        await send({"type": "http.response.start", "status": refused.status, "headers": answer})
        await send({"type": "http.response.body", "body": body, "more_body": False})
        count_refusal(state, self._log, order, refused, trio.current_time() - started)


async def _pause_unless_gone(state: AppState, receive: ASGIReceiveCallable) -> bool:
    """The refusal's pause (:class:`server.tarpit.Tarpit`), cut short if the client goes
    away; whether it is still there to be answered."""
    with state.refusals.holding() as pause_s, trio.move_on_after(pause_s):
        if pause_s <= 0:
            return True
        while (await receive())["type"] != "http.disconnect":
            pass
        return False  # the client is gone
    return True


async def _read_body(
    receive: ASGIReceiveCallable, length: int
) -> tuple[list[ASGIReceiveEvent], bool]:
    """The body's messages as they came, and whether they hold the whole body (``length``
    bytes) with nothing else: a disconnect, a slow body or a wrong length is Quart's to answer."""
    messages: list[ASGIReceiveEvent] = []
    size = 0
    with trio.move_on_after(BODY_WAIT_S):
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                return messages, False
            size += len(message.get("body", b""))
            if size > length:
                return messages, False
            if not message.get("more_body", False):
                return messages, size == length
    return messages, False

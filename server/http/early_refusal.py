"""Renders refused for load before Quart's request machinery runs.

Under overload most render requests are refused (429), and a client that ignores
``Retry-After`` asks again at once: answered through Quart (request object, hooks, the error
handler, the response object), each refusal cost more server CPU than a ``/healthz``, taken from
the TeX runs everyone is waiting for. This ASGI layer sits in front of Quart and answers the
renders that are bound to be refused itself, from the queue's state and the raw headers, with
the same problem body and headers as the long way, plus ``Connection: close`` so a client that
hammers pays a new connection for its next try.

It refuses only a request the long way would surely refuse too: ``POST /v1/render/<template>``
of a known template, with no query string, no ``If-None-Match``, no ``Prefer``, a JSON media
type and a ``Content-Length`` within the limit (so no 400, 404, 412, 413 or 415 would come
first), from an owner known without a database read (auth off, or a key checked moments ago:
a 401 comes first otherwise), when admission would refuse that owner now
(:meth:`rendering.Pipeline.refusal_at_door`) and the body, read here, is not one rendered
before (its PDF may be cached: those go the long way, which serves them). Anything else goes
on to Quart untouched, its body replayed. Metrics count every early refusal; the access log
gets at most one line a second for them, saying how many it stands for.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import trio
from hypercorn.typing import (
    ASGIReceiveCallable,
    ASGIReceiveEvent,
    ASGISendCallable,
    HTTPScope,
)

from rendering import RenderError, RenderOrder, RenderQueueFull

from ..state import EXTENSION_KEY, AppState
from ..store.keys import KeyRefused
from .auth import IGNORED_KEY, LOCAL_OWNER, WARNING_HEADER, bearer_token
from .media import PROBLEM_JSON, is_json
from .problems import problem_body
from .request_id import HEADER, choose_request_id, request_id_var

ROUTE = "/v1/render/<template>"
_PREFIX = "/v1/render/"
# Headers whose presence sends a request the long way: each can change its answer.
_LONG_WAY = frozenset({b"if-none-match", b"prefer", b"transfer-encoding"})
# The body is read here for at most this long; a slower one goes on to Quart (its own limit).
BODY_WAIT_S = 1.0
REFUSAL_LOG_EVERY_S = 1.0
access_log = logging.getLogger("texrender.access")

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


@dataclass
class _Headers:
    owner_header: bytes | None = None
    request_id: bytes | None = None
    content_type: bytes | None = None
    content_length: int | None = None
    long_way: bool = False


def _headers(scope: HTTPScope) -> _Headers:
    """The headers the decision needs; ``long_way`` when one of them is there twice, or one
    is there that can change the answer (the long way reads the first of a repeated header:
    rather than guess which, such a request goes there)."""
    found = _Headers()
    for name, value in scope["headers"]:
        if name in _LONG_WAY:
            found.long_way = True
        elif name == b"authorization":
            found.long_way |= found.owner_header is not None
            found.owner_header = value
        elif name == b"content-type":
            found.long_way |= found.content_type is not None
            found.content_type = value
        elif name == b"content-length":
            # Repeated or odd: Hypercorn or Quart will say what is wrong with it.
            found.long_way |= found.content_length is not None or not value.isdigit()
            found.content_length = int(value) if value.isdigit() else None
        elif name == b"x-request-id" and found.request_id is None:
            found.request_id = value
    return found


def _media_type(content_type: bytes) -> str:
    return content_type.split(b";", 1)[0].strip().lower().decode("latin-1")


class EarlyRefusal:
    """The ASGI layer: refuses what is bound to be refused, passes the rest to ``inner``."""

    def __init__(self, extensions: dict[str, object], inner: Inner) -> None:
        self._extensions = extensions
        self._inner = inner
        self._log = RefusalLog()

    async def __call__(
        self, scope: HTTPScope, receive: ASGIReceiveCallable, send: ASGISendCallable
    ) -> None:
        state = self._extensions.get(EXTENSION_KEY)
        if (
            not isinstance(state, AppState)
            or scope["method"] != "POST"
            or not scope["path"].startswith(_PREFIX)
            or scope["query_string"]
            or state.draining
        ):
            await self._inner(scope, receive, send)
            return
        started = trio.current_time()
        headers = _headers(scope)
        order = self._order(state, scope, headers)
        # Most requests stop here: a slot is free or there is room to wait.
        if order is None or state.service.pipeline.admission.refusal(order.owner) is None:
            await self._inner(scope, receive, send)
            return
        assert headers.content_length is not None  # checked by _order
        messages, whole = await _read_body(receive, headers.content_length)
        refused = None
        if whole:
            body = b"".join(m.get("body", b"") for m in messages)  # type: ignore[misc]
            refused = _refusal(state, dataclasses.replace(order, identity=body))
        if refused is None:
            await self._inner(scope, _Replay(messages, receive), send)
            return
        await self._refuse(state, scope, headers, order, refused, started, receive, send)

    @staticmethod
    def _order(state: AppState, scope: HTTPScope, headers: _Headers) -> RenderOrder | None:
        """The order the long way would make, if nothing but load could stop it first."""
        template = scope["path"][len(_PREFIX) :]
        if not template or "/" in template or headers.long_way:
            return None
        length = headers.content_length
        if length is None or length > state.settings.max_body_bytes:
            return None
        if headers.content_type is None or not is_json(_media_type(headers.content_type)):
            return None
        if state.settings.auth == "off":
            owner = LOCAL_OWNER
        else:
            if headers.owner_header is None:
                return None
            try:
                token = bearer_token(headers.owner_header.decode("latin-1"))
            except KeyRefused:
                return None
            key = state.keys.remembered(token)
            if key is None:
                return None
            owner = key.owner
        return RenderOrder(template, _unread, owner=owner)

    async def _refuse(
        self,
        state: AppState,
        scope: HTTPScope,
        headers: _Headers,
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
        body = problem_body(refused.status, refused.type, refused.title, refused.detail, request_id)
        answer = [
            (b"content-type", PROBLEM_JSON.encode()),
            (b"content-length", str(len(body)).encode()),
            (b"retry-after", str(refused.retry_after_s).encode()),
            (HEADER.lower().encode(), request_id.encode()),
            (b"x-content-type-options", b"nosniff"),
        ]
        if state.settings.auth == "off" and headers.owner_header is not None:
            answer.append((WARNING_HEADER.lower().encode(), IGNORED_KEY.encode()))
        if scope["http_version"] in ("1.0", "1.1"):
            answer.append((b"connection", b"close"))
        await send({"type": "http.response.start", "status": refused.status, "headers": answer})
        await send({"type": "http.response.body", "body": body, "more_body": False})
        elapsed = trio.current_time() - started
        metrics = state.metrics
        metrics.http_requests.labels(ROUTE, "POST", str(refused.status)).inc()
        metrics.http_duration.labels(ROUTE).observe(elapsed)
        metrics.early_refusals.labels(refused.type).inc()
        self._log.note(
            {
                "route": ROUTE,
                "method": "POST",
                "status": refused.status,
                "duration_ms": round(elapsed * 1000, 2),
                "owner": order.owner,
                "template": order.template,
                "outcome": refused.outcome.value,
            }
        )


class RefusalLog:
    """Access lines for early refusals, at most one every ``every_s``: a flood of 429s would
    otherwise fill the log with lines that say nothing new, each one paid for in CPU. A line
    stands for itself and the refusals not written since the last one (``refusals``); the
    metrics count every one."""

    def __init__(self, every_s: float = REFUSAL_LOG_EVERY_S) -> None:
        self.every_s = every_s
        self._next = float("-inf")
        self._unwritten = 0

    def note(self, fields: dict[str, object]) -> None:
        self._unwritten += 1
        now = trio.current_time()
        if now < self._next:
            return
        self._next = now + self.every_s
        access_log.info("request", extra={**fields, "early": True, "refusals": self._unwritten})
        self._unwritten = 0


async def _pause_unless_gone(state: AppState, receive: ASGIReceiveCallable) -> bool:
    """The refusal's pause (:class:`server.tarpit.Tarpit`), cut short if the client goes
    away; whether it is still there to be answered."""
    if not state.refusals.holds:
        return True
    gone = False

    async def watch(scope: trio.CancelScope) -> None:
        nonlocal gone
        while (await receive())["type"] != "http.disconnect":
            pass
        gone = True
        scope.cancel()

    async with trio.open_nursery() as nursery:
        nursery.start_soon(watch, nursery.cancel_scope)
        await state.refusals.pause()
        nursery.cancel_scope.cancel()
    return not gone


def _refusal(state: AppState, order: RenderOrder) -> RenderQueueFull | None:
    try:
        return state.service.pipeline.refusal_at_door(order)
    except RenderError:
        return None  # no such template: the long way says 404


def _unread() -> object:
    raise AssertionError("the early refusal never reads the data")


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

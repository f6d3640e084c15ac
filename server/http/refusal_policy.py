"""Which renders are bound to be refused for load, what such a refusal says, and how it is
counted: shared by the two places that answer one before Quart's request machinery runs, the
ASGI layer (:mod:`server.http.early_refusal`) and the door in front of Hypercorn
(:mod:`server.serving.door`).

A request is refused early only if the long way would surely refuse it too: ``POST
/v1/render/<template>`` of a known template, with no query string, no ``If-None-Match``, no
``Prefer``, a JSON media type and a ``Content-Length`` within the limit (so no 400, 404, 412,
413 or 415 would come first), from an owner known without a database read (auth off, or a key
checked moments ago: a 401 comes first otherwise), when admission would refuse that owner now
(:meth:`rendering.Pipeline.refusal_at_door`) and the body is not one rendered before (its PDF
may be cached: those go the long way, which serves them). The answer has the long way's body
and headers, plus ``Connection: close`` so a client that hammers pays a new connection for its
next try. Metrics count every early refusal; the access log gets at most one line a second for
them, saying how many it stands for.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass

import trio

from rendering import RenderError, RenderOrder, RenderQueueFull

from ..state import AppState
from ..store.keys import KeyRefused
from .auth import IGNORED_KEY, LOCAL_OWNER, WARNING_HEADER, bearer_token
from .media import PROBLEM_JSON, is_json
from .problems import problem_body
from .request_id import HEADER

ROUTE = "/v1/render/<template>"
PREFIX = "/v1/render/"
# Headers whose presence sends a request the long way: each can change its answer.
_LONG_WAY = frozenset({b"if-none-match", b"prefer", b"transfer-encoding"})
REFUSAL_LOG_EVERY_S = 1.0
_LOG_KEY = "texrender.refusal_log"
_REQUEST_ID_HEADER = HEADER.lower().encode()
_WARNING_HEADER = WARNING_HEADER.lower().encode()
access_log = logging.getLogger("texrender.access")


@dataclass
class RefusalHeaders:
    """The headers the decision needs; ``long_way`` when one of them is there twice, or one
    is there that can change the answer (the long way reads the first of a repeated header:
    rather than guess which, such a request goes there)."""

    owner_header: bytes | None = None
    request_id: bytes | None = None
    content_type: bytes | None = None
    content_length: int | None = None
    long_way: bool = False


def refusal_headers(
    headers: Iterable[tuple[bytes, bytes]], long_way: frozenset[bytes] = _LONG_WAY
) -> RefusalHeaders:
    """:class:`RefusalHeaders` of lower-cased header lines; any name in ``long_way`` sends the
    request the long way."""
    found = RefusalHeaders()
    for name, value in headers:
        if name in long_way:
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


def may_refuse(state: AppState) -> bool:
    """Whether admission could refuse a render now: with keys off, the one owner there is;
    with keys on, anyone (all slots busy, or someone waiting). Cheap: asked before a
    request's headers are looked at."""
    admission = state.service.pipeline.admission
    if state.draining:
        return False
    if state.settings.auth == "off":
        return admission.refusal(LOCAL_OWNER) is not None
    stats = admission.statistics()
    return stats.busy >= stats.slots or bool(stats.owners_waiting)


def bound_order(state: AppState, path: str, headers: RefusalHeaders) -> RenderOrder | None:
    """The order the long way would make of a ``POST`` to ``path`` with no query string, if
    nothing but load could stop it first; None otherwise."""
    if not path.startswith(PREFIX):
        return None
    template = path[len(PREFIX) :]
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


def refusal_for(state: AppState, order: RenderOrder, body: bytes) -> RenderQueueFull | None:
    """The refusal admission gives ``order`` with this body now (counted as that render's
    outcome), or None: a slot or room to wait, a body rendered before, or no such template."""
    try:
        return state.service.pipeline.refusal_at_door(dataclasses.replace(order, identity=body))
    except RenderError:
        return None  # no such template: the long way says 404


def refusal_answer(
    state: AppState,
    headers: RefusalHeaders,
    refused: RenderQueueFull,
    request_id: str,
    *,
    close: bool,
) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    """The refusal's body and header lines, as the long way would send them (the HTTP
    server's own, such as ``date``, aside), with ``Connection: close`` if ``close``."""
    body = problem_body(refused.status, refused.type, refused.title, refused.detail, request_id)
    answer = [
        (b"content-type", PROBLEM_JSON.encode()),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(refused.retry_after_s).encode()),
        (_REQUEST_ID_HEADER, request_id.encode()),
        (b"x-content-type-options", b"nosniff"),
    ]
    if state.settings.auth == "off" and headers.owner_header is not None:
        answer.append((_WARNING_HEADER, IGNORED_KEY.encode()))
    if close:
        answer.append((b"connection", b"close"))
    return body, answer


def count_refusal(
    state: AppState,
    log: RefusalLog,
    order: RenderOrder,
    refused: RenderQueueFull,
    elapsed_s: float,
) -> None:
    """Count an early refusal in the metrics and the access log, as the long way would."""
    metrics = state.metrics
    metrics.http_requests.labels(ROUTE, "POST", str(refused.status)).inc()
    metrics.http_duration.labels(ROUTE).observe(elapsed_s)
    metrics.early_refusals.labels(refused.type).inc()
    log.note(
        {
            "route": ROUTE,
            "method": "POST",
            "status": refused.status,
            "duration_ms": round(elapsed_s * 1000, 2),
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


def refusal_log(extensions: MutableMapping[str, object]) -> RefusalLog:
    """The app's one :class:`RefusalLog` (made on first use), shared by both early ways, so
    the log's one line a second holds for both."""
    log = extensions.setdefault(_LOG_KEY, RefusalLog())
    assert isinstance(log, RefusalLog)
    return log


def _media_type(content_type: bytes) -> str:
    return content_type.split(b";", 1)[0].strip().lower().decode("latin-1")


def _unread() -> object:
    raise AssertionError("the early refusal never reads the data")

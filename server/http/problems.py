"""RFC 9457 problem+json responses, one mapping for every error the server can give.

Render errors carry their own status and type (see :mod:`rendering.errors`); so do the request
errors defined here (bad JSON, wrong media type), which are kept apart from them because no
render was attempted. Werkzeug's HTTP errors (body too large, unknown route, wrong method) get a
type from their status. Anything else is a bug: it is logged with its traceback and answered
with a bare 500 that reveals nothing.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from typing import Any, ClassVar

from quart import Response, current_app, request
from werkzeug.exceptions import HTTPException

from rendering import InvalidData, RenderError, RenderQueueFull, TexError

from ..settings import env_name
from ..state import app_state
from ..store import (
    DocumentNotFound,
    DocumentQuotaExceeded,
    IdempotencyKeyReused,
    InvalidCursor,
    RevisionMismatch,
    StoreError,
    StoreUnavailable,
)
from .media import JSON, PROBLEM_JSON
from .record import current_request_id, find_record
from .revisions import at_revision

TYPE_PREFIX = "/problems/"
log = logging.getLogger("texrender.problems")


class RequestError(Exception):
    """The request itself is unusable (found before any rendering); says how to report it."""

    status: ClassVar[int] = 400
    type: ClassVar[str] = "bad-request"
    title: ClassVar[str] = "Bad request"
    retry_after_s: ClassVar[int | None] = None
    # The connection cannot be trusted past this request (its framing is in doubt).
    close_connection: ClassVar[bool] = False

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail

    def headers(self) -> dict[str, str]:
        """Headers the answer must carry (a challenge, say)."""
        return {}


class InvalidJson(RequestError):
    status = 400
    type = "invalid-json"
    title = "The body is not valid JSON"


class NestedTooDeep(RequestError):
    status = 400
    type = "nesting-too-deep"
    title = "The body nests arrays and objects too deeply"


class PreconditionFailed(RequestError):
    status = 412
    type = "precondition-failed"
    title = "A precondition of the request does not hold"


class AmbiguousLength(RequestError):
    status = 400
    type = "ambiguous-length"
    title = "The request gives both Content-Length and Transfer-Encoding"
    close_connection = True


class InvalidParameter(RequestError):
    status = 400
    type = "invalid-parameter"
    title = "A query parameter has a value that cannot be used"


class DocumentTooLarge(RequestError):
    status = 413
    type = "document-too-large"
    title = "The document is larger than a stored document may be"


class UnsupportedMediaType(RequestError):
    status = 415
    type = "unsupported-media-type"
    title = f"The body must be {JSON}"


_HTTP_TYPES = {
    404: "not-found",
    405: "method-not-allowed",
    408: "body-timeout",
    413: "body-too-large",
}
_UNREAD_BODY = frozenset({408, 413})


def problem(
    status: int,
    type_: str,
    title: str,
    detail: str,
    *,
    retry_after_s: int | None = None,
    **extra: Any,
) -> Response:
    body = problem_body(status, type_, title, detail, current_request_id(), **extra)
    response = Response(body, status=status, content_type=PROBLEM_JSON)
    if retry_after_s is not None:
        response.headers["Retry-After"] = str(retry_after_s)
    return response


def problem_body(
    status: int, type_: str, title: str, detail: str, request_id: str, **extra: Any
) -> bytes:
    """A problem+json body (RFC 9457), with the request's id."""
    body = {
        "type": TYPE_PREFIX + type_,
        "title": title,
        "status": status,
        "detail": detail,
        "request_id": request_id,
        **extra,
    }
    return _dumps(body)


def _dumps(body: dict[str, Any]) -> bytes:
    # A lone surrogate (JSON allows "\ud800" in a key or value) cannot be encoded as UTF-8;
    # backslashreplace writes it as the very JSON escape it came in as.
    return json.dumps(body, ensure_ascii=False).encode("utf-8", errors="backslashreplace")


async def render_error(error: RenderError, **more: Any) -> Response:
    """The problem for a render error; ``more`` adds members (the dry run adds ``data``)."""
    extra: dict[str, Any] = {}
    if isinstance(error, InvalidData):
        extra["errors"] = [asdict(e) for e in error.errors]
        record = find_record()
        if record is not None and record.warnings:
            extra["warnings"] = [asdict(w) for w in record.warnings]
    if isinstance(error, TexError):
        extra["tex"] = asdict(error.tex)
        record = find_record()
        if record is not None:
            record.tex_error = f"{error.tex.message} (line {error.tex.line})"
    level = logging.ERROR if error.status >= 500 and error.status != 503 else logging.INFO
    log.log(level, "render failed: %s", error.type, extra={"status": error.status})
    if isinstance(error, RenderQueueFull):
        await app_state().refusals.pause()
    return problem(
        error.status,
        error.type,
        error.title,
        error.detail,
        retry_after_s=error.retry_after_s,
        **extra,
        **more,
    )


async def request_error(error: RequestError) -> Response:
    log.info("bad request: %s", error.type, extra={"status": error.status})
    response = problem(error.status, error.type, error.title, error.detail)
    response.headers.update(error.headers())
    if error.close_connection:
        response.headers["Connection"] = "close"
    return response


async def http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    type_ = _HTTP_TYPES.get(status, f"http-{status}")
    detail = _too_large() if status == 413 else error.description or error.name
    response = problem(status, type_, error.name, detail)
    for name, value in error.get_headers():
        if name.lower() == "allow":
            response.headers["Allow"] = value
    if status in _UNREAD_BODY:
        # The rest of the body is still on its way: the connection cannot carry another request.
        response.headers["Connection"] = "close"
    return response


def _too_large() -> str:
    """A 413's detail: the limit and the setting that raises it (werkzeug names neither)."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    sent = request.content_length
    size = f"the body ({sent} bytes) is larger" if sent else "the body is larger"
    return (
        f"{size} than this server takes: {limit} bytes at most "
        f"(the setting {env_name('max_body_bytes')}, or texrender serve --max-body-bytes)"
    )


def _as_request_error(kind: type[RequestError]) -> tuple[int, str, str]:
    return kind.status, kind.type, kind.title


# Store errors as problems: (status, type, title). Anything else a store raises is a bug.
_STORE_PROBLEMS: dict[type[StoreError], tuple[int, str, str]] = {
    DocumentNotFound: (404, "document-not-found", "No such document"),
    RevisionMismatch: _as_request_error(PreconditionFailed),
    DocumentQuotaExceeded: (409, "document-quota-exceeded", "No room for another document"),
    InvalidCursor: _as_request_error(InvalidParameter),
    StoreUnavailable: (503, "store-unavailable", "The document store cannot answer now"),
    IdempotencyKeyReused: (
        422,
        "idempotency-key-reused",
        "The Idempotency-Key was used before for another request",
    ),
}
STORE_RETRY_AFTER_S = 1


async def store_error(error: StoreError) -> Response:
    found = _STORE_PROBLEMS.get(type(error))
    if found is None:
        return await unexpected(error)
    status, type_, title = found
    if isinstance(error, DocumentNotFound):
        # The same words whether the id exists for someone else or not at all.
        detail = "there is no such document among yours"
    elif isinstance(error, RevisionMismatch):
        detail = at_revision(error.current)
    else:
        detail = str(error)
    if isinstance(error, StoreUnavailable):
        log.warning("document store unavailable: %s", error)
        return problem(status, type_, title, detail, retry_after_s=STORE_RETRY_AFTER_S)
    log.info("document request refused: %s", type_, extra={"status": status})
    return problem(status, type_, title, detail)


async def unexpected(error: Exception) -> Response:
    log.exception("unhandled error", exc_info=error)
    # A bug answers as a render bug does: RenderError's own status, type and title.
    return problem(
        RenderError.status, RenderError.type, RenderError.title, "an unexpected error occurred"
    )

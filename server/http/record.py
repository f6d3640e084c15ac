"""One typed record per request: its id, when it started, and what the render made of it.

Views and error handlers fill it in as the request goes; the access log line and the problem
bodies read it. It lives in Quart's request context (``g``) under one key, reached only through
:func:`current_record`, so no module depends on loose, untyped ``g`` attributes.
"""

from __future__ import annotations

from dataclasses import dataclass

import trio
from quart import Response, current_app, g, request

from rendering import Outcome, ReadWarning, warnings_header

from ..state import EXTENSION_KEY
from .request_id import HEADER, choose_request_id, request_id_var

_KEY = "texrender_record"


@dataclass
class RequestRecord:
    request_id: str
    started: float  # trio.current_time() when the request arrived
    owner: str | None = None  # whose request it is (set by server.http.auth)
    template: str | None = None
    engine: str | None = None  # the Unicode path's engine, when it set the document
    outcome: Outcome | None = None
    tex_error: str | None = None  # TeX's message and line, when TeX failed
    warnings: tuple[ReadWarning, ...] = ()  # what reading the data changed


def find_record() -> RequestRecord | None:
    """This request's record; None outside a request, or before :func:`open_record` ran."""
    record: RequestRecord | None = g.get(_KEY)
    return record


def current_record() -> RequestRecord:
    """This request's record, for views (:func:`open_record` runs before every view)."""
    record = find_record()
    if record is None:
        raise RuntimeError("no request record: open_record did not run")
    return record


def current_request_id() -> str:
    record = find_record()
    return record.request_id if record is not None else "-"


async def open_record() -> None:
    """Before each request: choose its id (logs carry it from here on) and start its clock."""
    record = RequestRecord(choose_request_id(request.headers.get(HEADER)), trio.current_time())
    setattr(g, _KEY, record)
    request_id_var.set(record.request_id)


WARNINGS_HEADER = "X-Render-Warnings"


async def stamp_response(response: Response) -> Response:
    """After each request: the request id, and what reading the data changed, if anything."""
    response.headers[HEADER] = current_request_id()
    state = current_app.extensions.get(EXTENSION_KEY)
    if state is not None and state.draining:
        # Shutting down: this connection takes no further request (RFC 9112 9.6).
        response.headers["Connection"] = "close"
    record = find_record()
    if record is not None and record.warnings:
        response.headers[WARNINGS_HEADER] = warnings_header(record.warnings)
    return response

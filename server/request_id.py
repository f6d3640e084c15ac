"""Request ids: taken from ``X-Request-ID`` when it is short and safe, otherwise generated."""

from __future__ import annotations

import re
import uuid

from quart import Response, g, request

from .logs import request_id_var

HEADER = "X-Request-ID"
_SAFE = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def choose_request_id(incoming: str | None) -> str:
    """The incoming id if it is 1-64 safe characters, else a fresh random one."""
    if incoming and _SAFE.match(incoming):
        return incoming
    return uuid.uuid4().hex


def current_request_id() -> str:
    rid: str | None = g.get("request_id")
    return rid or "-"


async def assign_request_id() -> None:
    g.request_id = choose_request_id(request.headers.get(HEADER))
    request_id_var.set(g.request_id)


async def echo_request_id(response: Response) -> Response:
    response.headers[HEADER] = current_request_id()
    return response

"""Request ids: taken from ``X-Request-ID`` when it is short and safe, otherwise generated;
and the id of the request being served, which every log line carries."""

from __future__ import annotations

import contextvars
import re
import uuid

HEADER = "X-Request-ID"
request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_SAFE = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def choose_request_id(incoming: str | None) -> str:
    """The incoming id if it is 1-64 safe characters, else a fresh random one."""
    if incoming and _SAFE.match(incoming):
        return incoming
    return uuid.uuid4().hex

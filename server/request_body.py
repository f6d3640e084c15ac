"""Reading a request: its JSON body, and whether it asks for strict reading."""

from __future__ import annotations

import json
from typing import Any

from quart import request

from .problems import InvalidJson, InvalidParameter, UnsupportedMediaType

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


async def read_json_body() -> Any:
    """The request body parsed as JSON.

    Raises:
        UnsupportedMediaType: the content type is not JSON.
        InvalidJson: the body does not parse (NaN and Infinity included: not JSON).
        RequestEntityTooLarge: (from Quart) the body exceeds ``max_body_bytes``.
    """
    mimetype = request.mimetype
    if mimetype != "application/json" and not mimetype.endswith("+json"):
        shown = mimetype or "none"
        raise UnsupportedMediaType(f"content type is {shown!r}; send application/json")
    body = await request.get_data(cache=False, as_text=False)
    try:
        return json.loads(body, parse_constant=_reject_constant)
    except ValueError as exc:
        raise InvalidJson(f"the body is not valid JSON: {exc}") from None


def wants_strict() -> bool:
    """Whether the data is to be read strictly: ``?strict=true``, or ``Prefer: handling=strict``
    (RFC 7240). Lenient reading is the default; ``?strict=false`` or ``handling=lenient`` say so.

    Raises:
        InvalidParameter: ``strict`` has a value that is not a yes or a no.
    """
    raw = request.args.get("strict")
    if raw is not None:
        value = raw.strip().lower()
        if value in _TRUE or value == "":
            return True
        if value in _FALSE:
            return False
        raise InvalidParameter("strict must be true or false")
    for preference in request.headers.get_all("Prefer"):
        for token in preference.split(","):
            name, _, value = token.strip().partition("=")
            if name.strip().lower() == "handling":
                return value.strip().strip('"').lower() == "strict"
    return False

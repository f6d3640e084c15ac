"""``POST /v1/render/<template>``: JSON data in, PDF out."""

from __future__ import annotations

import json
import logging
from typing import Any

from quart import Blueprint, Response, g, request

from rendering.observer import Outcome
from rendering.renderer import RenderResult, classify

from ..problems import InvalidJson, UnsupportedMediaType
from ..state import app_state

blueprint = Blueprint("render", __name__)
log = logging.getLogger("texrender.render")


@blueprint.post("/v1/render/<template>")
async def render(template: str) -> Response:
    data = await read_json_body()
    g.template = template
    state = app_state()
    key = state.renderer.key_for(template, data)
    etag = etag_for(key)
    if etag_matches(request.headers.get("If-None-Match"), etag):
        # Output is deterministic: the client's copy is this document. No TeX, no cache read.
        g.outcome = Outcome.CACHED.value
        state.renderer.observer.finished(template, Outcome.CACHED)
        return Response(b"", status=304, headers={"ETag": etag, "Cache-Control": "no-cache"})
    try:
        result = await state.renderer.render(template, data, key)
    except BaseException as exc:
        g.outcome = classify(exc).value
        if g.outcome == Outcome.CANCELLED:
            log.info("request cancelled: the client went away", extra={"template": template})
        raise
    g.outcome = (Outcome.CACHED if result.cached else Outcome.OK).value
    return pdf_response(template, result, etag)


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


def etag_for(key: str) -> str:
    """A weak validator from the render key: renders of the same input are the same document
    (byte-identical from the same start; from a format or not, they may differ in bytes)."""
    return f'W/"{key[:32]}"'


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Weak comparison, as RFC 9110 asks for If-None-Match."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    opaque = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == opaque for tag in if_none_match.split(","))


def server_timing(result: RenderResult) -> str:
    if result.cached:
        parts = {"cache": result.total_s, "total": result.total_s}
    else:
        parts = {
            "template": result.template_s,
            "queue": result.queue_s,
            "tex": result.tex_s,
            "total": result.total_s,
        }
    return ", ".join(f"{name};dur={seconds * 1000:.1f}" for name, seconds in parts.items())


def pdf_response(template: str, result: RenderResult, etag: str) -> Response:
    headers = {
        "ETag": etag,
        "Server-Timing": server_timing(result),
        "Cache-Control": "no-cache",
        # Template names are [a-z0-9-] (checked by the catalogue): the filename is always safe.
        "Content-Disposition": f'inline; filename="{template}.pdf"',
    }
    return Response(result.pdf, status=200, content_type="application/pdf", headers=headers)

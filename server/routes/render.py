"""``POST /v1/render/<template>``: JSON data in, PDF out."""

from __future__ import annotations

import json
import logging
from typing import Any

from quart import Blueprint, Response, request

from rendering.errors import outcome_of
from rendering.observer import Outcome
from rendering.renderer import RenderResult

from ..problems import InvalidJson, UnsupportedMediaType
from ..record import current_record
from ..state import app_state

blueprint = Blueprint("render", __name__)
log = logging.getLogger("texrender.render")


@blueprint.post("/v1/render/<template>")
async def render(template: str) -> Response:
    data = await read_json_body()
    record = current_record()
    record.template = template
    renderer = app_state().service.renderer
    key = renderer.key_for(template, data)
    tag = etag_for(key)
    if request.if_none_match.contains_weak(tag):
        # Output is deterministic: the client's copy is this document. No TeX, no cache read.
        record.outcome = Outcome.CACHED
        renderer.observer.finished(template, Outcome.CACHED)
        response = Response(b"", status=304, headers={"Cache-Control": "no-cache"})
        response.set_etag(tag, weak=True)
        return response
    try:
        result = await renderer.render(template, data, key)
    except BaseException as exc:
        record.outcome = outcome_of(exc)
        if record.outcome is Outcome.CANCELLED:
            log.info("request cancelled: the client went away", extra={"template": template})
        raise
    record.outcome = Outcome.CACHED if result.cached else Outcome.OK
    return pdf_response(template, result, tag)


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
    """The opaque part of a weak validator, from the render key: renders of the same input are
    the same document (byte-identical from the same start; from a format or not, they may
    differ in bytes, hence weak)."""
    return key[:32]


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


def pdf_response(template: str, result: RenderResult, tag: str) -> Response:
    headers = {
        "Server-Timing": server_timing(result),
        "Cache-Control": "no-cache",
        # Template names are [a-z0-9-] (checked by the catalogue): the filename is always safe.
        "Content-Disposition": f'inline; filename="{template}.pdf"',
    }
    response = Response(result.pdf, status=200, content_type="application/pdf", headers=headers)
    response.set_etag(tag, weak=True)
    return response

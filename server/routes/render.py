"""``POST /v1/render/<template>``: JSON data in, PDF out."""

from __future__ import annotations

import hashlib
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
    try:
        result = await app_state().renderer.render(template, data)
    except BaseException as exc:
        g.outcome = classify(exc).value
        if g.outcome == Outcome.CANCELLED:
            log.info("request cancelled: the client went away", extra={"template": template})
        raise
    g.outcome = Outcome.OK.value
    return pdf_response(template, result, request.headers.get("If-None-Match"))


async def read_json_body() -> Any:
    """The request body parsed as JSON.

    Raises:
        UnsupportedMediaType: the content type is not JSON.
        InvalidJson: the body does not parse.
        RequestEntityTooLarge: (from Quart) the body exceeds ``max_body_bytes``.
    """
    mimetype = request.mimetype
    if mimetype != "application/json" and not mimetype.endswith("+json"):
        shown = mimetype or "none"
        raise UnsupportedMediaType(f"content type is {shown!r}; send application/json")
    body = await request.get_data(cache=False, as_text=False)
    try:
        return json.loads(body)
    except ValueError as exc:
        raise InvalidJson(f"the body is not valid JSON: {exc}") from None


def etag_for(pdf: bytes) -> str:
    return '"' + hashlib.sha256(pdf).hexdigest()[:32] + '"'


def server_timing(result: RenderResult) -> str:
    parts = {
        "template": result.template_s,
        "queue": result.queue_s,
        "tex": result.tex_s,
        "total": result.total_s,
    }
    return ", ".join(f"{name};dur={seconds * 1000:.1f}" for name, seconds in parts.items())


def pdf_response(template: str, result: RenderResult, if_none_match: str | None) -> Response:
    etag = etag_for(result.pdf)
    headers = {
        "ETag": etag,
        "Server-Timing": server_timing(result),
        "Cache-Control": "no-cache",
    }
    if if_none_match and etag in (tag.strip() for tag in if_none_match.split(",")):
        return Response(b"", status=304, headers=headers)
    response = Response(result.pdf, status=200, content_type="application/pdf", headers=headers)
    # Template names are [a-z0-9-] (checked by the catalogue), so the filename is always safe.
    response.headers["Content-Disposition"] = f'inline; filename="{template}.pdf"'
    return response

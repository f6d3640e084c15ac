"""``POST /v1/render/<template>``: JSON data in, PDF out."""

from __future__ import annotations

from quart import Blueprint, Response

from ..http.body import parse_json, read_body
from ..http.openapi import Operation, describe
from ..http.rendered import (
    PAPER,
    PDF_BODY,
    PICTURE,
    STRICT,
    TAGGED,
    recording,
    render_order,
    rendered_response,
)
from ..state import app_state

blueprint = Blueprint("render", __name__)


@blueprint.post("/v1/render/<template>")
@describe(
    Operation(
        "Render data to a PDF, or one page of it as PNG",
        (200, 304, 404, 412, 422, 429, 503, 504),
        success=PDF_BODY,
        body="data",
        parameters=(STRICT, *PICTURE, PAPER, TAGGED),
        success_headers=("ETag", "Server-Timing", "X-Render-Warnings"),
        description="The data is read leniently (what was changed comes back in "
        "X-Render-Warnings) unless strict reading is asked for, then validated against the "
        "template's schema and typeset. The same data gives the same PDF: send its ETag as "
        "If-None-Match to get a 304. With format=png (or Accept: image/png) the answer is one "
        "page as a PNG picture, cached like the PDF; 404 for a page past the last. The paper "
        "size is the template's usual one for the data unless paper= names one; tagged=true "
        "asks for a tagged PDF.",
    )
)
async def render(template: str) -> Response:
    body = await read_body()
    order = render_order(template, lambda: parse_json(body), body)
    with recording(template):
        rendered = await app_state().service.pipeline.render(order)
    return rendered_response(rendered)

"""``POST /v1/render/<template>``: JSON data in, PDF out."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from quart import Blueprint, Response, request

from rendering.errors import outcome_of
from rendering.observer import Outcome
from rendering.renderer import RenderResult

from ..openapi import PDF, Operation, Parameter, describe
from ..record import current_record
from ..request_body import parse_json, read_body, refuse_star_match, wants_strict
from ..state import app_state

blueprint = Blueprint("render", __name__)
log = logging.getLogger("texrender.render")


STRICT = Parameter(
    "strict",
    "read the data exactly as the schema says: no lenient reading, no warnings",
    {"type": "string", "enum": ["true", "false", "1", "0", "yes", "no", "on", "off", ""]},
)
PDF_BODY = {PDF: {"type": "string", "contentMediaType": PDF}}


@blueprint.post("/v1/render/<template>")
@describe(
    Operation(
        "Render data to a PDF",
        (200, 304, 412, 422, 429, 503, 504),
        success=PDF_BODY,
        body="data",
        parameters=(STRICT,),
        success_headers=("ETag", "Server-Timing", "X-Render-Warnings"),
        description="The data is read leniently (what was changed comes back in "
        "X-Render-Warnings) unless strict reading is asked for, then validated against the "
        "template's schema and typeset. The same data gives the same PDF: send its ETag as "
        "If-None-Match to get a 304.",
    )
)
async def render(template: str) -> Response:
    refuse_star_match()
    body = await read_body()
    return await render_pdf(template, body, lambda: parse_json(body), strict=wants_strict())


async def render_pdf(
    template: str, body: bytes, load: Callable[[], Any], *, strict: bool = False
) -> Response:
    """The PDF response for data that ``body`` identifies (the request body, or a stored
    document's id and revision) and that ``load`` produces when it must be read.

    A body seen before answers from its key (a 304, or the cached PDF) without loading or
    reading anything; otherwise a render that would get no slot in time is refused before any
    of that work is done.
    """
    record = current_record()
    record.template = template
    renderer = app_state().service.renderer
    known = renderer.known_body(template, body, strict=strict)
    if known is not None:
        record.warnings = known.notes
        tag = etag_for(known.key)
        if request.if_none_match.contains_weak(tag):
            return not_modified(template, tag)
        pdf = renderer.cached_pdf(known.key)
        if pdf is not None:
            renderer.served_from_cache(template)
            record.outcome = Outcome.CACHED
            return pdf_response(template, RenderResult.from_cache(pdf, known.key), tag)
    # A render of a key already under way is let in: it joins that render.
    renderer.admit(template, known.key if known is not None else None)
    job = renderer.prepare(template, load(), strict=strict, body=body)
    record.warnings = job.warnings
    tag = etag_for(job.key)
    if request.if_none_match.contains_weak(tag):
        return not_modified(template, tag)
    try:
        result = await renderer.run(job)
    except BaseException as exc:
        record.outcome = outcome_of(exc)
        if record.outcome is Outcome.CANCELLED:
            log.info("request cancelled: the client went away", extra={"template": template})
        raise
    record.outcome = Outcome.CACHED if result.cached else Outcome.OK
    return pdf_response(template, result, tag)


def not_modified(template: str, tag: str) -> Response:
    """Output is deterministic: the client's copy is this document. No TeX, no cache read."""
    current_record().outcome = Outcome.CACHED
    app_state().service.renderer.served_from_cache(template)
    response = Response(b"", status=304, headers={"Cache-Control": "no-cache"})
    response.set_etag(tag, weak=True)
    return response


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

"""``POST /v1/render/<template>``: JSON data in, PDF out."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from typing import Any

import trio
from quart import Blueprint, Response, request

from rendering import (
    DPI_DEFAULT,
    DPI_MAX,
    DPI_MIN,
    PAGE_MAX,
    Outcome,
    PageRequest,
    RenderResult,
    outcome_of,
)

from ..http.body import (
    PDF,
    PNG,
    parse_json,
    read_body,
    refuse_star_match,
    requested_picture,
    wants_strict,
)
from ..http.openapi import Operation, Parameter, describe
from ..http.record import current_record
from ..state import app_state

blueprint = Blueprint("render", __name__)
log = logging.getLogger("texrender.render")


STRICT = Parameter(
    "strict",
    "read the data exactly as the schema says: no lenient reading, no warnings",
    {"type": "string", "enum": ["true", "false", "1", "0", "yes", "no", "on", "off", ""]},
)
PICTURE = (
    Parameter(
        "format",
        "pdf (the default), or png for one page as a picture (or send Accept: image/png)",
        {"type": "string", "enum": ["pdf", "png"]},
    ),
    Parameter(
        "page",
        f"with format=png: which page, from 1 (default 1, at most {PAGE_MAX})",
        {"type": "integer", "minimum": 1, "maximum": PAGE_MAX},
    ),
    Parameter(
        "dpi",
        f"with format=png: resolution ({DPI_MIN} to {DPI_MAX}, default {DPI_DEFAULT})",
        {"type": "integer", "minimum": DPI_MIN, "maximum": DPI_MAX},
    ),
)
PDF_BODY = {
    PDF: {"type": "string", "contentMediaType": PDF},
    PNG: {"type": "string", "contentMediaType": PNG},
}


@blueprint.post("/v1/render/<template>")
@describe(
    Operation(
        "Render data to a PDF, or one page of it as PNG",
        (200, 304, 404, 412, 422, 429, 503, 504),
        success=PDF_BODY,
        body="data",
        parameters=(STRICT, *PICTURE),
        success_headers=("ETag", "Server-Timing", "X-Render-Warnings"),
        description="The data is read leniently (what was changed comes back in "
        "X-Render-Warnings) unless strict reading is asked for, then validated against the "
        "template's schema and typeset. The same data gives the same PDF: send its ETag as "
        "If-None-Match to get a 304. With format=png (or Accept: image/png) the answer is one "
        "page as a PNG picture, cached like the PDF; 404 for a page past the last.",
    )
)
async def render(template: str) -> Response:
    refuse_star_match()
    picture = requested_picture()
    body = await read_body()
    return await render_pdf(
        template, body, lambda: parse_json(body), strict=wants_strict(), picture=picture
    )


async def render_pdf(
    template: str,
    body: bytes,
    load: Callable[[], Any],
    *,
    strict: bool = False,
    picture: PageRequest | None = None,
) -> Response:
    """The PDF (or, with ``picture``, one page of it as PNG) for data that ``body`` identifies
    (the request body, or a stored document's id and revision) and that ``load`` produces when
    it must be read.

    A body seen before answers from its key (a 304, or the cached PDF) without loading or
    reading anything; otherwise a render that would get no slot in time is refused before any
    of that work is done.
    """
    record = current_record()
    record.template = template
    renderer = app_state().service.renderer
    known = renderer.known_body(template, body, strict=strict)
    if known is not None:
        record.warnings = (*known.notes, *renderer.layout_notes(known.key))
        tag = etag_for(known.key, picture)
        if request.if_none_match.contains_weak(tag):
            return not_modified(template, tag)
        cache_key = known.key if picture is None else renderer.picture_key(known.key, picture)
        cached = renderer.cached_pdf(cache_key)
        if cached is not None:
            renderer.served_from_cache(template)
            record.outcome = Outcome.CACHED
            result = RenderResult.from_cache(cached, known.key)
            return file_response(template, result, tag, picture)
    # A render of a key already under way is let in: it joins that render.
    renderer.admit(template, known.key if known is not None else None)
    job = renderer.prepare(template, load(), strict=strict, body=body)
    record.warnings = job.warnings
    tag = etag_for(job.key, picture)
    if request.if_none_match.contains_weak(tag):
        return not_modified(template, tag)
    try:
        result = await renderer.run(job)
        if picture is not None:
            started = trio.current_time()
            png = await renderer.page_png(result.key, result.pdf, picture)
            result = dataclasses.replace(
                result, pdf=png, total_s=result.total_s + trio.current_time() - started
            )
    except BaseException as exc:
        record.outcome = outcome_of(exc)
        if record.outcome is Outcome.CANCELLED:
            log.info("request cancelled: the client went away", extra={"template": template})
        raise
    record.outcome = Outcome.CACHED if result.cached else Outcome.OK
    record.warnings = (*job.warnings, *result.notes)
    record.engine = result.engine or None
    return file_response(template, result, tag, picture)


def not_modified(template: str, tag: str) -> Response:
    """Output is deterministic: the client's copy is this document. No TeX, no cache read."""
    current_record().outcome = Outcome.CACHED
    app_state().service.renderer.served_from_cache(template)
    response = Response(b"", status=304, headers={"Cache-Control": "no-cache"})
    response.set_etag(tag, weak=True)
    return response


def etag_for(key: str, picture: PageRequest | None = None) -> str:
    """The opaque part of a weak validator, from the render key: renders of the same input are
    the same document (byte-identical from the same start; from a format or not, they may
    differ in bytes, hence weak). A page picture adds its page and resolution."""
    return key[:32] if picture is None else f"{key[:32]}-{picture.suffix()}"


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
    timing = ", ".join(f"{name};dur={seconds * 1000:.1f}" for name, seconds in parts.items())
    if result.engine:
        # Which path set the document: the Unicode one names its engine.
        timing += f', engine;desc="{result.engine}"'
    return timing


def file_response(
    template: str, result: RenderResult, tag: str, picture: PageRequest | None = None
) -> Response:
    """The PDF, or the page picture (``result.pdf`` then holds the PNG)."""
    if picture is None:
        media, name = PDF, f"{template}.pdf"
    else:
        media, name = PNG, f"{template}-page-{picture.page}.png"
    headers = {
        "Server-Timing": server_timing(result),
        "Cache-Control": "no-cache",
        # Template names are [a-z0-9-] (checked by the catalogue): the filename is always safe.
        "Content-Disposition": f'inline; filename="{name}"',
        "Vary": "Accept",
    }
    response = Response(result.pdf, status=200, content_type=media, headers=headers)
    response.set_etag(tag, weak=True)
    return response

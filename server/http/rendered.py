"""The HTTP side of the one render call: a request becomes a :class:`RenderOrder`, a
:class:`Rendered` becomes a response, and what happened goes into the request record.

Both render routes (``POST /v1/render/{template}``, ``GET /v1/documents/{id}/pdf``) use these
three pieces around their one ``pipeline.render`` call; nothing here caches, keys or admits.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from quart import Response, request

from rendering import (
    DPI_DEFAULT,
    DPI_MAX,
    DPI_MIN,
    PAGE_MAX,
    PAPERS,
    Outcome,
    Rendered,
    RenderError,
    RenderOrder,
    outcome_of,
)

from .body import (
    refuse_star_match,
    requested_paper,
    requested_picture,
    wants_strict,
    wants_tagged,
)
from .media import PDF, PNG
from .openapi import Parameter
from .record import current_record

log = logging.getLogger("texrender.render")

# How the render routes describe what they take and give, in the OpenAPI document.
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
PAPER = Parameter(
    "paper",
    "the paper size (each template lists the sizes it is made for: GET /v1/templates); by "
    "default letter when the data's country is the United States or Canada (or its "
    "meta.language en-US or en-CA), else a4. A size the template is not made for is a 422",
    {"type": "string", "enum": list(PAPERS)},
)
TAGGED = Parameter(
    "tagged",
    "a tagged PDF: its structure (headings, paragraphs, lists, links) and reading order marked "
    "for screen readers and PDF/UA checkers. Off by default: it takes several times the TeX "
    "time. With format=png the picture looks the same (it is made from the tagged PDF)",
    STRICT.schema,
)
PDF_BODY = {
    PDF: {"type": "string", "contentMediaType": PDF},
    PNG: {"type": "string", "contentMediaType": PNG},
}


def render_order(
    template: str, load: Callable[[], Any], identity: bytes, *, strict: bool | None = None
) -> RenderOrder:
    """The order this request makes: the data ``load`` gives (named by ``identity``), read
    strictly if asked (``strict`` None: as the request says), PDF or the page picture asked
    for, and the validators the client already holds.

    Raises:
        PreconditionFailed: ``If-None-Match: *``.
        InvalidParameter: ``strict``, ``format``, ``page``, ``dpi``, ``paper`` or ``tagged``
            cannot be used.
    """
    refuse_star_match()
    return RenderOrder(
        template,
        load,
        identity=identity,
        strict=wants_strict() if strict is None else strict,
        page=requested_picture(),
        if_none_match=request.if_none_match.as_set(include_weak=True),
        owner=current_record().owner or "",
        paper=requested_paper(),
        tagged=wants_tagged(),
    )


@contextmanager
def recording(template: str) -> Iterator[None]:
    """Note in the request record which template a render is for and, if it fails, its
    outcome and what reading had changed by then."""
    record = current_record()
    record.template = template
    try:
        yield
    except BaseException as exc:
        record.outcome = outcome_of(exc)
        if isinstance(exc, RenderError):
            record.warnings = exc.warnings
        if record.outcome is Outcome.CANCELLED:
            log.info("request cancelled: the client went away", extra={"template": template})
        raise


def rendered_response(rendered: Rendered) -> Response:
    """The document, or 304 when the client's copy is current; the record learns how it went."""
    record = current_record()
    record.outcome = rendered.outcome
    record.warnings = rendered.warnings
    record.engine = rendered.engine or None
    if rendered.not_modified:
        response = Response(b"", status=304, headers={"Cache-Control": "no-cache"})
    else:
        headers = {
            "Server-Timing": server_timing(rendered),
            "Cache-Control": "no-cache",
            "Content-Disposition": f'inline; filename="{rendered.filename}"',
            "Vary": "Accept",
        }
        response = Response(
            rendered.body, status=200, content_type=rendered.media_type, headers=headers
        )
    response.set_etag(rendered.etag, weak=True)
    return response


def server_timing(rendered: Rendered) -> str:
    """Where the time went (``Server-Timing``): the stages of a render, or the cache."""
    timings = rendered.timings
    if rendered.cached:
        parts = {"cache": timings.total_s, "total": timings.total_s}
    else:
        parts = {
            "template": timings.template_s,
            "queue": timings.queue_s,
            "tex": timings.tex_s,
            "total": timings.total_s,
        }
    timing = ", ".join(f"{name};dur={seconds * 1000:.1f}" for name, seconds in parts.items())
    if rendered.engine:
        # Which path set the document: the Unicode one names its engine.
        timing += f', engine;desc="{rendered.engine}"'
    return timing

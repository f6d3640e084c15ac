"""Reading a request: its JSON body, and what it asks for beside it (strict reading, a page
as a picture, a paper size, a tagged PDF)."""

from __future__ import annotations

import json
from typing import Any

from quart import has_request_context, request

from rendering import (
    DEFAULT_LIMITS,
    DPI_DEFAULT,
    DPI_MAX,
    DPI_MIN,
    PAGE_MAX,
    PAPERS,
    PageRequest,
    nests_deeper_than,
)

from .media import JSON, PDF, PNG, is_json
from .problems import (
    AmbiguousLength,
    InvalidJson,
    InvalidParameter,
    NestedTooDeep,
    PreconditionFailed,
    UnsupportedMediaType,
)

MAX_DEPTH = DEFAULT_LIMITS.depth

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


async def read_json_body() -> Any:
    """The request body parsed as JSON (see :func:`read_body` and :func:`parse_json`)."""
    return parse_json(await read_body())


async def read_body() -> bytes:
    """The request body as sent, once its media type says JSON.

    Raises:
        UnsupportedMediaType: the content type is not JSON.
        RequestEntityTooLarge: (from Quart) the body exceeds ``max_body_bytes``.
        RequestTimeout: (from Quart) the body took longer than ``body_timeout_s``.
    """
    mimetype = request.mimetype
    if not is_json(mimetype):
        shown = mimetype or "none"
        raise UnsupportedMediaType(f"content type is {shown!r}; send {JSON}")
    body: bytes = await request.get_data(cache=False, as_text=False, parse_form_data=False)
    return body


def parse_json(body: bytes) -> Any:
    """``body`` as JSON.

    Raises:
        InvalidJson: it is empty, or does not parse (NaN and Infinity included: not JSON).
        NestedTooDeep: arrays and objects nest deeper than :data:`MAX_DEPTH`.
    """
    if not body.strip():
        # json's "Expecting value: line 1 column 1 (char 0)" says nothing to someone who
        # forgot --data: say what is missing.
        raise InvalidJson(f"the body is empty: send {_wanted()}")
    try:
        data = json.loads(body, parse_constant=_reject_constant)
    except ValueError as exc:
        raise InvalidJson(f"the body is not valid JSON: {exc}") from None
    except RecursionError:
        raise NestedTooDeep(f"the body nests deeper than {MAX_DEPTH} levels") from None
    if nests_deeper_than(data, MAX_DEPTH):
        raise NestedTooDeep(f"the body nests deeper than {MAX_DEPTH} levels")
    return data


def _wanted() -> str:
    """What the body should hold: a route named after a template takes that template's data."""
    if has_request_context() and "template" in (request.view_args or {}):
        return "the template's data as a JSON object"
    return "a JSON object"


async def refuse_ambiguous_length() -> None:
    """Before each request: a request with both ``Content-Length`` and ``Transfer-Encoding``
    is refused and its connection closed (RFC 9112 6.3: the two can disagree about where the
    body ends, and whatever follows could be read as a second, smuggled request).

    Raises:
        AmbiguousLength: both headers are present.
    """
    if "Content-Length" in request.headers and "Transfer-Encoding" in request.headers:
        # Read what the server took as the body first: answering with it unread leaves the
        # connection mid-message, and Hypercorn then races our answer with one of its own.
        await request.get_data(cache=False)
        raise AmbiguousLength("send either Content-Length or Transfer-Encoding, not both")


def refuse_star_match() -> None:
    """``If-None-Match: *`` asks for the request to be carried out only if the target has no
    representation at all; a render always has one, so the precondition fails (RFC 9110
    13.1.2) before any work.

    Raises:
        PreconditionFailed: the request says ``If-None-Match: *``.
    """
    if request.if_none_match.star_tag:
        raise PreconditionFailed("If-None-Match: * never holds for a render")


def wants_strict() -> bool:
    """Whether the data is to be read strictly: ``?strict=true``, or ``Prefer: handling=strict``
    (RFC 7240). Lenient reading is the default; ``?strict=false`` or ``handling=lenient`` say so.

    Raises:
        InvalidParameter: ``strict`` has a value that is not a yes or a no.
    """
    asked = _yes_or_no("strict")
    if asked is not None:
        return asked
    for preference in request.headers.get_all("Prefer"):
        for token in preference.split(","):
            name, _, value = token.strip().partition("=")
            if name.strip().lower() == "handling":
                return value.strip().strip('"').lower() == "strict"
    return False


def wants_tagged() -> bool:
    """Whether the PDF is to be tagged (``?tagged=true``: its structure and reading order marked
    for assistive technology). Off by default: it costs several times the TeX time.

    Raises:
        InvalidParameter: ``tagged`` has a value that is not a yes or a no.
    """
    return _yes_or_no("tagged") or False


def _yes_or_no(name: str) -> bool | None:
    """The query parameter ``name`` as a yes or a no (``?name`` alone is a yes); None when the
    request has no such parameter.

    Raises:
        InvalidParameter: its value is neither.
    """
    raw = request.args.get(name)
    if raw is None:
        return None
    value = raw.strip().lower()
    if value in _TRUE or value == "":
        return True
    if value in _FALSE:
        return False
    raise InvalidParameter(f"{name} must be true or false")


def requested_picture() -> PageRequest | None:
    """A page as PNG instead of the PDF: ``?format=png`` (``?page=N``, ``?dpi=N``), or an
    ``Accept`` header that prefers ``image/png`` to ``application/pdf``; None for the PDF.

    Raises:
        InvalidParameter: ``format``, ``page`` or ``dpi`` has a value that cannot be used, or
            ``page``/``dpi`` come with a request for the PDF.
    """
    raw = request.args.get("format")
    if raw is not None:
        kind = raw.strip().lower()
        if kind not in ("pdf", "png"):
            raise InvalidParameter("format must be pdf or png")
    else:
        kind = "png" if request.accept_mimetypes.best_match([PDF, PNG]) == PNG else "pdf"
    page = _whole_parameter("page", 1, PAGE_MAX)
    dpi = _whole_parameter("dpi", DPI_MIN, DPI_MAX)
    if kind == "pdf":
        if page is not None or dpi is not None:
            raise InvalidParameter("page and dpi are for a PNG picture (format=png)")
        return None
    return PageRequest(page or 1, dpi or DPI_DEFAULT)


def requested_paper() -> str | None:
    """The paper size asked for (``?paper=a4`` or ``letter``, any case); None: the usual one
    for the data (the pipeline decides, from its country or language).

    Raises:
        InvalidParameter: ``paper`` names no paper size texrender knows.
    """
    raw = request.args.get("paper")
    if raw is None:
        return None
    paper = raw.strip().lower()
    if paper not in PAPERS:
        raise InvalidParameter(f"paper must be one of {', '.join(PAPERS)}")
    return paper


def _whole_parameter(name: str, low: int, high: int) -> int | None:
    raw = request.args.get(name)
    if raw is None:
        return None
    text = raw.strip()
    if not text.isdigit() or not low <= int(text) <= high:
        raise InvalidParameter(f"{name} must be a whole number from {low} to {high}")
    return int(text)

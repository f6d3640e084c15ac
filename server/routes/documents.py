"""``/v1/documents``: documents stored by their owner, and rendered by id.

A document is ``{template, data, title?}``. Its data is read leniently and validated exactly as
a render would be before it is stored (what reading changed comes back as warnings), so a
stored document always renders. Every call is scoped to the caller's owner
(:mod:`server.http.auth`): another owner's id answers 404, the same as an id that does not exist.

Revisions count writes; the ``ETag`` of a document is ``"r<revision>"`` and ``If-Match`` with
it makes a ``PUT``, ``PATCH`` or ``DELETE`` conditional (412 when the document has moved on).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from quart import Blueprint, Response, request

from rendering import (
    FieldError,
    InvalidData,
    ReadWarning,
    RenderOrder,
    json_pointer,
    surrogate_errors,
)

from ..http.body import parse_json, read_json_body, wants_strict
from ..http.idempotency import HEADER as IDEMPOTENCY_HEADER
from ..http.idempotency import KEEP, REPLAYED_HEADER, idempotency, requested_key
from ..http.media import JSON, MERGE_PATCH
from ..http.mergepatch import merge_patch
from ..http.openapi import Operation, Parameter, describe
from ..http.problems import (
    DocumentTooLarge,
    InvalidParameter,
    PreconditionFailed,
    UnsupportedMediaType,
)
from ..http.record import current_record
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
from ..http.revisions import at_revision, revision_etag
from ..state import app_state
from ..store import (
    DocumentInput,
    DocumentSummary,
    RevisionMismatch,
    StoredDocument,
    StoreUnavailable,
    document_json,
)
from ..store.rules import title_problem

blueprint = Blueprint("documents", __name__)

PAGE_SIZE = 20
PAGE_SIZE_MAX = 100
MEMBERS = ("template", "data", "title")
PATCH_TRIES = 10  # a PATCH without If-Match is applied again if another process wrote between
DOCUMENT = {"$ref": "#/components/schemas/Document"}
IF_MATCH = Parameter(
    "If-Match", 'write only if the document is at this version ("r3")', {"type": "string"}, "header"
)
IDEMPOTENCY_KEY = Parameter(
    IDEMPOTENCY_HEADER,
    "a key of the client's making (a UUID, say): a create sent again with it within 24 hours"
    " answers the first response again instead of storing a second document",
    {"type": "string", "minLength": 1, "maxLength": 255},
    "header",
)
IF_NONE_MATCH = Parameter(
    "If-None-Match", "answer 304 if this is still the current version", {"type": "string"}, "header"
)


def owner() -> str:
    found = current_record().owner
    if found is None:
        raise RuntimeError("no owner: server.http.auth.authenticate did not run")
    return found


def _time(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def representation(document: DocumentSummary) -> dict[str, Any]:
    """The JSON a client sees; the data only for a whole :class:`StoredDocument`."""
    path = f"/v1/documents/{document.id}"
    body: dict[str, Any] = {
        "id": document.id,
        "template": document.template,
        "title": document.title,
        "revision": document.revision,
        "created": _time(document.created),
        "updated": _time(document.updated),
        "links": {"self": path, "pdf": f"{path}/pdf"},
    }
    if isinstance(document, StoredDocument):
        body["data"] = document.data
    return body


def document_response(
    document: StoredDocument,
    status: int = 200,
    warnings: tuple[ReadWarning, ...] | None = None,
) -> Response:
    body = representation(document)
    if warnings is not None:
        body["warnings"] = [asdict(w) for w in warnings]
    response = Response(_json(body), status=status, content_type=JSON)
    response.set_etag(revision_etag(document.revision))
    return response


def _json(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode("utf-8", errors="backslashreplace")


def read_document(body: Any, *, strict: bool) -> tuple[DocumentInput, tuple[ReadWarning, ...]]:
    """A document from a request body: its template known, its data read and validated, its
    size within bounds. Pointers in errors and warnings point into the body (``/data/...``).

    Raises:
        InvalidData: the body is not a document, or its data does not pass (422).
        DocumentTooLarge: the data, as stored, is over ``document_max_bytes`` (413).
    """
    if not isinstance(body, dict):
        raise _invalid("", f"a document is a JSON object with members {', '.join(MEMBERS)}")
    errors = [
        FieldError(json_pointer([name]), f"not a member of a document ({', '.join(MEMBERS)})")
        for name in body
        if name not in MEMBERS
    ]
    template_name, title = body.get("template"), body.get("title")
    catalogue = app_state().service.catalogue
    if not isinstance(template_name, str):
        errors.append(FieldError("/template", "the name of a template is required"))
    elif template_name not in catalogue:
        errors.append(FieldError("/template", f"no template is named {template_name!r}"))
    if (problem := title_problem(title)) is not None:
        errors.append(FieldError("/title", problem))
    if "data" not in body:
        errors.append(FieldError("/data", "the data to render is required"))
    errors.extend(surrogate_errors(body))  # the title, the data, member names: none storable
    if errors:
        raise InvalidData(f"{len(errors)} problem(s) with the document", errors)
    assert isinstance(template_name, str)
    record = current_record()
    record.template = template_name
    order = RenderOrder.for_data(template_name, body["data"], strict=strict)
    try:
        checked = app_state().service.pipeline.check(order)
        record.warnings = _under_data(checked.reading.warnings)
        if checked.problem is not None:
            raise checked.problem
    except InvalidData as exc:
        moved = [FieldError(_data_pointer(e.pointer), e.message) for e in exc.errors]
        raise type(exc)(exc.detail, moved) from exc
    reading = checked.reading
    size = len(document_json(reading.data))
    limit = app_state().settings.document_max_bytes
    if size > limit:
        raise DocumentTooLarge(f"the data takes {size:,} bytes as JSON; at most {limit:,}")
    return DocumentInput(template_name, reading.data, title), record.warnings


def _under_data(warnings: tuple[ReadWarning, ...]) -> tuple[ReadWarning, ...]:
    return tuple(ReadWarning(_data_pointer(w.pointer), w.message) for w in warnings)


def _data_pointer(pointer: str) -> str:
    return f"/data{pointer}"


def _invalid(pointer: str, message: str) -> InvalidData:
    return InvalidData(message, [FieldError(pointer, message)])


def _page_size() -> int:
    raw = request.args.get("limit")
    if raw is None:
        return PAGE_SIZE
    if not raw.isdigit() or not 1 <= int(raw) <= PAGE_SIZE_MAX:
        raise InvalidParameter(f"limit must be a whole number from 1 to {PAGE_SIZE_MAX}")
    return int(raw)


async def _revision_to_match(document_id: str) -> int | None:
    """The revision an ``If-Match`` allows a write to replace: None without the header (or
    with ``*``, which any existing document meets).

    Raises:
        DocumentNotFound: there is no such document (also for ``If-Match: *``).
        PreconditionFailed: the document is at a revision the header does not name.
    """
    if not request.if_match:
        return None
    current = await app_state().store.get(owner(), document_id)
    if request.if_match.star_tag:
        return None
    if not request.if_match.contains(revision_etag(current.revision)):
        raise PreconditionFailed(at_revision(current.revision))
    return current.revision


@blueprint.post("/v1/documents")
@describe(
    Operation(
        "Store a document: a template, its data, a title",
        (201, 400, 409, 422),
        success={JSON: DOCUMENT},
        body="document",
        parameters=(STRICT, IDEMPOTENCY_KEY),
        success_headers=("Location", "ETag", "X-Render-Warnings", REPLAYED_HEADER),
        tag="documents",
        description="The data is read and validated as a render would read it; what reading "
        "changed comes back in `warnings`, pointers into the body sent. With an "
        "`Idempotency-Key`, the same key and the same document again within 24 hours answer "
        "the first response again (`Idempotent-Replayed: true`); the same key with another "
        "document is refused (422).",
    )
)
async def create_document() -> Response:
    key = requested_key()
    document, warnings = read_document(await read_json_body(), strict=wants_strict())
    state = app_state()
    quota = state.settings.documents_per_owner
    replayed = False
    if key is None:
        stored = await state.store.create(owner(), document, quota=quota)
    else:
        stored, replayed = await state.store.create_once(
            owner(), document, quota=quota, once=idempotency(key, document), keep=KEEP
        )
    if not replayed:
        state.metrics.document_writes.labels("create").inc()
    response = document_response(stored, 201, warnings)
    response.headers["Location"] = f"/v1/documents/{stored.id}"
    if replayed:
        response.headers[REPLAYED_HEADER] = "true"
    return response


@blueprint.get("/v1/documents")
@describe(
    Operation(
        "The caller's documents, newest first, a page at a time (no data)",
        (200,),
        success={
            JSON: {
                "type": "object",
                "required": ["items", "next"],
                "properties": {
                    "items": {"type": "array", "items": DOCUMENT},
                    "next": {"type": ["string", "null"]},
                },
            }
        },
        parameters=(
            Parameter(
                "limit",
                f"documents a page (1 to {PAGE_SIZE_MAX}, default {PAGE_SIZE})",
                {"type": "integer", "minimum": 1, "maximum": PAGE_SIZE_MAX},
            ),
            Parameter("cursor", "from the `next` link of the page before", {"type": "string"}),
            Parameter("template", "only documents of this template", {"type": "string"}),
        ),
        success_headers=("Link",),
        tag="documents",
    )
)
async def list_documents() -> Response:
    limit = _page_size()
    cursor = request.args.get("cursor")
    template = request.args.get("template")
    page = await app_state().store.list_documents(
        owner(), limit=limit, cursor=cursor, template=template
    )
    next_link = None
    if page.next_cursor is not None:
        query = {"limit": str(limit), "cursor": page.next_cursor}
        if template is not None:
            query["template"] = template
        next_link = f"/v1/documents?{urlencode(query)}"
    body = {"items": [representation(item) for item in page.items], "next": next_link}
    response = Response(_json(body), content_type=JSON)
    if next_link is not None:
        response.headers["Link"] = f'<{next_link}>; rel="next"'
    return response


@blueprint.get("/v1/documents/<document_id>")
@describe(
    Operation(
        "One document, data included",
        (200, 304, 404),
        success={JSON: DOCUMENT},
        parameters=(IF_NONE_MATCH,),
        success_headers=("ETag",),
        tag="documents",
    )
)
async def get_document(document_id: str) -> Response:
    stored = await app_state().store.get(owner(), document_id)
    current_record().template = stored.template
    if request.if_none_match.contains_weak(revision_etag(stored.revision)):
        response = Response(b"", status=304)
        response.set_etag(revision_etag(stored.revision))
        return response
    return document_response(stored)


@blueprint.put("/v1/documents/<document_id>")
@describe(
    Operation(
        "Replace a document (If-Match makes it conditional)",
        (200, 404, 412, 422),
        success={JSON: DOCUMENT},
        body="document",
        parameters=(IF_MATCH, STRICT),
        success_headers=("ETag", "X-Render-Warnings"),
        tag="documents",
    )
)
async def replace_document(document_id: str) -> Response:
    body = await read_json_body()
    expected = await _revision_to_match(document_id)
    document, warnings = read_document(body, strict=wants_strict())
    state = app_state()
    try:
        stored = await state.store.replace(
            owner(), document_id, document, expected_revision=expected
        )
    except RevisionMismatch as exc:
        raise PreconditionFailed(f"the document changed meanwhile: {exc}") from None
    state.metrics.document_writes.labels("replace").inc()
    return document_response(stored, 200, warnings)


@blueprint.patch("/v1/documents/<document_id>")
@describe(
    Operation(
        "Change part of a document with a JSON Merge Patch (RFC 7396)",
        (200, 404, 412, 422, 503),
        success={JSON: DOCUMENT},
        body="patch",
        parameters=(IF_MATCH, STRICT),
        success_headers=("ETag", "X-Render-Warnings"),
        tag="documents",
    )
)
async def patch_document(document_id: str) -> Response:
    if request.mimetype != MERGE_PATCH:
        raise UnsupportedMediaType(
            f"content type is {request.mimetype or 'none'!r}; send {MERGE_PATCH} (RFC 7396)"
        )
    body: bytes = await request.get_data(cache=False, as_text=False, parse_form_data=False)
    patch = parse_json(body)
    state = app_state()
    async with state.document_writes.hold((owner(), document_id)):
        return await _apply_patch(document_id, patch)


async def _apply_patch(document_id: str, patch: Any) -> Response:
    """Apply ``patch`` to the document as it is now. Without ``If-Match`` the patch applies
    to whatever is current: a write from another process in between makes it apply again (a
    412 only ever answers a precondition the client sent)."""
    state = app_state()
    conditional = bool(request.if_match) and not request.if_match.star_tag
    for _ in range(PATCH_TRIES):
        current = await state.store.get(owner(), document_id)
        if conditional and not request.if_match.contains(revision_etag(current.revision)):
            raise PreconditionFailed(at_revision(current.revision))
        view: dict[str, Any] = {"template": current.template, "data": current.data}
        if current.title is not None:
            view["title"] = current.title
        merged = merge_patch(view, patch)
        document, warnings = read_document(merged, strict=wants_strict())
        if _same_document(current, document):
            return document_response(current, 200, warnings)  # nothing to write
        try:
            stored = await state.store.replace(
                owner(), document_id, document, expected_revision=current.revision
            )
        except RevisionMismatch as exc:
            if conditional:
                raise PreconditionFailed(f"the document changed meanwhile: {exc}") from None
            continue  # another process wrote in between: apply the patch to what is there now
        state.metrics.document_writes.labels("patch").inc()
        return document_response(stored, 200, warnings)
    raise StoreUnavailable("the document kept changing while the patch was applied")


@blueprint.delete("/v1/documents/<document_id>")
@describe(
    Operation(
        "Delete a document (If-Match makes it conditional)",
        (204, 404, 412),
        parameters=(IF_MATCH,),
        tag="documents",
    )
)
async def delete_document(document_id: str) -> Response:
    expected = await _revision_to_match(document_id)
    state = app_state()
    try:
        await state.store.delete(owner(), document_id, expected_revision=expected)
    except RevisionMismatch as exc:
        raise PreconditionFailed(f"the document changed meanwhile: {exc}") from None
    state.metrics.document_writes.labels("delete").inc()
    return Response(b"", status=204)


@blueprint.get("/v1/documents/<document_id>/pdf")
@describe(
    Operation(
        "A stored document rendered to a PDF, or one page of it as PNG (cached, with an ETag)",
        (200, 304, 404, 412, 422, 429, 503, 504),
        success=PDF_BODY,
        parameters=(IF_NONE_MATCH, *PICTURE, PAPER, TAGGED),
        success_headers=("ETag", "Server-Timing", "X-Render-Warnings"),
        tag="documents",
    )
)
async def document_pdf(document_id: str) -> Response:
    stored = await app_state().store.get(owner(), document_id)
    # The stored version names the data: a version seen before (same id, revision and time of
    # writing) is answered from its render key without reading the data again.
    version = f"document\0{stored.id}\0{stored.revision}\0{stored.updated.isoformat()}"
    order = render_order(stored.template, lambda: stored.data, version.encode(), strict=False)
    with recording(stored.template):
        rendered = await app_state().service.pipeline.render(order)
    return rendered_response(rendered)


def _same_document(current: StoredDocument, document: DocumentInput) -> bool:
    """A write that would change nothing (an empty merge patch, or one that sets what is
    there): no new revision."""
    same_fields = (current.template, current.title) == (document.template, document.title)
    return same_fields and document_json(current.data) == document_json(document.data)

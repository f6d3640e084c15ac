"""The OpenAPI 3.1 description of the running app, generated from its routes.

Each view carries an :class:`Operation` (attached with :func:`describe`): its summary, the
statuses it answers with and what it takes. :func:`build_document` walks the app's URL map, so
a route without a description is an error, never a silent gap, and adds what every operation
shares (problem bodies, the request id, the Bearer scheme). A route with a ``<template>``
variable becomes one path per template, each with that template's own JSON Schema as its
request body and its sample as the example, so a client (or a generated test) sees exactly what
each template takes, and "Try it out" in ``/docs`` sends a document that renders (not a schema's
placeholder strings).

Why not a library: quart-schema describes bodies with pydantic or attrs models, while texrender's
bodies are the templates' own JSON Schemas, known only once the catalogue is loaded.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from quart import Quart

from rendering import Catalogue, Template

from .media import JSON, MERGE_PATCH, PROBLEM_JSON

OPENAPI_VERSION = "3.1.0"
_VARIABLE = re.compile(r"<(?:[a-z_]+:)?([a-z_]+)>")
F = TypeVar("F", bound=Callable[..., Any])

# What each status means wherever it appears; an operation may say more.
STATUS_TEXT = {
    200: "OK",
    201: "Created",
    204: "Deleted",
    304: "Not modified: the client's copy (its ETag) is current",
    400: "The request is malformed (body not JSON, nested too deeply, a bad parameter)",
    401: "No valid API key (`Authorization: Bearer <key>`)",
    404: "No such resource (or a document of another owner)",
    408: "The body took longer than the body timeout to arrive",
    409: "The owner holds as many documents as allowed",
    412: "A precondition (If-Match, If-None-Match: *) does not hold",
    413: "The body (or the stored document) is too large",
    415: "The body has the wrong media type",
    422: "The data fails the template's schema or cannot be typeset (see `errors`, `tex`)",
    429: "Every render slot is busy and the queue is full; retry after `Retry-After` seconds",
    503: "Not ready, no render slot came free in time, or the document store is busy",
    504: "Typesetting took longer than the render timeout",
}


@dataclass(frozen=True)
class Parameter:
    name: str
    description: str
    schema: Mapping[str, Any]
    where: str = "query"
    required: bool = False


@dataclass(frozen=True)
class Operation:
    """What the description says of one view."""

    summary: str
    statuses: tuple[int, ...]  # besides 400 and, when keys are needed, 401
    success: Mapping[str, Any] = field(default_factory=dict)  # media type -> schema
    body: str | None = None  # "data", "document", "patch": see _request_body
    parameters: tuple[Parameter, ...] = ()
    description: str = ""
    open: bool = False  # reachable without a key
    tag: str = "render"
    success_headers: tuple[str, ...] = ()
    # Statuses whose body is not a problem (readiness answers 503 with its own JSON).
    other_bodies: Mapping[int, Mapping[str, Any]] = field(default_factory=dict)


def describe(operation: Operation) -> Callable[[F], F]:
    """Attach ``operation`` to a view (put it below the route decorator)."""

    def mark(view: F) -> F:
        view.openapi_operation = operation  # type: ignore[attr-defined]
        return view

    return mark


def operation_of(view: Callable[..., Any]) -> Operation | None:
    found = getattr(view, "openapi_operation", None)
    return found if isinstance(found, Operation) else None


class UndescribedRoute(Exception):
    """A route has no :class:`Operation`: the description would be incomplete."""


def build_document(app: Quart, catalogue: Catalogue, version: str) -> dict[str, Any]:
    """The whole OpenAPI document for ``app`` with the templates of ``catalogue``.

    Raises:
        UndescribedRoute: a route's view carries no :class:`Operation`.
    """
    schemas: dict[str, Any] = dict(_SHARED_SCHEMAS)
    for template in catalogue.values():
        schemas.update(_template_schemas(template))
    schemas["Document"] = _document_schema(catalogue)
    schemas["DocumentInput"] = {
        "oneOf": [{"$ref": f"#/components/schemas/{_name(t)}.document"} for t in catalogue.values()]
    }
    samples = {t.name: t.sample for t in catalogue.values()}
    paths: dict[str, dict[str, Any]] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint == "static":
            continue
        operation = operation_of(app.view_functions[rule.endpoint])
        if operation is None:
            raise UndescribedRoute(f"{rule.rule} ({rule.endpoint}) has no description")
        methods = sorted(set(rule.methods or ()) - {"HEAD", "OPTIONS"})
        variables = _VARIABLE.findall(rule.rule)
        names = [t.name for t in catalogue.values()] if "template" in variables else [None]
        for name in names:
            path = _openapi_path(rule.rule, name)
            for method in methods:
                entry = _operation(operation, rule.endpoint, method, variables, name, samples)
                paths.setdefault(path, {})[method.lower()] = entry
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "texrender",
            "version": version,
            "description": (
                "JSON data in, PDF out, through LaTeX templates. Errors are RFC 9457 problem "
                "documents. Send an API key as `Authorization: Bearer <key>` unless the "
                "server runs with auth off (loopback only)."
            ),
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "headers": _HEADERS,
        },
        "security": [{"bearer": []}],
        "tags": [
            {"name": "render", "description": "Render data to PDF, check it, list templates"},
            {"name": "documents", "description": "Documents stored by their owner"},
            {"name": "operations", "description": "Health, readiness, metrics, this description"},
        ],
    }


def _openapi_path(rule: str, template: str | None) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        return template if name == "template" and template is not None else f"{{{name}}}"

    return _VARIABLE.sub(replace, rule)


def _operation(
    operation: Operation,
    endpoint: str,
    method: str,
    variables: list[str],
    template: str | None,
    samples: Mapping[str, Any],
) -> dict[str, Any]:
    suffix = f"_{template.replace('-', '_')}" if template else ""
    entry: dict[str, Any] = {
        "operationId": f"{endpoint.replace('.', '_')}{suffix}",
        "summary": operation.summary + (f" ({template})" if template else ""),
        "tags": [operation.tag],
    }
    if operation.description:
        entry["description"] = operation.description
    parameters = [_parameter(p) for p in operation.parameters]
    parameters += [
        _parameter(Parameter(v, f"the {v.replace('_', ' ')}", {"type": "string"}, "path", True))
        for v in variables
        if v != "template"
    ]
    if parameters:
        entry["parameters"] = parameters
    if operation.body is not None:
        entry["requestBody"] = _request_body(operation.body, template, samples)
    if operation.open:
        entry["security"] = []
    statuses = set(operation.statuses) | {400}
    if not operation.open:
        statuses |= {401, 503}  # the key is checked against the store, which may be busy
    if operation.body is not None:
        statuses |= {408, 413, 415}
    entry["responses"] = {str(status): _response(status, operation) for status in sorted(statuses)}
    return entry


def _parameter(parameter: Parameter) -> dict[str, Any]:
    described = {
        "name": parameter.name,
        "in": parameter.where,
        "description": parameter.description,
        "required": parameter.required,
        "schema": dict(parameter.schema),
    }
    if parameter.name in PARAMETER_EXAMPLES:
        described["examples"] = copy.deepcopy(PARAMETER_EXAMPLES[parameter.name])
    return described


# What "Try it out" fills in (the first of each). A PNG is shown on the page itself; a PDF
# comes as a "Download file" link (the page's script marks it as an attachment for Swagger UI).
PARAMETER_EXAMPLES: dict[str, dict[str, Any]] = {
    "format": {
        "png": {"summary": "page 1 as a picture, shown on this page", "value": "png"},
        "pdf": {"summary": "the PDF, as a download link", "value": "pdf"},
    },
}


def _request_body(kind: str, template: str | None, samples: Mapping[str, Any]) -> dict[str, Any]:
    schema: dict[str, Any]
    if kind == "data":
        assert template is not None
        schema = {"$ref": f"#/components/schemas/{_name_of(template)}"}
        examples = {"sample": {"summary": f"the sample of {template}", "value": samples[template]}}
        return {"required": True, "content": {JSON: {"schema": schema, "examples": examples}}}
    if kind == "document":
        schema = {"$ref": "#/components/schemas/DocumentInput"}
        examples = {
            name: {
                "summary": f"a document of {name}, its data the sample",
                "value": {"template": name, "title": f"{name}, the sample", "data": sample},
            }
            for name, sample in samples.items()
        }
        return {"required": True, "content": {JSON: {"schema": schema, "examples": examples}}}
    if kind == "patch":
        schema = {
            "type": "object",
            "description": "RFC 7396: members to change; null removes one",
            "properties": {
                "template": {"type": "string"},
                "title": {"type": ["string", "null"]},
                "data": {"type": ["object", "null"]},
            },
            "additionalProperties": False,
        }
        examples = {
            "title": {"summary": "a new title", "value": {"title": "A new title"}},
            "untitled": {"summary": "the title removed", "value": {"title": None}},
        }
        return {
            "required": True,
            "content": {MERGE_PATCH: {"schema": schema, "examples": examples}},
        }
    raise ValueError(f"unknown request body kind {kind!r}")


def _response(status: int, operation: Operation) -> dict[str, Any]:
    headers: dict[str, Any] = {"X-Request-ID": {"$ref": "#/components/headers/X-Request-ID"}}
    response: dict[str, Any] = {"description": STATUS_TEXT.get(status, "")}
    if status < 300:
        for name in operation.success_headers:
            headers[name] = {"$ref": f"#/components/headers/{name}"}
        if operation.success and status != 204:
            response["content"] = {
                media: {"schema": dict(schema)} for media, schema in operation.success.items()
            }
    elif status == 304:
        headers["ETag"] = {"$ref": "#/components/headers/ETag"}
    elif status in operation.other_bodies:
        response["content"] = {
            media: {"schema": dict(schema)}
            for media, schema in operation.other_bodies[status].items()
        }
    else:
        problem_ref = {"$ref": "#/components/schemas/Problem"}
        response["content"] = {PROBLEM_JSON: {"schema": problem_ref}}
        if status in (429, 503):
            headers["Retry-After"] = {"$ref": "#/components/headers/Retry-After"}
        if status == 401:
            headers["WWW-Authenticate"] = {"$ref": "#/components/headers/WWW-Authenticate"}
    response["headers"] = headers
    return response


def _name_of(template: str) -> str:
    return "template." + template


def _name(template: Template) -> str:
    return _name_of(template.name)


def _template_schemas(template: Template) -> dict[str, Any]:
    """The template's JSON Schema as components: its ``definitions`` (or ``$defs``) become
    components of their own and every ``$ref`` is pointed at them."""
    schema = copy.deepcopy(dict(template.schema))
    base = _name(template)
    local = {**schema.pop("definitions", {}), **schema.pop("$defs", {})}
    schema.pop("$schema", None)
    schema.pop("$id", None)

    def point(node: Any) -> Any:
        if isinstance(node, dict):
            moved = {key: point(value) for key, value in node.items()}
            ref = moved.get("$ref")
            if isinstance(ref, str):
                for prefix in ("#/definitions/", "#/$defs/"):
                    if ref.startswith(prefix):
                        moved["$ref"] = f"#/components/schemas/{base}.{ref[len(prefix) :]}"
            return moved
        if isinstance(node, list):
            return [point(item) for item in node]
        return node

    found = {base: point(schema)}
    for name, definition in local.items():
        found[f"{base}.{name}"] = point(definition)
    found[f"{base}.document"] = {
        "type": "object",
        "required": ["template", "data"],
        "properties": {
            "template": {"const": template.name},
            "title": {"type": ["string", "null"], "maxLength": 200},
            "data": {"$ref": f"#/components/schemas/{base}"},
        },
        "additionalProperties": False,
    }
    return found


def _document_schema(catalogue: Catalogue) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["id", "template", "revision", "created", "updated", "links"],
        "properties": {
            "id": {"type": "string"},
            "template": {"enum": [t.name for t in catalogue.values()]},
            "title": {"type": ["string", "null"]},
            "revision": {"type": "integer", "minimum": 1},
            "created": {"type": "string", "format": "date-time"},
            "updated": {"type": "string", "format": "date-time"},
            "links": {
                "type": "object",
                "properties": {"self": {"type": "string"}, "pdf": {"type": "string"}},
            },
            "data": {"type": "object", "description": "only when one document is read"},
            "warnings": {"type": "array", "items": {"$ref": "#/components/schemas/Warning"}},
        },
    }


_POINTED = {
    "type": "object",
    "required": ["pointer", "message"],
    "properties": {"pointer": {"type": "string"}, "message": {"type": "string"}},
}
_SHARED_SCHEMAS: dict[str, Any] = {
    "Problem": {
        "type": "object",
        "description": "RFC 9457 problem details",
        "required": ["type", "title", "status", "detail", "request_id"],
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "request_id": {"type": "string"},
            "errors": {"type": "array", "items": {"$ref": "#/components/schemas/FieldError"}},
            "warnings": {"type": "array", "items": {"$ref": "#/components/schemas/Warning"}},
            "tex": {
                "type": "object",
                "properties": {
                    "message": {"type": "string"},
                    "line": {"type": ["integer", "null"]},
                    "context": {"type": "string"},
                    "template": {"type": ["string", "null"]},
                    "template_line": {"type": ["integer", "null"]},
                    "pointer": {"type": ["string", "null"]},
                },
            },
            "data": {"description": "the dry run: the data as it would be rendered"},
        },
    },
    "FieldError": _POINTED,
    "Warning": _POINTED,
    "TemplateSummary": {
        "type": "object",
        "required": ["name", "title", "description", "engine", "version", "papers"],
        "properties": {
            "name": {"type": "string"},
            "title": {"type": "string"},
            "description": {"type": "string"},
            "engine": {"type": "string"},
            "version": {"type": "string"},
            "papers": {
                "type": "array",
                "items": {"type": "string"},
                "description": "the paper sizes it is made for (the render routes' paper=)",
            },
            "preview": {"type": ["string", "null"], "description": "its picture's path, if any"},
            "schema": {"type": "object"},
            "sample": {"type": "object"},
        },
    },
}
_HEADERS: dict[str, Any] = {
    "X-Request-ID": {"description": "this request's id", "schema": {"type": "string"}},
    "ETag": {"description": "the version of what was answered", "schema": {"type": "string"}},
    "Location": {"description": "where the new document is", "schema": {"type": "string"}},
    "Link": {"description": 'the next page, rel="next"', "schema": {"type": "string"}},
    "Retry-After": {"description": "seconds to wait", "schema": {"type": "string"}},
    "WWW-Authenticate": {"description": "the Bearer challenge", "schema": {"type": "string"}},
    "X-Render-Warnings": {
        "description": "what reading the data changed (count and first few, JSON)",
        "schema": {"type": "string"},
    },
    "Server-Timing": {"description": "where a render's time went", "schema": {"type": "string"}},
    "Idempotent-Replayed": {
        "description": "true: the first response to this Idempotency-Key, answered again",
        "schema": {"type": "string", "enum": ["true"]},
    },
}

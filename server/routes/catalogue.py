"""``GET /v1/templates`` and ``GET /v1/templates/<template>``: what can be rendered, and each
template's picture (page 1 of its sample, the ``preview.png`` in its folder, if it has one)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import trio
from quart import Blueprint, Response
from werkzeug.exceptions import NotFound

from rendering import Template

from ..http.media import JSON, PNG
from ..http.openapi import Operation, describe
from ..state import app_state

blueprint = Blueprint("catalogue", __name__)
PREVIEW_FILE = "preview.png"


async def preview_file(name: str) -> Path | None:
    """The template's picture in its folder, under whichever template directory holds it (a
    template's folder is named as the template)."""
    for root in app_state().settings.template_dirs:
        if await trio.Path(root / name / PREVIEW_FILE).is_file():
            return root / name / PREVIEW_FILE
    return None


async def summary(template: Template) -> dict[str, Any]:
    has_preview = await preview_file(template.name) is not None
    return {
        "name": template.name,
        "title": template.title,
        "description": template.description,
        "engine": template.engine,
        "version": template.version,
        "papers": list(template.papers),
        "preview": f"/v1/templates/{template.name}/preview.png" if has_preview else None,
    }


@blueprint.get("/v1/templates")
@describe(
    Operation(
        "The templates that can be rendered",
        (200,),
        success={
            JSON: {
                "type": "object",
                "properties": {
                    "templates": {
                        "type": "array",
                        "items": {"$ref": "#/components/schemas/TemplateSummary"},
                    }
                },
            }
        },
    )
)
async def list_templates() -> dict[str, Any]:
    catalogue = app_state().service.catalogue
    return {"templates": [await summary(t) for t in catalogue.values()]}


@blueprint.get("/v1/templates/<template>")
@describe(
    Operation(
        "One template: its schema and a sample that renders",
        (200,),
        success={JSON: {"$ref": "#/components/schemas/TemplateSummary"}},
    )
)
async def show_template(template: str) -> Response:
    entry = app_state().service.catalogue.get_template(template)
    body = {**await summary(entry), "schema": entry.schema, "sample": entry.sample}
    # In the files' own order (the JSON provider would sort keys): a sample read by a person,
    # in the playground say, starts with `basics`, not `$schema` and `awards`.
    return Response(json.dumps(body, ensure_ascii=False), content_type=JSON)


@blueprint.get("/v1/templates/<template>/preview.png")
@describe(
    Operation(
        "Page 1 of the template's sample as a small picture",
        (200, 404),
        success={PNG: {"type": "string", "contentMediaType": PNG}},
    )
)
async def preview(template: str) -> Response:
    app_state().service.catalogue.get_template(template)  # 404 for an unknown name
    found = await preview_file(template)
    if found is None:
        raise NotFound(f"template {template!r} has no preview picture")
    response = Response(await trio.Path(found).read_bytes(), content_type=PNG)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response

"""``GET /v1/templates`` and ``GET /v1/templates/<template>``: what can be rendered."""

from __future__ import annotations

from typing import Any

from quart import Blueprint

from rendering import Template

from ..http.media import JSON
from ..http.openapi import Operation, describe
from ..state import app_state

blueprint = Blueprint("catalogue", __name__)


def summary(template: Template) -> dict[str, Any]:
    return {
        "name": template.name,
        "title": template.title,
        "description": template.description,
        "engine": template.engine,
        "version": template.version,
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
    return {"templates": [summary(t) for t in catalogue.values()]}


@blueprint.get("/v1/templates/<template>")
@describe(
    Operation(
        "One template: its schema and a sample that renders",
        (200,),
        success={JSON: {"$ref": "#/components/schemas/TemplateSummary"}},
    )
)
async def show_template(template: str) -> dict[str, Any]:
    entry = app_state().service.catalogue.get_template(template)
    return {**summary(entry), "schema": entry.schema, "sample": entry.sample}

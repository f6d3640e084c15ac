"""``POST /v1/validate/<template>``: the dry run. The data as it would be rendered, what reading
it changed, and what is still wrong with it; no TeX runs."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from quart import Blueprint, Response

from rendering import InvalidData

from ..http import problems
from ..http.body import read_json_body, wants_strict
from ..http.openapi import JSON, Operation, describe
from ..http.record import current_record
from ..state import app_state
from .render import STRICT

blueprint = Blueprint("validate", __name__)


@blueprint.post("/v1/validate/<template>")
@describe(
    Operation(
        "Check data without rendering it: the data as it would be rendered, warnings, errors",
        (200, 422),
        success={JSON: {"type": "object"}},
        body="data",
        parameters=(STRICT,),
    )
)
async def validate(template: str) -> Response | dict[str, Any]:
    data = await read_json_body()
    record = current_record()
    record.template = template
    entry = app_state().service.catalogue.get_template(template)
    coverage = app_state().service.renderer.unicode_coverage
    reading = entry.read(data, strict=wants_strict(), unicode=coverage)
    record.warnings = reading.warnings
    try:
        entry.validate(reading.data, reading.explanations)
    except InvalidData as exc:
        return await problems.render_error(exc, data=reading.data)
    return {
        "template": entry.name,
        "valid": True,
        "data": reading.data,
        "warnings": [asdict(w) for w in reading.warnings],
        "errors": [],
    }

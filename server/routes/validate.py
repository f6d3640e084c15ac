"""``POST /v1/validate/<template>``: the dry run. The data as it would be rendered, what reading
it changed, and what is still wrong with it; no TeX runs."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from quart import Blueprint, Response

from rendering import RenderOrder

from ..http import problems
from ..http.body import read_json_body, wants_strict
from ..http.media import JSON
from ..http.openapi import Operation, describe
from ..http.record import current_record
from ..http.rendered import STRICT
from ..state import app_state

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
    order = RenderOrder.for_data(template, data, strict=wants_strict())
    checked = app_state().service.pipeline.check(order)
    record.warnings = checked.reading.warnings
    if checked.problem is not None:
        return await problems.render_error(checked.problem, data=checked.reading.data)
    return {
        "template": checked.template.name,
        "valid": True,
        "data": checked.reading.data,
        "warnings": [asdict(w) for w in checked.reading.warnings],
        "errors": [],
    }

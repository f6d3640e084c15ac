"""Health endpoints: ``/healthz`` (the loop answers) and ``/readyz`` (send me traffic)."""

from __future__ import annotations

from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST
from quart import Blueprint, Response

from ..http.media import JSON
from ..http.openapi import Operation, describe
from ..state import app_state

blueprint = Blueprint("ops", __name__)
READINESS = {"type": "object", "required": ["ready", "checks"]}


@blueprint.get("/healthz")
@describe(
    Operation(
        "Liveness: the event loop answers",
        (200,),
        success={JSON: {"type": "object", "properties": {"status": {"const": "ok"}}}},
        open=True,
        tag="operations",
    )
)
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@blueprint.get("/readyz")
@describe(
    Operation(
        "Readiness: engine found, formats settled, queue not full, not draining, database up",
        (200, 503),
        success={JSON: READINESS},
        other_bodies={503: {JSON: READINESS}},
        open=True,
        tag="operations",
        description="503 carries the same JSON body as 200, with ready false.",
    )
)
async def readyz() -> tuple[dict[str, Any], int]:
    state = app_state()
    service = state.service
    stats = service.pipeline.statistics()
    checks = {
        **service.readiness(),
        "not_draining": not state.draining,
        # PostgreSQL answers (asked at most once a second); always true of an SQLite file.
        "database": await state.database.reachable(),
    }
    ready = all(checks.values())
    body = {
        "ready": ready,
        "checks": checks,
        "engine_version": service.engine.version,
        "render_slots": stats.slots,
        "renders_in_flight": stats.busy,
        "queue_depth": stats.waiting,
        "queue_max": stats.queue_max,
        "formats": service.format_states(),
        "format_files": service.format_files(),
        # Shown, never a check: a render goes on without the shared cache.
        "shared_cache": service.shared_cache_state(),
    }
    return body, 200 if ready else 503


@blueprint.get("/metrics")
@describe(
    Operation(
        "Prometheus metrics",
        (200,),
        success={"text/plain": {"type": "string"}},
        open=True,
        tag="operations",
    )
)
async def metrics() -> Response:
    return Response(app_state().metrics.exposition(), content_type=CONTENT_TYPE_LATEST)

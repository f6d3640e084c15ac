"""Per-request bookkeeping: HTTP metrics by route template and one access-log line."""

from __future__ import annotations

import logging

import trio
from quart import Response, request

from ..state import app_state
from .record import find_record

log = logging.getLogger("texrender.access")
UNMATCHED_ROUTE = "<unmatched>"
MAX_LOGGED_WARNINGS = 20
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"})


def route_label() -> str:
    """The route template (``/v1/render/<template>``), never the raw path: labels stay few."""
    rule = request.url_rule
    return rule.rule if rule is not None else UNMATCHED_ROUTE


def method_label() -> str:
    return request.method if request.method in _METHODS else "OTHER"


async def record_request(response: Response) -> Response:
    record = find_record()
    now = trio.current_time()
    elapsed = now - (record.started if record is not None else now)
    route = route_label()
    metrics = app_state().metrics
    metrics.http_requests.labels(route, method_label(), str(response.status_code)).inc()
    metrics.http_duration.labels(route).observe(elapsed)
    fields: dict[str, object] = {
        "route": route,
        "method": request.method,
        "status": response.status_code,
        "duration_ms": round(elapsed * 1000, 2),
    }
    if record is not None:
        if record.owner is not None:
            fields["owner"] = record.owner
        if record.template is not None:
            fields["template"] = record.template
        if record.engine is not None:
            fields["engine"] = record.engine
        if record.outcome is not None:
            fields["outcome"] = record.outcome.value
        if record.tex_error is not None:
            fields["tex_error"] = record.tex_error
        if record.warnings:
            # Pointers only: a warning's message names its rule, and no value is logged.
            fields["warnings"] = [w.pointer for w in record.warnings[:MAX_LOGGED_WARNINGS]]
            fields["warning_count"] = len(record.warnings)
    log.info("request", extra=fields)
    return response

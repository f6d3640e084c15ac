"""What a request costs the server in CPU, read from its ``/metrics``: its own CPU seconds (TeX
runs in children, not counted) and its TeX runs, before and after; the floor (one ``/healthz``),
and from those a cold render and a refusal (429) under load, each with the health probe's
share taken out.
"""

from __future__ import annotations

from typing import Any

import httpx

from ..record import Series, parse_prometheus


def tex_counters(samples: dict[Series, float]) -> dict[str, float]:
    """The server's own CPU seconds (TeX's are its children's, not counted) and its TeX runs
    (one ``texrender_render_duration_seconds`` observation each, summed over templates)."""
    return {
        "cpu_s": samples.get(("texrender_process_cpu_seconds_total", ""), float("nan")),
        "tex_runs": sum(
            value
            for (name, _), value in samples.items()
            if name == "texrender_render_duration_seconds_count"
        ),
    }


def server_counters(url: str) -> dict[str, float]:
    """:func:`tex_counters` of the server's ``/metrics`` now (NaN CPU for a server without
    them: the baseline)."""
    response = httpx.get(f"{url}/metrics", timeout=10)
    if response.status_code == 404:
        return {"cpu_s": float("nan"), "tex_runs": 0.0}
    return tex_counters(parse_prometheus(response.text))


def floor_cpu_ms(url: str, requests: int = 500) -> float:
    """Server CPU ms of one ``/healthz`` from one keep-alive client: what the HTTP stack costs
    for a request that does nothing, so the price of a refusal can be read as a ratio."""
    with httpx.Client(base_url=url, timeout=10) as client:
        before = server_counters(url)["cpu_s"]
        for _ in range(requests):
            client.get("/healthz").raise_for_status()
        after = server_counters(url)["cpu_s"]
    return round(1000 * (after - before) / requests, 3)


def render_cpu_ms(report: dict[str, Any], floor_ms: float) -> float | None:
    """Server CPU ms of one cold render in a run, the health probe's share taken out."""
    ok = int(report["server_cpu"]["ok"])
    probes = int((report.get("probe") or {}).get("latency_ms", {}).get("count", 0))
    if not ok or report["server_cpu"]["cpu_s"] is None:
        return None
    return round((1000 * float(report["server_cpu"]["cpu_s"]) - probes * floor_ms) / ok, 3)


def refusal_cpu_ms(report: dict[str, Any], per_render_ms: float, floor_ms: float) -> float | None:
    """Server CPU ms per 429 in an overloaded run, estimated: the run's CPU less its health
    probes (at ``floor_ms`` each) and its renders (at ``per_render_ms``, from the baseline run),
    over its 429s. Measured alone, a refusal is ``refusal_cost`` (``_refusal.py``)."""
    refused = int(report["status_counts"].get("429", 0))
    if not refused or report["server_cpu"]["cpu_s"] is None:
        return None
    probes = int((report.get("probe") or {}).get("latency_ms", {}).get("count", 0))
    rest_ms = 1000 * float(report["server_cpu"]["cpu_s"]) - probes * floor_ms
    rest_ms -= per_render_ms * int(report["server_cpu"]["ok"])
    return round(max(rest_ms, 0.0) / refused, 3)

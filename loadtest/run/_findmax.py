"""``--find-max``: raise the open-loop rate step by step until the server stops meeting its
objective (p99 above the SLO, or more than 1 % errors); the last step that met it is the
highest sustainable rate. Open loop, so a server that falls behind cannot slow the offer down
and look healthy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import trio

from ..drive import Workload
from ._config import RunConfig
from ._loadrun import run_load


@dataclass(frozen=True)
class Search:
    """How to step: start rate, growth factor, step length, and the bounds of the search."""

    start_rate: float = 1.0
    factor: float = 1.5
    step_s: float = 10.0
    max_steps: int = 12
    budget_s: float = 120.0
    slo_p99_ms: float = 2000.0
    max_error_rate: float = 0.01

    @property
    def shortest_step_s(self) -> float:
        """A step shorter than this measures too little to judge: the budget stops before it."""
        return min(self.step_s, 1.0)


def step_summary(rate: float, result: dict[str, Any], search: Search) -> dict[str, Any]:
    """One step's verdict: it passes when every request was answered within the SLO at p99 and
    the error rate stayed at or under the limit."""
    p99 = result["latency_ms"]["p99"]
    probe = result.get("probe") or {}
    passed = (
        p99 is not None
        and p99 <= search.slo_p99_ms
        and result["error_rate"] <= search.max_error_rate
    )
    return {
        "rate": round(rate, 3),
        "sent": result["sent"],
        "sent_per_s": result["sent_per_s"],
        "throughput_ok_per_s": result["throughput_ok_per_s"],
        "p50_ms": result["latency_ms"]["p50"],
        "p99_ms": p99,
        "error_rate": result["error_rate"],
        "probe_p99_ms": (probe.get("latency_ms") or {}).get("p99"),
        "passed": passed,
    }


async def find_max(config: RunConfig, workload: Workload, search: Search) -> dict[str, Any]:
    """Step the rate up; returns the result of the best passing step (or the first step when
    none passed: see :func:`no_rate_found`) with a ``find_max`` section listing every step."""
    deadline = trio.current_time() + search.budget_s
    rate = search.start_rate
    steps: list[dict[str, Any]] = []
    best: tuple[float, dict[str, Any]] | None = None
    first: dict[str, Any] | None = None
    stopped = f"{search.max_steps} steps done"
    for index in range(search.max_steps):
        remaining = deadline - trio.current_time()
        if remaining < search.shortest_step_s:
            stopped = "time budget used"
            break
        step_config = config.replace(
            mode="open", rate=rate, duration_s=min(search.step_s, remaining), requests=None
        )
        label = f"find-max step {index + 1}/{search.max_steps}: {rate:.2f}/s"
        result = await run_load(step_config, workload, label=label)
        first = first or result
        step = step_summary(rate, result, search)
        steps.append(step)
        if not step["passed"]:
            stopped = f"objective missed at {rate:.2f}/s"
            break
        best = (rate, result)
        rate *= search.factor
    chosen = best[1] if best else first
    if chosen is None:
        raise ValueError("find-max: the time budget allows no step at all")
    chosen = dict(chosen)
    chosen["find_max"] = {
        "max_sustainable_rate": round(best[0], 3) if best else None,
        "slo_p99_ms": search.slo_p99_ms,
        "max_error_rate": search.max_error_rate,
        "factor": search.factor,
        "step_s": search.step_s,
        "stopped_because": stopped,
        "steps": steps,
    }
    return chosen


def no_rate_found(result: dict[str, Any]) -> str | None:
    """Why a search found no sustainable rate, or ``None`` if it found one.

    A search whose first step already missed the objective (a server that is down, answers
    errors, or is too slow even at the start rate) measured nothing sustainable: that is a
    failed run, not a result of "none".
    """
    search = result["find_max"]
    if search["max_sustainable_rate"] is not None:
        return None
    first = search["steps"][0]
    p99 = "no successful answer" if first["p99_ms"] is None else f"p99 {first['p99_ms']:g} ms"
    statuses = ", ".join(f"{k}: {v}" for k, v in result["status_counts"].items()) or "none"
    return (
        f"--find-max found no sustainable rate: the first step ({first['rate']:g}/s) already "
        f"missed the objective: {first['sent']} sent, {p99} (SLO {search['slo_p99_ms']:g} ms), "
        f"errors {first['error_rate'] * 100:.1f} % (limit {search['max_error_rate'] * 100:g} %),"
        f" statuses {statuses}. Is the server up? If so, start lower (--rate)."
    )

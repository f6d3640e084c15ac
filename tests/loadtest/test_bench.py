"""The bench's arithmetic: TeX runs and CPU seconds from /metrics, and what a render and a
refusal cost the server."""

from __future__ import annotations

import pytest

from loadtest.bench import refusal_cpu_ms, render_cpu_ms, tex_counters
from loadtest.record import parse_prometheus

from .test_record import exposition


def test_bench_counts_tex_runs_over_templates() -> None:
    text = exposition(renders=0, waits=[], cpu_s=2.25, runs={"echo": 2, "resume-classic": 3})
    assert tex_counters(parse_prometheus(text)) == {"cpu_s": 2.25, "tex_runs": 5}
    assert tex_counters({})["tex_runs"] == 0


def test_the_cost_of_a_refusal_is_what_is_left_after_the_renders_and_probes() -> None:
    run = {
        "status_counts": {"200": 10, "429": 100},
        "server_cpu": {"cpu_s": 0.51, "ok": 10},
        "probe": {"latency_ms": {"count": 20}},
    }
    # (510 - 20 probes x 3 - 10 renders x 20) / 100
    assert refusal_cpu_ms(run, per_render_ms=20.0, floor_ms=3.0) == pytest.approx(2.5)
    assert render_cpu_ms(run, floor_ms=3.0) == pytest.approx(45.0)  # (510 - 60) / 10
    assert refusal_cpu_ms({**run, "status_counts": {"200": 10}}, 20.0, 3.0) is None

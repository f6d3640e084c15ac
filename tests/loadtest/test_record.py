"""Recording a run: outcomes by second and by status, and the server's figures (Prometheus text,
as prometheus_client writes it)."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from loadtest.record import Recorder, histogram_summary, metrics_figures, parse_prometheus


def test_recorder_files_outcomes_by_second() -> None:
    recorder = Recorder(start=100.0)
    recorder.on_sent(100.1, 100.0)
    recorder.on_sent(100.2, 100.2)
    recorder.on_done(100.6, 0.6, "200", 10)
    recorder.on_done(101.5, 1.3, "timeout")
    recorder.on_probe(101.1, 0.004, "200")
    rows = recorder.timeline()
    assert [(r["sent"], r["ok"], r["errors"]) for r in rows] == [(2, 1, 0), (0, 0, 1)]
    assert rows[0]["p50"] == 600.0
    assert rows[1]["probe_p99"] == 4.0
    assert recorder.max_dispatch_lag_s == pytest.approx(0.1)
    assert recorder.status_counts == {"200": 1, "timeout": 1}


def test_the_latency_of_each_status_is_kept_apart() -> None:
    recorder = Recorder(0.0)
    for status, seconds in [("200", 1.0), ("429", 0.004), ("429", 0.006), ("timeout", 9.0)]:
        recorder.on_sent(0.0, 0.0)
        recorder.on_done(seconds, seconds, status)
    by_status = {s: histogram_summary(h) for s, h in recorder.status_histograms.items()}
    assert by_status["429"]["count"] == 2
    assert by_status["429"]["max"] == pytest.approx(6.0, abs=0.01)
    assert by_status["200"]["count"] == by_status["timeout"]["count"] == 1


# --- the server's figures (Prometheus text, as prometheus_client writes it) -----------------


def exposition(renders: int, waits: list[float], cpu_s: float, runs: dict[str, int]) -> str:
    """What texrender's /metrics would say, written by prometheus_client itself (so ``_total``,
    ``_bucket``, ``_created`` are exactly what a real server sends)."""
    registry = CollectorRegistry()
    outcome = 'ok "quoted"\\'  # a label value the exposition has to escape
    Counter("texrender_renders", "", ["outcome"], registry=registry).labels(outcome).inc(renders)
    wait = Histogram("texrender_queue_wait_seconds", "", registry=registry)
    for seconds in waits:
        wait.observe(seconds)
    duration = Histogram("texrender_render_duration_seconds", "", ["template"], registry=registry)
    for template, count in runs.items():
        for _ in range(count):
            duration.labels(template).observe(0.2)
    Counter("texrender_process_cpu_seconds", "", registry=registry).inc(cpu_s)
    Gauge("texrender_queue_depth", "", registry=registry).set(len(waits))
    Counter("python_gc_collections", "", registry=registry).inc()  # not texrender's: dropped
    return generate_latest(registry).decode()


def test_parse_prometheus_keeps_samples_as_exposed() -> None:
    text = exposition(renders=3, waits=[0.5], cpu_s=1.5, runs={"echo": 2})
    samples = parse_prometheus(text)
    renders = [key for key in samples if key[0] == "texrender_renders_total"]
    assert len(renders) == 1
    # The key is the series as the exposition writes it, escapes and all.
    assert "".join(renders[0]) + " 3.0" in text.splitlines()
    assert samples[renders[0]] == 3
    assert samples[("texrender_queue_wait_seconds_count", "")] == 1
    assert samples[("texrender_queue_wait_seconds_sum", "")] == 0.5
    assert samples[("texrender_process_cpu_seconds_total", "")] == 1.5
    names = {name for name, _ in samples}
    assert "_bucket" in text
    assert "_created" in text
    assert not any(name.endswith(("_bucket", "_created")) for name in names)
    assert not any(name.startswith("python_") for name in names)


def test_parse_prometheus_refuses_what_is_not_an_exposition() -> None:
    with pytest.raises(ValueError, match="metric name"):
        parse_prometheus("<html>not found</html>")


def test_metrics_figures_over_a_run() -> None:
    before = parse_prometheus(exposition(renders=3, waits=[0.5], cpu_s=1.0, runs={}))
    after = parse_prometheus(
        exposition(renders=7, waits=[0.5, 0.1, 0.3], cpu_s=3.5, runs={"echo": 2})
    )
    figures = metrics_figures(before, after)
    deltas = figures["deltas"]
    assert [v for k, v in deltas.items() if k.startswith("texrender_renders_total{")] == [4]
    assert deltas["texrender_process_cpu_seconds_total"] == 2.5
    assert deltas["texrender_queue_wait_seconds_count"] == 2
    assert figures["means"]["texrender_queue_wait_seconds"] == pytest.approx(0.2)
    assert figures["means"]['texrender_render_duration_seconds{template="echo"}'] == (
        pytest.approx(0.2)
    )
    assert figures["gauges"] == {"texrender_queue_depth": 3}

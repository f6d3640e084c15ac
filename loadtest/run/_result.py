"""The result of a run as one JSON-ready dict: what ``--json`` writes, what the summary and
``compare`` read, and what ``--find-max`` steps are judged on."""

from __future__ import annotations

import datetime
from typing import Any

from ..record import Recorder, histogram_summary
from ._config import RunConfig

REPORT_FORMAT = 1


def build_result(
    config: RunConfig,
    recorder: Recorder,
    *,
    started_at: datetime.datetime,
    load_window_s: float,
    server: dict[str, Any],
) -> dict[str, Any]:
    """Everything a run measured. Latencies are in milliseconds; the timeline has one row per
    second of the run (``p50``, ``p99``, ``probe_p99`` in ms, ``None`` for an empty second)."""
    elapsed = recorder.elapsed(recorder.start)
    return {
        "format": REPORT_FORMAT,
        "settings": config.as_dict(),
        "started_at": started_at.isoformat(timespec="seconds"),
        "elapsed_s": round(elapsed, 3),
        "load_window_s": round(load_window_s, 3),
        "sent": recorder.sent,
        "ok": recorder.ok,
        "errors": recorder.errors,
        "error_rate": round(recorder.errors / recorder.sent, 6) if recorder.sent else 0.0,
        "throughput_ok_per_s": round(recorder.ok / elapsed, 3) if elapsed > 0 else 0.0,
        "sent_per_s": round(recorder.sent / load_window_s, 3) if load_window_s > 0 else 0.0,
        "latency_ms": histogram_summary(recorder.histogram),
        "error_latency_ms": histogram_summary(recorder.error_histogram),
        "latency_by_status_ms": {
            status: histogram_summary(histogram)
            for status, histogram in sorted(recorder.status_histograms.items())
        },
        "status_counts": dict(sorted(recorder.status_counts.items())),
        "problem_types": recorder.problem_types(),
        "bytes_received": recorder.bytes_received,
        "probe": None
        if config.probe_path is None
        else {
            "path": config.probe_path,
            "interval_s": config.probe_interval_s,
            "latency_ms": histogram_summary(recorder.probe_histogram),
            "status_counts": dict(sorted(recorder.probe_status_counts.items())),
        },
        "client": {
            "backoffs": recorder.backoffs,
            "backoff_s": round(recorder.backoff_s, 3),
            "max_in_flight": recorder.max_in_flight,
            "max_dispatch_lag_ms": round(recorder.max_dispatch_lag_s * 1000, 3),
        },
        "timeline": recorder.timeline(),
        "server": server,
    }

"""The soak's record: one :class:`loadtest.record.Recorder` per kind, and each kind's summary
(the latency of all its answers, since a 400 is the expected answer of some kinds)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..record import Recorder, histogram_summary, new_histogram
from ._kinds import DOCUMENTED


@dataclass
class Tally:
    """One recorder per kind (status counts, HDR latencies), sharing the run's start."""

    start: float
    kinds: dict[str, Recorder] = field(default_factory=dict)

    def of(self, kind: str) -> Recorder:
        recorder = self.kinds.get(kind)
        if recorder is None:
            recorder = self.kinds[kind] = Recorder(self.start)
        return recorder

    def status_counts(self) -> dict[str, dict[str, int]]:
        return {kind: dict(sorted(r.status_counts.items())) for kind, r in self.kinds.items()}

    def sent(self) -> int:
        return sum(r.sent for r in self.kinds.values())

    def in_flight(self) -> int:
        return sum(r.in_flight for r in self.kinds.values())


def all_answers(recorder: Recorder) -> dict[str, float | int | None]:
    """Latency of every answer of a kind, successes and errors alike (a 400 is the expected
    answer of some kinds)."""
    ok, errors = recorder.histogram, recorder.error_histogram
    if not errors.get_total_count() or not ok.get_total_count():
        return histogram_summary(ok if ok.get_total_count() else errors)
    every = new_histogram()
    every.add(ok)
    every.add(errors)
    summary = histogram_summary(every)
    summary["min"] = round(min(ok.get_min_value(), errors.get_min_value()) / 1000, 3)
    return summary


def kind_summary(kind: str, recorder: Recorder, weight: float | None) -> dict[str, Any]:
    return {
        "weight": weight,
        "sent": recorder.sent,
        "status_counts": dict(sorted(recorder.status_counts.items())),
        "documented": sorted(DOCUMENTED.get(kind, frozenset())),
        "latency_ms": all_answers(recorder),
        "ok_latency_ms": histogram_summary(recorder.histogram),
    }

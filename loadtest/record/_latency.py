"""Latencies in HDR histograms: every one kept to 3 significant digits (so p99.9 is exact to 3
digits, not a guess from a sample), summarised in milliseconds.

Latencies are recorded in microseconds, 1 µs to 120 s; longer ones are clamped to 120 s.
"""

from __future__ import annotations

import math
from typing import Any

from hdrh.histogram import HdrHistogram  # type: ignore[import-untyped]

LOWEST_US = 1
HIGHEST_US = 120_000_000
SIGNIFICANT_FIGURES = 3
PERCENTILES = (50.0, 90.0, 99.0, 99.9)


def new_histogram() -> Any:
    return HdrHistogram(LOWEST_US, HIGHEST_US, SIGNIFICANT_FIGURES)


def to_us(seconds: float) -> int:
    return min(max(round(seconds * 1e6), LOWEST_US), HIGHEST_US)


def percentile_key(p: float) -> str:
    return f"p{p:g}"


def histogram_summary(histogram: Any) -> dict[str, float | int | None]:
    """count, min, mean, p50, p90, p99, p99.9 and max of an HDR histogram, in milliseconds
    (``None`` when it is empty)."""
    count = int(histogram.get_total_count())
    summary: dict[str, float | int | None] = {"count": count}
    empty = count == 0
    summary["min"] = None if empty else round(histogram.get_min_value() / 1000, 3)
    summary["mean"] = None if empty else round(histogram.get_mean_value() / 1000, 3)
    for p in PERCENTILES:
        value = histogram.get_value_at_percentile(p)
        summary[percentile_key(p)] = None if empty else round(value / 1000, 3)
    summary["max"] = None if empty else round(histogram.get_max_value() / 1000, 3)
    return summary


def nearest_rank(samples: list[int], p: float) -> float | None:
    """The ``p``-th percentile (nearest rank) of raw microsecond samples, in ms."""
    if not samples:
        return None
    ordered = sorted(samples)
    index = max(math.ceil(p / 100 * len(ordered)) - 1, 0)
    return round(ordered[index] / 1000, 3)

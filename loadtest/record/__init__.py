"""Record: what happened during a run, kept as it happened.

The client's side in a :class:`Recorder` (every latency in an HDR histogram, counts by status, a
per-second timeline) and the server's own account (``/metrics`` before and after, ``/readyz``
before, during and after). Nothing here sends load or prints: :mod:`loadtest.drive` fills a
recorder, :mod:`loadtest.report` reads one.
"""

from __future__ import annotations

from ._latency import PERCENTILES, histogram_summary, new_histogram, percentile_key
from ._recorder import Recorder
from ._server_stats import (
    ReadyzPeaks,
    Series,
    metrics_figures,
    parse_prometheus,
    read_readyz,
    scrape_metrics,
)

__all__ = [
    "PERCENTILES",
    "ReadyzPeaks",
    "Recorder",
    "Series",
    "histogram_summary",
    "metrics_figures",
    "new_histogram",
    "parse_prometheus",
    "percentile_key",
    "read_readyz",
    "scrape_metrics",
]

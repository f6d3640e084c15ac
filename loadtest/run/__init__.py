"""Run: one bounded load run from start to end, and the ``--find-max`` search made of runs.

A run composes the three stages: it reads the server's figures, drives the load with the probe
and the progress display beside it (:mod:`loadtest.drive`, :mod:`loadtest.report`), reads the
figures again, and turns what was recorded (:mod:`loadtest.record`) into one JSON-ready result.
:class:`RunConfig` is what a run is asked to do, kept verbatim in that result.
"""

from __future__ import annotations

from ._config import RunConfig
from ._findmax import Search, find_max, no_rate_found
from ._loadrun import run_load

__all__ = [
    "RunConfig",
    "Search",
    "find_max",
    "no_rate_found",
    "run_load",
]

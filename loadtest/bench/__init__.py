"""``make bench``: what this machine can do, and how close texrender gets to it (the steps, as
``--help`` prints them, are in ``_about.py``)."""

from __future__ import annotations

from ._cli import build_parser, main
from ._cluster import ClusterPlan, cluster
from ._fairness import FairnessPlan, fairness, fairness_ratio, parse_key, phase_summary
from ._markdown import (
    cluster_markdown,
    cluster_section,
    fairness_markdown,
    fairness_section,
    markdown,
)
from ._server_cpu import refusal_cpu_ms, render_cpu_ms, tex_counters
from ._steps import bench

__all__ = [
    "ClusterPlan",
    "FairnessPlan",
    "bench",
    "build_parser",
    "cluster",
    "cluster_markdown",
    "cluster_section",
    "fairness",
    "fairness_markdown",
    "fairness_ratio",
    "fairness_section",
    "main",
    "markdown",
    "parse_key",
    "phase_summary",
    "refusal_cpu_ms",
    "render_cpu_ms",
    "tex_counters",
]

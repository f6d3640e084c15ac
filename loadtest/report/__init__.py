"""Report: what a run measured, shown to a person.

Progress while it runs (a live panel, a line a second, or nothing), the summary tables at its
end, two saved runs side by side (``compare``), and the timeline drawn as a PNG (``--plot``).
Everything here reads a :class:`loadtest.record.Recorder` or a result dict; nothing sends a
request.
"""

from __future__ import annotations

from ._compare import run_compare
from ._format import LATENCY_KEYS, format_ms, wide_console
from ._live import Display, choose_display, show_progress
from ._plot import matplotlib_missing, plot_timeline
from ._summary import find_max_table, print_summary, summary_table

__all__ = [
    "LATENCY_KEYS",
    "Display",
    "choose_display",
    "find_max_table",
    "format_ms",
    "matplotlib_missing",
    "plot_timeline",
    "print_summary",
    "run_compare",
    "show_progress",
    "summary_table",
    "wide_console",
]

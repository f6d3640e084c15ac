"""Report: what a run measured, shown to a person.

Progress while it runs (a live panel, a line a second, or nothing), the summary tables at its
end, two saved runs side by side (``compare``), and the timeline drawn as a PNG (``--plot``).
Everything here reads a :class:`loadtest.record.Recorder` or a result dict; nothing sends a
request.
"""

from __future__ import annotations

from ._compare import run_compare
from ._format import format_ms, wide_console
from ._live import Display, choose_display, show_progress
from ._plot import matplotlib_missing, plot_timeline
from ._summary import print_summary

__all__ = [
    "Display",
    "choose_display",
    "format_ms",
    "matplotlib_missing",
    "plot_timeline",
    "print_summary",
    "run_compare",
    "show_progress",
    "wide_console",
]

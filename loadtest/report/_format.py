"""How figures are written: milliseconds in a table cell, the latency keys a table shows, and a
console that keeps tables whole in a log."""

from __future__ import annotations

from rich.console import Console

from ..record import PERCENTILES, percentile_key

LATENCY_KEYS = [*(percentile_key(p) for p in PERCENTILES), "max"]


def format_ms(value: float | None) -> str:
    """Milliseconds for a table cell: 3 significant figures, ``—`` when there is no value."""
    if value is None:
        return "—"
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def wide_console() -> Console:
    """Rich's console; a fixed width when not a terminal so tables don't wrap at 80 columns."""
    console = Console()
    return console if console.is_terminal else Console(width=120)

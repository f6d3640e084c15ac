"""Progress while a run is going: a rich live panel on a terminal (refreshed 4 times a second),
one plain line a second otherwise (logs, CI), or nothing with ``--quiet``."""

from __future__ import annotations

import sys
from typing import Any, Literal

import trio
from rich.console import Console
from rich.live import Live
from rich.panel import Panel

from ..record import Recorder
from ._format import format_ms

# How a run shows its progress: a live panel, a line a second, or nothing.
Display = Literal["live", "lines", "none"]


def _ms(histogram: Any, percentile: float) -> str:
    return format_ms(histogram.get_value_at_percentile(percentile) / 1000) + " ms"


def _snapshot(recorder: Recorder, now: float) -> dict[str, str]:
    elapsed = recorder.elapsed(now)
    last = recorder.seconds.get(int(elapsed) - 1)
    histogram = recorder.histogram
    has_ok = histogram.get_total_count() > 0
    probe = recorder.probe_histogram
    has_probe = probe.get_total_count() > 0
    statuses = " ".join(f"{k}:{v}" for k, v in sorted(recorder.status_counts.items()))
    return {
        "elapsed": f"{elapsed:.1f} s",
        "sent": str(recorder.sent),
        "ok": str(recorder.ok),
        "errors": str(recorder.errors),
        "in flight": str(recorder.in_flight),
        "rate": f"{last.ok if last else 0} ok/s",
        "p50": _ms(histogram, 50) if has_ok else "—",
        "p99": _ms(histogram, 99) if has_ok else "—",
        "probe p99": _ms(probe, 99) if has_probe else "—",
        "statuses": statuses or "—",
    }


def _panel(label: str, snapshot: dict[str, str]) -> Panel:
    def pairs(keys: tuple[str, ...]) -> str:
        return "   ".join(f"[bold]{key}[/] {snapshot[key]}" for key in keys)

    lines = [
        pairs(("elapsed", "sent", "ok", "errors", "in flight")),
        pairs(("rate", "p50", "p99", "probe p99")),
        pairs(("statuses",)),
    ]
    return Panel("\n".join(lines), title=label, title_align="left", expand=False)


def _line(label: str, snapshot: dict[str, str]) -> str:
    fields = ", ".join(f"{k} {v}" for k, v in snapshot.items())
    return f"{label}: {fields}"


async def show_progress(recorder: Recorder, display: Display, label: str) -> None:
    """Show ``recorder`` until cancelled (the caller cancels when the run ends)."""
    if display == "none":
        await trio.sleep_forever()
    if display == "lines":
        while True:
            await trio.sleep(1)
            print(_line(label, _snapshot(recorder, trio.current_time())), file=sys.stderr)
    console = Console()
    with Live(console=console, auto_refresh=False, transient=False) as live:
        try:
            while True:
                live.update(_panel(label, _snapshot(recorder, trio.current_time())), refresh=True)
                await trio.sleep(0.25)
        finally:
            live.update(_panel(label, _snapshot(recorder, trio.current_time())), refresh=True)


def choose_display(quiet: bool) -> Display:
    """Live panel on a terminal, plain lines when stdout is redirected, nothing when quiet."""
    if quiet:
        return "none"
    return "live" if sys.stdout.isatty() else "lines"

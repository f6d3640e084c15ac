"""``python -m loadtest compare A.json B.json``: two saved runs side by side with the ratio
B/A, to see what a change did (below 1 is better for latency, above 1 for throughput)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from ._format import LATENCY_KEYS, format_ms

Row = tuple[str, float | None, float | None]


def load_report(path: Path) -> dict[str, Any]:
    """Raises: OSError, ValueError (not JSON, or not a loadtest report)."""
    report = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(report, dict) or "latency_ms" not in report:
        raise ValueError(f"{path} is not a loadtest report")
    return report


def _probe_p99(report: dict[str, Any]) -> float | None:
    probe = report.get("probe") or {}
    value = (probe.get("latency_ms") or {}).get("p99")
    return None if value is None else float(value)


def comparison_rows(a: dict[str, Any], b: dict[str, Any]) -> list[Row]:
    """(what, A, B) for throughput, each latency percentile, the mean, probe p99, error rate."""
    rows: list[Row] = [("throughput (ok/s)", a["throughput_ok_per_s"], b["throughput_ok_per_s"])]
    for key in [*LATENCY_KEYS, "mean"]:
        rows.append((f"latency {key} (ms)", a["latency_ms"].get(key), b["latency_ms"].get(key)))
    rows.append(("probe p99 (ms)", _probe_p99(a), _probe_p99(b)))
    rows.append(("error rate (%)", a["error_rate"] * 100, b["error_rate"] * 100))
    return rows


def ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None:
        return "—"
    if a == 0:
        return "=" if b == 0 else "∞"
    return f"{b / a:.2f}x"


def comparison_table(a: dict[str, Any], b: dict[str, Any], names: tuple[str, str]) -> Table:
    table = Table(title=f"A = {names[0]}   B = {names[1]}", title_justify="left")
    table.add_column("")
    table.add_column("A", justify="right")
    table.add_column("B", justify="right")
    table.add_column("B/A", justify="right")
    for what, value_a, value_b in comparison_rows(a, b):
        table.add_row(what, format_ms(value_a), format_ms(value_b), ratio(value_a, value_b))
    return table


def run_compare(path_a: Path, path_b: Path, console: Console) -> int:
    """Print the comparison; 2 if a file cannot be read as a report."""
    try:
        a, b = load_report(path_a), load_report(path_b)
    except (OSError, ValueError) as exc:
        console.print(f"loadtest compare: {exc}", style="red", highlight=False)
        return 2
    console.print(comparison_table(a, b, (str(path_a), str(path_b))))
    return 0

"""What the soak shows: a progress line every so often while it runs (a soak is long, and
silence looks like a hang), and the tables of its summary at the end."""

from __future__ import annotations

import sys
from collections import Counter
from typing import Any

import trio
from rich.console import Console
from rich.table import Table

from ..report import format_ms
from ._config import MIB
from ._kinds import DOCUMENTED, PROBE_KIND, undocumented
from ._tally import Tally


async def show_progress(tally: Tally, duration_s: float, every_s: float) -> None:
    """A line every ``every_s`` on stderr: a soak is long, and silence looks like a hang."""
    while True:
        await trio.sleep(every_s)
        elapsed = trio.current_time() - tally.start
        counts: Counter[str] = Counter()
        for recorder in tally.kinds.values():
            counts.update(recorder.status_counts)
        bad = sum(sum(c.values()) for c in undocumented(tally.status_counts()).values())
        statuses = " ".join(f"{k}:{v}" for k, v in sorted(counts.items()))
        print(
            f"soak {elapsed:.0f}/{duration_s:.0f} s: sent {tally.sent()}, in flight "
            f"{tally.in_flight()}, undocumented {bad}; {statuses}",
            file=sys.stderr,
            flush=True,
        )


def _mib(value: int | None) -> str:
    return "—" if value is None else f"{value / MIB:.1f} MiB"


def _n(value: int | None) -> str:
    return "—" if value is None else str(value)


def print_report(summary: dict[str, Any], console: Console) -> None:
    """The summary as tables: the kinds and their statuses, the footprint, the verdict."""
    load, capacity = summary["load"], summary["capacity"]
    lines = [
        f"server {summary['server']['url']}, {summary['server']['render_slots']} render slots",
        f"capacity {capacity['renders_per_s']} renders/s ({capacity['clients']} clients, "
        f"{capacity['elapsed_s']:g} s; {capacity['status_counts']})"
        if capacity
        else "capacity not measured (--rate)",
        f"load {load['rate_per_s']} requests/s (TeX share {load['tex_share']}), "
        f"{load['sent']} sent in {load['load_window_s']:g} s, seed {summary['settings']['seed']}",
    ]
    for line in lines:
        console.print(line, highlight=False)

    kinds = Table(title="requests by kind")
    for column in ("kind", "weight", "sent", "statuses", "documented", "p50 ms", "p99 ms"):
        kinds.add_column(column, justify="right" if "ms" in column or column == "sent" else "left")
    bad = summary["undocumented"]
    rows = [(k, v) for k, v in summary["kinds"].items()]
    probe = summary["probe"]
    probe_row = {
        "weight": None,
        "sent": sum(probe["status_counts"].values()),
        "status_counts": probe["status_counts"],
        "documented": sorted(DOCUMENTED[PROBE_KIND]),
        "latency_ms": probe["latency_ms"],
    }
    for kind, row in [*rows, (PROBE_KIND, probe_row)]:
        statuses = ", ".join(
            f"[red]{s}: {n}[/]" if s in bad.get(kind, {}) else f"{s}: {n}"
            for s, n in row["status_counts"].items()
        )
        kinds.add_row(
            kind,
            "—" if row["weight"] is None else f"{row['weight']:g}",
            str(row["sent"]),
            statuses or "—",
            ", ".join(row["documented"]),
            format_ms(row["latency_ms"]["p50"]),
            format_ms(row["latency_ms"]["p99"]),
        )
    console.print(kinds)
    totals = ", ".join(f"{s}: {n}" for s, n in summary["status_counts"].items())
    console.print(f"all statuses: {totals}", highlight=False)
    metrics = summary["server_metrics"]
    if metrics is not None:
        outcomes = ", ".join(f"{k}: {v:g}" for k, v in metrics["render_outcomes"].items())
        console.print(f"server render outcomes: {outcomes}", highlight=False)

    figures = summary["figures"]
    thresholds = summary["verdict"]["thresholds"]
    table = Table(title="server footprint")
    for column in ("", "start", "end", "after exit", "limit at the end"):
        table.add_column(column, justify="right" if column else "left")
    start, end, after = figures["start"], figures["end"], figures["after_exit"]
    rss_limit = (
        None
        if start["rss_bytes"] is None
        else int(thresholds["rss_factor"] * start["rss_bytes"] + thresholds["rss_slack_bytes"])
    )
    fd_limit = None if start["open_fds"] is None else start["open_fds"] + thresholds["fd_slack"]
    table.add_row("RSS", _mib(start["rss_bytes"]), _mib(end["rss_bytes"]), "—", _mib(rss_limit))
    table.add_row("open fds", _n(start["open_fds"]), _n(end["open_fds"]), "—", _n(fd_limit))
    table.add_row(
        "work dir entries", _n(start["work_entries"]), _n(end["work_entries"]),
        _n(after["work_entries"]), "0",
    )  # fmt: skip
    table.add_row(
        "TeX processes", _n(start["tex_processes"]), _n(end["tex_processes"]),
        _n(after["tex_processes"]), "0",
    )  # fmt: skip
    console.print(table)
    stop = summary["stop"]
    console.print(
        f"SIGTERM: exited in {stop['exit_s']:.2f} s with code {stop['returncode']}"
        + (" (killed)" if stop["killed"] else ""),
        highlight=False,
    )
    log = summary["server_log"]
    levels = ", ".join(f"{k}: {v}" for k, v in log["levels"].items())
    console.print(f"server log: {log['lines']} lines ({levels})", highlight=False)
    for line in log["first_errors"]:
        console.print(f"  {line}", highlight=False, markup=False)
    verdict_ = summary["verdict"]
    if verdict_["passed"]:
        console.print("[bold green]soak passed[/]")
    else:
        console.print("[bold red]soak failed:[/]")
        for failure in verdict_["failures"]:
            console.print(f"  - {failure}", highlight=False)

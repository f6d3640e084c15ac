"""The summary printed at the end of a run: one table of what it measured (throughput,
percentiles, statuses, probe, client, the server's own figures), and the steps of a
``--find-max`` search above it."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from ._format import LATENCY_KEYS, format_ms


def _server_rows(server: dict[str, Any]) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    ready = server.get("readyz_after") or server.get("readyz_before") or {}
    if "render_slots" in ready:
        rows.append(("server render slots", str(ready["render_slots"])))
    peaks = server.get("readyz_peaks") or {}
    if peaks.get("samples"):
        rows.append(
            (
                "server peaks (readyz)",
                f"in flight {peaks.get('renders_in_flight', '—')}, "
                f"queue {peaks.get('queue_depth', '—')}, "
                f"not ready {peaks['not_ready']}/{peaks['samples']} samples",
            )
        )
    metrics = server.get("metrics")
    if metrics is None:
        rows.append(("server /metrics", "not exposed"))
        return rows
    means = metrics["means"]
    for key, value in means.items():
        if key.startswith("texrender_") and "_http_" not in key and value is not None:
            name = key.removeprefix("texrender_").replace("_seconds", "")
            rows.append((f"server mean {name}", f"{format_ms(value * 1000)} ms"))
    for key, value in metrics["deltas"].items():
        if key.endswith("process_cpu_seconds_total"):
            rows.append(("server process CPU (excl. TeX)", f"{value:.2f} s"))
    counters = [
        f"{k.removeprefix('texrender_')} +{v:g}"
        for k, v in metrics["deltas"].items()
        if k.startswith("texrender_")
        and k.split("{")[0].endswith("_total")
        and not k.startswith(("texrender_http_", "texrender_process_"))
        and v
    ]
    if counters:
        rows.append(("server counters", "\n".join(counters)))
    return rows


def summary_table(result: dict[str, Any], title: str = "load test") -> Table:
    """The final summary: throughput, percentiles, statuses, probe, bytes, server figures."""
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column("what", style="bold")
    table.add_column("value")
    settings = result["settings"]
    how = (
        f"closed loop, {settings['concurrency']} clients"
        if settings["mode"] == "closed"
        else f"open loop, {settings['rate']:g}/s offered"
    )
    table.add_row("target", f"{settings['url']} ({how})")
    table.add_row(
        "throughput",
        f"{result['throughput_ok_per_s']:.2f} ok/s "
        f"({result['ok']} ok of {result['sent']} sent in {result['elapsed_s']:.1f} s)",
    )
    latency = result["latency_ms"]
    table.add_row(
        "latency (ms)",
        "  ".join(f"{k} {format_ms(latency[k])}" for k in [*LATENCY_KEYS, "mean"]),
    )
    statuses = ", ".join(f"{k}: {v}" for k, v in result["status_counts"].items())
    table.add_row("statuses", statuses or "—")
    problems = [
        f"{status} {kind}: {count}"
        for status, kinds in (result.get("problem_types") or {}).items()
        for kind, count in kinds.items()
    ]
    if problems:
        table.add_row("problem types", ", ".join(problems))
    for status, summary in result.get("latency_by_status_ms", {}).items():
        if status != "200":
            table.add_row(
                f"{status} latency (ms)",
                f"p50 {format_ms(summary['p50'])}  p99 {format_ms(summary['p99'])}  "
                f"max {format_ms(summary['max'])}",
            )
    table.add_row("error rate", f"{result['error_rate'] * 100:.2f} %")
    probe = result.get("probe")
    if probe is not None:
        p = probe["latency_ms"]
        table.add_row(
            f"probe {probe['path']} (ms)",
            f"p50 {format_ms(p['p50'])}  p99 {format_ms(p['p99'])}  "
            f"max {format_ms(p['max'])}  ({p['count']} probes)",
        )
    table.add_row("bytes received", f"{result['bytes_received']:,}")
    client = result["client"]
    table.add_row(
        "client",
        f"waited as Retry-After asked {client.get('backoffs', 0)} times, "
        f"max in flight {client['max_in_flight']}, "
        f"max dispatch lag {format_ms(client['max_dispatch_lag_ms'])} ms",
    )
    for what, value in _server_rows(result.get("server") or {}):
        table.add_row(what, value)
    return table


def print_summary(result: dict[str, Any], console: Console) -> None:
    if "find_max" in result:
        console.print(find_max_table(result["find_max"]))
    console.print(summary_table(result))


def find_max_table(find_max: dict[str, Any]) -> Table:
    best = find_max["max_sustainable_rate"]
    table = Table(
        title=f"find-max: highest sustainable rate {best if best is not None else 'none'}/s "
        f"(SLO p99 ≤ {find_max['slo_p99_ms']:g} ms, errors ≤ "
        f"{find_max['max_error_rate'] * 100:g} %; stopped: {find_max['stopped_because']})",
        title_justify="left",
    )
    columns = ("offered /s", "sent /s", "ok/s", "p50 ms", "p99 ms", "errors", "probe p99 ms", "ok?")
    for column in columns:
        table.add_column(column, justify="right")
    for step in find_max["steps"]:
        table.add_row(
            f"{step['rate']:.2f}",
            f"{step['sent_per_s']:.2f}",
            f"{step['throughput_ok_per_s']:.2f}",
            format_ms(step["p50_ms"]),
            format_ms(step["p99_ms"]),
            f"{step['error_rate'] * 100:.1f} %",
            format_ms(step["probe_p99_ms"]),
            "yes" if step["passed"] else "no",
        )
    return table

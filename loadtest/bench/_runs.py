"""The bench's load runs: each one the harness's own command line run in this process
(``loadtest URL -c N --json ...``) with the server's CPU counters read around it, the same load
against the yardstick service, and each run's row of the results table.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import cli
from ..drive import serving
from ._baseline import BaselineUnavailable, baseline_argv, baseline_env, baseline_python
from ._errors import BenchError
from ._server_cpu import server_counters


@dataclass(frozen=True)
class Run:
    """One load run: a closed loop of ``clients`` per render slot (or a fixed number)."""

    name: str
    description: str
    clients: int
    unique: bool
    polite: bool = True  # wait as Retry-After asks
    ramp_s: float = 0.0  # start the clients over this long


def run_load(url: str, run: Run, template: str, data: Path, args: argparse.Namespace) -> Any:
    """One harness run (in this process, through the harness's own command line), with the
    server's CPU seconds per TeX run measured around it."""
    with tempfile.TemporaryDirectory(prefix="texrender-bench-") as tmp:
        report = Path(tmp) / f"{run.name}.json"
        argv = [url, "--template", template, "--data", str(data), "-c", str(run.clients)]
        argv += ["--duration", str(args.duration), "--json", str(report)]
        if run.unique:
            argv.append("--unique")
        if not run.polite:
            argv.append("--ignore-retry-after")
        if run.ramp_s:
            argv += ["--ramp", str(run.ramp_s)]
        if args.quiet:
            argv.append("--quiet")
        print(f"\n== run {run.name}: {run.description} ({run.clients} clients)", flush=True)
        before = server_counters(url)
        code = cli.main(argv)
        after = server_counters(url)
        if code != 0:
            raise BenchError(f"run {run.name}: the harness exited with {code}")
        result: dict[str, Any] = json.loads(report.read_text())
    tex_runs = after["tex_runs"] - before["tex_runs"]
    ok = sum(v for k, v in result["status_counts"].items() if k.startswith("2"))
    cpu_s = after["cpu_s"] - before["cpu_s"]
    measured = not math.isnan(cpu_s)
    means = ((result.get("server") or {}).get("metrics") or {}).get("means") or {}
    result["tex_mean_s"] = next(
        (v for k, v in means.items() if k.startswith("texrender_render_duration_seconds")), None
    )
    result["server_cpu"] = {
        "cpu_s": round(cpu_s, 3) if measured else None,
        "tex_runs": tex_runs,
        "ok": ok,
        "ms_per_tex_run": round(1000 * cpu_s / tex_runs, 2) if tex_runs and measured else None,
        "ms_per_response": round(1000 * cpu_s / ok, 3) if ok and measured else None,
    }
    return result


def run_baseline(
    run: Run, tex: Path, template: str, data: Path, args: argparse.Namespace
) -> Any | None:
    """The same load against the yardstick service, or None (said why) if it cannot start."""
    try:
        python = baseline_python()
    except BaselineUnavailable as exc:
        print(f"bench: no baseline run: {exc}", file=sys.stderr)
        return None
    with serving(baseline_argv(python), env=baseline_env(tex)) as server:
        url = server.wait_for_url()
        report = run_load(url, run, template, data, args)
    return report


def run_row(run: Run, report: dict[str, Any], limits: dict[str, Any]) -> dict[str, Any]:
    probe = (report.get("probe") or {}).get("latency_ms") or {}
    errors = {k: v for k, v in report["status_counts"].items() if not k.startswith("2")}
    ok_per_s = report["throughput_ok_per_s"]
    refused = (report.get("latency_by_status_ms") or {}).get("429") or {}
    return {
        "run": run.name,
        "description": run.description,
        "clients": run.clients,
        "unique": run.unique,
        "ok_per_s": ok_per_s,
        # texrender starts from the uncompressed format: its limit is the one to approach
        "of_format_limit": round(
            ok_per_s / limits.get("format_uncompressed", limits["format"])["renders_per_s"], 3
        ),
        "of_plain_limit": round(ok_per_s / limits["plain"]["renders_per_s"], 3),
        "p50_ms": report["latency_ms"]["p50"],
        "p99_ms": report["latency_ms"]["p99"],
        "probe_p50_ms": probe.get("p50"),
        "probe_p99_ms": probe.get("p99"),
        "server_ms_per_tex_run": report["server_cpu"]["ms_per_tex_run"],
        "server_ms_per_response": report["server_cpu"]["ms_per_response"],
        "errors_by_status": errors,
        "refused_p99_ms": refused.get("p99"),
        "server_ms_per_429": report.get("server_ms_per_429"),
        "polite": run.polite,
    }

"""The bench from start to end: the machine limit, a real server and its floor, the seven loads
against it, one refusal measured alone, fair sharing between two keys, many instances behind
HAProxy, the same load against the yardstick; all in one results dict (what
``bench/results.json`` holds). The fairness and cluster steps also run alone (``--only``), and
so do the overload figures and the machine limit."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

from ..drive import REPO, TEXRENDER, separation, serving, wait_ready
from ._cluster import ClusterPlan, cluster, missing_tools
from ._errors import BenchError
from ._fairness import FairnessPlan, fairness
from ._machine import machine_info, machine_limit
from ._refusal import refusal_cost
from ._runs import Run, run_baseline, run_load, run_row
from ._server_cpu import floor_cpu_ms, refusal_cpu_ms, render_cpu_ms
from ._tex_in_server import tex_in_server

OVERLOAD_RAMP_S = 2.0
HOSTILE_YARDSTICK = 8  # clients of run h, the figure run e's renders/s is held against
REFUSALS = 400


def find_sample(template_dirs: list[Path], template: str) -> Path:
    for directory in [*template_dirs, REPO / "templates"]:
        sample = directory / template / "sample.json"
        if sample.is_file():
            return sample
    raise BenchError(f"no sample.json for {template!r}: pass --data FILE")


def bench(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="texrender-bench-") as tmp:
        return _bench(args, Path(tmp))


def fairness_plan(args: argparse.Namespace) -> FairnessPlan:
    return FairnessPlan(renders=args.fairness_renders, flood_clients=args.flood_clients)


def fairness_step(args: argparse.Namespace, data: Path, workdir: Path) -> dict[str, Any]:
    """Fair sharing between keys: a server of its own with auth on, two keys, one flooding."""
    plan = fairness_plan(args)
    print(
        f"\n== fair sharing: a probe key's {plan.renders} renders, idle and beside another "
        f"key's {plan.flood_clients} hostile clients",
        flush=True,
    )
    template_flags = [flag for d in args.templates for flag in ("--templates", str(d))]
    slots = ["--slots", str(args.slots)] if args.slots else []
    found = fairness([*template_flags, *slots], args.template, data, workdir, plan)
    idle, flooded = found["idle"]["latency_ms"], found["flooded"]["latency_ms"]
    print(
        f"probe p50/p99 idle {idle['p50']}/{idle['p99']} ms, flooded "
        f"{flooded['p50']}/{flooded['p99']} ms; one render {found['render_ms']} ms; ratio "
        f"{found['ratio']} (target <= {found['target_ratio']:g}); probe 429s "
        f"{found['probe_429']}; flood refused {found['flood']['refused_by_type']} "
        f"({found['elapsed_s']:.0f} s)",
        flush=True,
    )
    return found


def fairness_only(args: argparse.Namespace) -> dict[str, Any]:
    """The fairness step alone (``--only fairness``), with the machine it ran on."""
    data = args.data or find_sample(args.templates, args.template)
    with tempfile.TemporaryDirectory(prefix="texrender-bench-") as tmp:
        return {"machine": machine_info(), "fairness": fairness_step(args, data, Path(tmp))}


def cluster_step(args: argparse.Namespace, data: Path, workdir: Path) -> dict[str, Any]:
    """Many instances behind HAProxy: one instance directly, through HAProxy, three through it."""
    plan = ClusterPlan(clients=args.cluster_clients, duration_s=args.cluster_duration)
    print(
        f"\n== many instances: 1 and 3 instances on one Redis, directly and through HAProxy, "
        f"{plan.clients} clients, {plan.duration_s:g} s a run, {plan.rounds} rounds",
        flush=True,
    )
    template_flags = [flag for d in args.templates for flag in ("--templates", str(d))]
    found = cluster(template_flags, args.template, data, workdir, plan)
    print(f"({found['elapsed_s']:.0f} s)", flush=True)
    return found


def cluster_only(args: argparse.Namespace) -> dict[str, Any]:
    """The cluster step alone (``--only cluster``), with the machine it ran on."""
    data = args.data or find_sample(args.templates, args.template)
    with tempfile.TemporaryDirectory(prefix="texrender-bench-") as tmp:
        return {"machine": machine_info(), "cluster": cluster_step(args, data, Path(tmp))}


def overload_only(args: argparse.Namespace) -> dict[str, Any]:
    """The machine limit, runs a, h and e, and one 429 alone (``--only overload``): the
    hostile-overload figures without the rest."""
    with tempfile.TemporaryDirectory(prefix="texrender-bench-") as tmp:
        return _bench(args, Path(tmp), runs=("a", "h", "e"), rest=False)


def limits_only(args: argparse.Namespace) -> dict[str, Any]:
    """The machine limit alone, the Unicode path's scripts with it (``--only limits``)."""
    with tempfile.TemporaryDirectory(prefix="texrender-bench-") as tmp:
        return _bench(args, Path(tmp), runs=(), rest=False)


def _bench(
    args: argparse.Namespace,
    workdir: Path,
    *,
    runs: tuple[str, ...] | None = None,
    rest: bool = True,
) -> dict[str, Any]:
    """The bench; ``runs`` the load runs to make (None: all), ``rest`` whether to measure the
    refusal alone, fair sharing, the cluster and the baseline too (the refusal comes with
    run e)."""
    template_flags = [flag for d in args.templates for flag in ("--templates", str(d))]
    data = args.data or find_sample(args.templates, args.template)
    print(f"texrender bench: template {args.template}, data {data}", flush=True)
    machine = machine_info()
    limit = machine_limit(template_flags, args.template, data, args.compiles, workdir)
    print(
        f"machine limit: plain {limit['plain']['cpu_s']:.3f} CPU-s per compile "
        f"-> {limit['plain']['renders_per_s']:.2f} renders/s; from a format "
        f"{limit['format']['cpu_s']:.3f} CPU-s -> {limit['format']['renders_per_s']:.2f}/s; "
        f"uncompressed {limit['format_uncompressed']['cpu_s']:.3f} CPU-s "
        f"-> {limit['format_uncompressed']['renders_per_s']:.2f}/s",
        flush=True,
    )
    # Loopback servers of the bench's own: no keys, stored documents in its scratch directory.
    serve = [str(TEXRENDER), *template_flags, "--auth", "off", "--data-dir", str(workdir / "data")]
    if args.slots:
        serve += ["--slots", str(args.slots)]
    with serving([*serve, "serve", "--bind", "127.0.0.1:0"]) as server:
        url = server.wait_for_url()
        readyz = wait_ready(url)
        slots = int(readyz["render_slots"])
        floor = floor_cpu_ms(url)
        print(f"server CPU per /healthz (one client): {floor:.3f} ms", flush=True)
        served_tex = tex_in_server(
            url, server.process.pid, args.template, data, args.served_renders
        )
        print(
            "TeX CPU per render in the server: "
            + ", ".join(
                f"{case} {cpu:.3f} ({served_tex['of_fast'][case]:.2f}x)"
                for case, cpu in served_tex["cpu_s"].items()
            )
            + f"; {served_tex['forked']:.0f} forked, {served_tex['declined']:.0f} started afresh",
            flush=True,
        )
        every = [
            Run("a", "2x slots, unique bodies", 2 * slots, unique=True),
            Run("g", "1 client, unique bodies (low load)", 1, unique=True),
            Run("b", "8x slots, unique bodies (queueing)", 8 * slots, unique=True),
            Run("h", "8 clients, unique bodies (run e's yardstick)", HOSTILE_YARDSTICK, True),
            Run("d", "64 clients, unique, polite (overload)", 64, True, ramp_s=OVERLOAD_RAMP_S),
            Run("e", "64 clients, unique, hostile", 64, True, False, OVERLOAD_RAMP_S),
            Run("c", "16 clients, one body (cache-friendly)", 16, unique=False),
        ]
        chosen = [run for run in every if runs is None or run.name in runs]
        reports = {run.name: run_load(url, run, args.template, data, args) for run in chosen}
    per_render = (render_cpu_ms(reports["a"], floor) or 0.0) if "a" in reports else 0.0
    for report in reports.values():
        report["server_ms_per_429"] = refusal_cpu_ms(report, per_render, floor)
    refusal = fair = many = None
    if rest or "e" in reports:
        print(f"\n== refusal cost: one slot kept busy, {REFUSALS} unique bodies", flush=True)
        refusal = refusal_cost(serve, args.template, data, per_render, REFUSALS)
        print(f"server CPU per 429: {refusal['cpu_ms_per_429']} ms ({refusal['statuses']})")
    if rest:
        fair = fairness_step(args, data, workdir)
        missing = missing_tools()
        if missing is None:
            many = cluster_step(args, data, workdir)
        else:
            print(f"bench: no cluster step: {missing}", file=sys.stderr)
        baseline_run = Run("f", "baseline: Starlette + threads, plain pdflatex", 2 * slots, True)
        baseline = run_baseline(baseline_run, workdir / "doc.tex", args.template, data, args)
        if baseline is not None:
            chosen.append(baseline_run)
            reports["f"] = baseline
    return {
        "machine": machine,
        "machine_limit": limit,
        "template": args.template,
        "data": str(data),
        "duration_s": args.duration,
        "server": {"url": url, "render_slots": slots, "readyz": readyz, "floor_cpu_ms": floor},
        "harness": separation(),
        "tex_in_server": served_tex,
        "render_cpu_ms": per_render if "a" in reports else None,
        "cache_hit_cpu_ms": render_cpu_ms(reports["c"], floor) if "c" in reports else None,
        "refusal": refusal,
        "fairness": fair,
        "cluster": many,
        "rows": [run_row(r, reports[r.name], limit) for r in chosen],
        "runs": reports,
    }

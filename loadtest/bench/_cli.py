"""``python -m loadtest.bench`` (``make bench``): the options, and the files written at the end
(``results.json``, ``results.md``, ``latency.png``; with ``--only STEP``, ``STEP.json`` and
``STEP.md``, so a full run's results stay as they were: ``fairness``, ``cluster``,
``overload`` (the machine limit, runs a, h and e and one 429 alone) or ``limits`` (the machine
limit and the Unicode path's scripts))."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..drive import SpawnError, nice_load_generator
from ..report import matplotlib_missing, plot_timeline
from ._about import DESCRIPTION
from ._errors import BenchError
from ._markdown import cluster_markdown, fairness_markdown, markdown
from ._steps import bench, cluster_only, fairness_only, limits_only, overload_only

# --only STEP: the step alone, its results under its own name, and how they are written.
ALONE = {
    "fairness": (fairness_only, fairness_markdown),
    "cluster": (cluster_only, cluster_markdown),
    "overload": (overload_only, markdown),
    "limits": (limits_only, markdown),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m loadtest.bench", description=DESCRIPTION)
    parser.add_argument(
        "--templates", action="append", type=Path, default=[], help="template dir (repeatable)"
    )
    parser.add_argument("--template", default="resume-classic", help="template to render")
    parser.add_argument("--data", type=Path, help="JSON data (default: the template's sample)")
    parser.add_argument("--duration", type=float, default=25.0, help="seconds per run")
    parser.add_argument("--compiles", type=int, default=7, help="pdflatex runs for the limit")
    parser.add_argument(
        "--served-renders",
        type=int,
        default=15,
        help="renders of each script through the server for its TeX CPU per render",
    )
    parser.add_argument("--slots", type=int, help="render slots (default: the server's own)")
    parser.add_argument("--out", type=Path, default=Path("bench"), help="output directory")
    parser.add_argument("--quiet", action="store_true", help="no live progress")
    parser.add_argument(
        "--only",
        choices=sorted(ALONE),
        help="run that step alone (writes STEP.json and STEP.md instead)",
    )
    fair = parser.add_argument_group("fair sharing between keys")
    fair.add_argument(
        "--fairness-renders",
        type=_at_least_one,
        default=30,
        help="the probe key's renders, idle and flooded alike (default 30)",
    )
    fair.add_argument(
        "--flood-clients",
        type=_at_least_one,
        default=64,
        help="the flooding key's clients (default 64)",
    )
    many = parser.add_argument_group("many instances behind HAProxy (needs haproxy, redis-server)")
    many.add_argument(
        "--cluster-duration",
        type=float,
        default=10.0,
        help="seconds per run of the cluster step (default 10; six runs, each made twice)",
    )
    many.add_argument(
        "--cluster-clients",
        type=_at_least_one,
        default=6,
        help="closed-loop clients of each cluster run (default 6)",
    )
    return parser


def _at_least_one(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more: {text}")
    return value


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # The load generator (the closed-loop clients run in this process) yields to the servers
    # and the health probes, which put themselves back to this priority.
    nice_load_generator()
    try:
        results = ALONE[args.only][0](args) if args.only else bench(args)
    except (BenchError, SpawnError) as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    if args.only:
        name, write_markdown = args.only, ALONE[args.only][1]
        (args.out / f"{name}.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
        table = write_markdown(results)
        (args.out / f"{name}.md").write_text(table, encoding="utf-8")
        print("\n" + table)
        print(f"wrote {args.out}/{name}.json, {name}.md")
        return 0
    (args.out / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    table = markdown(results)
    (args.out / "results.md").write_text(table, encoding="utf-8")
    if (missing := matplotlib_missing()) is None:
        first = results["rows"][0]
        title = f"run {first['run']}: {first['description']}, {first['clients']} clients"
        plot_timeline(results["runs"][first["run"]], args.out / "latency.png", title)
    else:
        print(f"bench: no latency.png ({missing})", file=sys.stderr)
    print("\n" + table)
    print(f"wrote {args.out}/results.json, results.md, latency.png")
    return 0

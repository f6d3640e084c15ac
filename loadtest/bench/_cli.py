"""``python -m loadtest.bench`` (``make bench``): the options, and the files written at the end
(``results.json``, ``results.md``, ``latency.png``)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..drive import SpawnError
from ..report import matplotlib_missing, plot_timeline

# The help is the package's own account of the bench, step by step.
from . import __doc__ as DESCRIPTION
from ._errors import BenchError
from ._markdown import markdown
from ._steps import bench


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m loadtest.bench", description=DESCRIPTION)
    parser.add_argument(
        "--templates", action="append", type=Path, default=[], help="template dir (repeatable)"
    )
    parser.add_argument("--template", default="resume-classic", help="template to render")
    parser.add_argument("--data", type=Path, help="JSON data (default: the template's sample)")
    parser.add_argument("--duration", type=float, default=25.0, help="seconds per run")
    parser.add_argument("--compiles", type=int, default=7, help="pdflatex runs for the limit")
    parser.add_argument("--slots", type=int, help="render slots (default: the server's own)")
    parser.add_argument("--out", type=Path, default=Path("bench"), help="output directory")
    parser.add_argument("--quiet", action="store_true", help="no live progress")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        results = bench(args)
    except (BenchError, SpawnError) as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
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

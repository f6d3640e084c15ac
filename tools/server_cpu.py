"""The server's own CPU per cold render, TeX excluded: the bench's figure, measured alone.

    .venv/bin/python -m tools.server_cpu [-n 200] [-c 4] [--rounds 5] [--against DIR]

A ``texrender serve`` of its own on a loopback port (auth off, a fresh data directory), ready
once ``/readyz`` says so; a warm-up of unique renders, then ``-n`` unique renders (each body
never seen, so each one is TeX from the template's format) from ``-c`` clients, sent by the
harness's own command line; the figure is the server's CPU seconds (``/metrics``, its TeX
children not counted, read as the bench reads them) over that stretch, divided by the
renders answered 2xx. No health probe, so no probe's share to take out.

``--against DIR``: a checkout of another version (``git worktree add`` or ``git archive``);
each round serves this checkout and that one in turn (the same machine load for both), and the
last lines give the medians and their ratio. The other checkout's code is put first on
``PYTHONPATH`` and run with this checkout's Python.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

import httpx

from loadtest import cli
from loadtest.bench import tex_counters
from loadtest.drive import REPO, serving, wait_ready
from loadtest.record import parse_prometheus

# ``texrender`` of the checkout on PYTHONPATH (-P: not the current directory's).
_SERVE = "import sys, server.cli; sys.exit(server.cli.main())"


def measure(checkout: Path, renders: int, clients: int, warmup: int, template: str) -> float:
    """Server CPU ms per cold render of one fresh server of ``checkout``."""
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    data = checkout / "templates" / template / "sample.json"
    with tempfile.TemporaryDirectory(prefix="texrender-servercpu-") as tmp:
        argv = [sys.executable, "-P", "-c", _SERVE, "--auth", "off", "--data-dir", tmp]
        argv += ["--templates", str(checkout / "templates")]
        with serving([*argv, "serve", "--bind", "127.0.0.1:0"], env=env) as server:
            url = server.wait_for_url()
            wait_ready(url)
            load = [url, "-t", template, "--data", str(data), "--unique", "--no-probe", "-q"]
            load += ["-c", str(clients)]
            _run(load, warmup, Path(tmp) / "warmup.json")
            before = _cpu_s(url)
            ok = _run(load, renders, Path(tmp) / "run.json")
            after = _cpu_s(url)
    return 1000 * (after - before) / ok


def _cpu_s(url: str) -> float:
    """The server's own CPU seconds so far, from its ``/metrics`` as the bench reads them."""
    response = httpx.get(f"{url}/metrics", timeout=10)
    response.raise_for_status()
    return tex_counters(parse_prometheus(response.text))["cpu_s"]


def _run(load: list[str], renders: int, report: Path) -> int:
    """The harness's command line for ``renders`` requests; how many answered 2xx."""
    code = cli.main([*load, "-n", str(renders), "--json", str(report)])
    if code != 0:
        raise SystemExit(f"server_cpu: the harness exited with {code}")
    counts = json.loads(report.read_text())["status_counts"]
    ok = int(sum(v for k, v in counts.items() if k.startswith("2")))
    if ok != renders:
        raise SystemExit(f"server_cpu: {ok} of {renders} renders answered 2xx: {counts}")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.server_cpu", description=__doc__)
    parser.add_argument("-n", "--renders", type=int, default=200, help="measured renders")
    parser.add_argument("-c", "--clients", type=int, default=4)
    parser.add_argument("--warmup", type=int, default=30, help="renders before measuring")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("-t", "--template", default="resume-classic")
    parser.add_argument("--against", type=Path, help="another checkout, measured in turn")
    args = parser.parse_args(argv)
    checkouts = {"this": REPO}
    if args.against is not None:
        checkouts["against"] = args.against.resolve()
    figures: dict[str, list[float]] = {name: [] for name in checkouts}
    for round_ in range(args.rounds):
        order = list(checkouts.items())
        if round_ % 2:
            order.reverse()  # neither one always first
        for name, checkout in order:
            ms = measure(checkout, args.renders, args.clients, args.warmup, args.template)
            figures[name].append(ms)
            print(f"round {round_ + 1}: {name} ({checkout}): {ms:.2f} ms", flush=True)
    medians = {name: statistics.median(values) for name, values in figures.items()}
    for name, values in figures.items():
        runs = ", ".join(f"{v:.2f}" for v in values)
        print(f"{name}: median {medians[name]:.2f} ms per cold render ({runs})")
    if "against" in medians:
        print(f"this / against: {medians['this'] / medians['against']:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

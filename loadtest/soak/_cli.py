"""``python -m loadtest.soak`` (``make soak``): the options, the soak, its report and its JSON.
Exit codes: 0 passed, 1 failed, 2 usage error or the soak could not run."""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import trio
from rich.console import Console

from ..drive import SpawnError
from ..report import wide_console
from ..units import duration_type, mix_type
from ._config import MIB, SoakConfig
from ._kinds import DEFAULT_WEIGHTS
from ._report import print_report
from ._runner import SoakError, soak


def _weights(text: str) -> dict[str, float]:
    changes = mix_type(text)
    unknown = sorted(set(changes) - set(DEFAULT_WEIGHTS))
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown kind(s) {', '.join(unknown)}; kinds: {', '.join(DEFAULT_WEIGHTS)}"
        )
    return {**DEFAULT_WEIGHTS, **changes}


def _fraction(text: str) -> float:
    value = float(text)
    if not 0 < value <= 2:
        raise argparse.ArgumentTypeError(f"must be more than 0 and at most 2: {text}")
    return value


def _positive(kind: Callable[[str], Any]) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        value = kind(text)
        if not value > 0:
            raise argparse.ArgumentTypeError(f"must be more than zero: {text}")
        return value

    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m loadtest.soak",
        description="Soak a texrender server that this starts on loopback: capacity first, "
        "then a mix of good, invalid, hostile and aborted requests at --load of it.",
    )
    add = parser.add_argument
    add("--duration", "-d", type=duration_type, default=600.0, help="soak length (default 10m)")
    add("--capacity-duration", type=duration_type, default=10.0, help="capacity run (default 10s)")
    add("--load", type=_fraction, default=0.8, help="TeX load, fraction of capacity (0.8)")
    add("--rate", type=_positive(float), help="requests/s; skips measuring the capacity")
    add("--requests", "-n", type=_positive(int), help="at most N requests (default: 1.5x expected)")
    add("--weights", type=_weights, default=dict(DEFAULT_WEIGHTS), help="e.g. good=40,aborted=10")
    add("--seed", type=int, help="seed of the mix and the arrivals (default: random, reported)")
    add("--timeout", type=duration_type, default=60.0, help="per-request bound (default 60s)")
    add("--abort-after", type=duration_type, default=0.3, help="aborted kind (default 300ms)")
    add("--settle", type=duration_type, default=3.0, help="quiet before each figure (default 3s)")
    add("--max-in-flight", type=_positive(int), default=256, help="client cap (default 256)")
    add("--slots", type=_positive(int), help="server render slots (default: its own)")
    add("--cache-bytes", type=int, default=8 * MIB, help="server PDF cache (default 8 MiB)")
    add("--progress-every", type=duration_type, default=30.0, help="progress line (default 30s)")
    add("--server-log", help="keep the server's log in this file")
    add("--json", type=Path, dest="json_path", help="write the summary here")
    add("--quiet", "-q", action="store_true", help="no progress lines")
    return parser


def config_from(args: argparse.Namespace) -> SoakConfig:
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)
    return SoakConfig(
        duration_s=args.duration,
        capacity_duration_s=args.capacity_duration,
        load=args.load,
        rate=args.rate,
        requests=args.requests,
        weights=args.weights,
        seed=seed,
        timeout_s=args.timeout,
        abort_after_s=args.abort_after,
        settle_s=args.settle,
        max_in_flight=args.max_in_flight,
        slots=args.slots,
        cache_bytes=args.cache_bytes,
        progress_every_s=0.0 if args.quiet else args.progress_every,
        server_log=args.server_log,
    )


async def run(config: SoakConfig, json_path: Path | None, console: Console) -> int:
    """The soak, its report and its JSON; returns the exit code."""
    try:
        summary = await soak(config, console)
    except (SoakError, SpawnError, httpx.HTTPError) as exc:
        Console(stderr=True).print(f"soak: {exc}", style="red", highlight=False)
        return 2
    print_report(summary, console)
    if json_path is not None:
        text = json.dumps(summary, indent=2, ensure_ascii=False) + "\n"
        await trio.Path(json_path).write_text(text, encoding="utf-8")
    return 0 if summary["verdict"]["passed"] else 1


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    return trio.run(run, config_from(args), args.json_path, wide_console())

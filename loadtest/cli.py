"""The command line: ``python -m loadtest URL [options]`` and ``python -m loadtest compare A B``.

:func:`main` parses, checks what can be checked before any traffic (the target is loopback,
matplotlib is there for ``--plot``, the data file reads), runs, prints and writes the report.
Exit codes: 0 when the run completed (HTTP errors are results, not failures), 1 when the server
could not be reached to prepare the run or ``--find-max`` found no sustainable rate at all (its
first step already missed the objective), 2 for usage errors.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import trio
from rich.console import Console

from .drive import WorkloadError, auth_headers, build_workload, refuse_remote, side_client
from .report import (
    choose_display,
    matplotlib_missing,
    plot_timeline,
    print_summary,
    run_compare,
    wide_console,
)
from .run import RunConfig, Search, find_max, no_rate_found, run_load
from .units import duration_type, mix_type

PROG = "texrender loadtest"
DEFAULT_DURATION_S = 10.0
KEY_ENV = "TEXRENDER_KEY"  # the API key, when --key is not given


class UsageError(Exception):
    """The command line asks for something impossible; the message says what."""


@dataclass(frozen=True)
class Options:
    """A parsed command line: the run, plus what to do around it."""

    config: RunConfig
    allow_remote: bool
    json_path: Path | None
    plot_path: Path | None
    search: Search | None


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more: {text}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than zero: {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Load-test a texrender deployment over HTTP (loopback only by default). "
        "Also: `compare A.json B.json` prints two saved runs side by side.",
    )
    parser.add_argument("url", help="base URL, e.g. http://127.0.0.1:8000")
    how = parser.add_argument_group("load shape (closed loop with 1 client by default)")
    shape = how.add_mutually_exclusive_group()
    shape.add_argument("--concurrency", "-c", type=_positive_int, help="closed loop: N clients")
    shape.add_argument("--rate", "-r", type=_positive_float, help="open loop: Poisson arrivals/s")
    how.add_argument(
        "--find-max",
        action="store_true",
        help="step the open-loop rate up (from --rate, default 1/s) until the SLO breaks",
    )
    how.add_argument(
        "--duration",
        "-d",
        type=duration_type,
        help=f"run length (default {DEFAULT_DURATION_S:g}s; with --find-max: total budget)",
    )
    how.add_argument("--requests", "-n", type=_positive_int, help="stop after N requests")
    how.add_argument(
        "--max-in-flight", type=_positive_int, default=10_000, help="open-loop safety cap"
    )
    how.add_argument(
        "--timeout", type=duration_type, default=60.0, help="per-request bound (default 60s)"
    )
    how.add_argument("--seed", type=int, help="random seed for arrivals and the mix")
    how.add_argument(
        "--ramp",
        type=duration_type,
        default=0.0,
        help="closed loop: start the clients evenly over this long (default 0: all at once)",
    )
    how.add_argument(
        "--ignore-retry-after",
        action="store_true",
        help="closed loop: ask again at once after a 429/503 (a hostile client; by default a "
        "client waits as Retry-After says)",
    )

    what = parser.add_argument_group("what to send")
    which = what.add_mutually_exclusive_group()
    which.add_argument("--template", "-t", help="template to render (default resume-classic)")
    which.add_argument(
        "--mix", type=mix_type, help="weighted templates: resume-classic=3,cover-letter=1"
    )
    what.add_argument("--data", type=Path, help="JSON body (default: the template's sample)")
    what.add_argument("--unique", action="store_true", help="make every body different")
    what.add_argument(
        "--key",
        help=f"API key, sent as Authorization: Bearer (default: ${KEY_ENV}; prefer the variable, "
        "a command line is visible to other users)",
    )

    probe = parser.add_argument_group("health probe")
    probe.add_argument("--probe", default="/healthz", help="path to probe (default /healthz)")
    probe.add_argument(
        "--probe-interval", type=duration_type, default=0.05, help="50ms, 0.05, 1s (default 50ms)"
    )
    probe.add_argument("--no-probe", action="store_true", help="no probe")

    search = parser.add_argument_group("--find-max")
    search.add_argument("--step-duration", type=duration_type, default=10.0, help="default 10s")
    search.add_argument("--step-factor", type=float, default=1.5, help="default 1.5")
    search.add_argument("--max-steps", type=_positive_int, default=12, help="default 12")
    search.add_argument("--slo-p99", type=_positive_float, default=2000.0, help="ms, default 2000")
    search.add_argument("--max-error-rate", type=float, default=0.01, help="fraction, default 0.01")

    out = parser.add_argument_group("output")
    out.add_argument("--json", type=Path, dest="json_path", help="write the full result here")
    out.add_argument("--plot", type=Path, dest="plot_path", help="draw the timeline (PNG)")
    out.add_argument("--quiet", "-q", action="store_true", help="no progress display")
    parser.add_argument(
        "--allow-remote", action="store_true", help="allow a target that is not loopback"
    )
    return parser


def options_from(args: argparse.Namespace) -> Options:
    """Raises: UsageError for combinations argparse cannot express."""
    if args.mix and args.data:
        raise UsageError("--data goes with one --template, not with --mix")
    if args.find_max and args.concurrency:
        raise UsageError("--find-max steps an open-loop rate: use --rate, not --concurrency")
    if args.find_max and args.step_factor <= 1:
        raise UsageError("--step-factor must be more than 1")
    if not 0 <= args.max_error_rate <= 1:
        raise UsageError("--max-error-rate is a fraction between 0 and 1")
    key = args.key if args.key is not None else os.environ.get(KEY_ENV) or None
    try:
        auth_headers(key)
    except ValueError as exc:
        raise UsageError(f"--key / {KEY_ENV}: {exc}") from None
    duration = args.duration
    if duration is None and args.requests is None and not args.find_max:
        duration = DEFAULT_DURATION_S
    search = None
    if args.find_max:
        search = Search(
            start_rate=args.rate or 1.0,
            factor=args.step_factor,
            step_s=args.step_duration,
            max_steps=args.max_steps,
            budget_s=duration or args.step_duration * args.max_steps,
            slo_p99_ms=args.slo_p99,
            max_error_rate=args.max_error_rate,
        )
        if search.budget_s < search.shortest_step_s:
            raise UsageError(
                f"--duration is the --find-max budget: {search.budget_s:g}s leaves no time for "
                f"a step (at least {search.shortest_step_s:g}s)"
            )
        duration = args.step_duration
    config = RunConfig(
        url=args.url.rstrip("/"),
        mode="open" if args.rate or args.find_max else "closed",
        concurrency=args.concurrency or 1,
        rate=args.rate or 1.0,
        duration_s=duration,
        requests=None if args.find_max else args.requests,
        mix=args.mix or {args.template or "resume-classic": 1.0},
        data_file=None if args.data is None else str(args.data),
        unique=args.unique,
        honor_retry_after=not args.ignore_retry_after,
        ramp_s=args.ramp,
        probe_path=None if args.no_probe else "/" + args.probe.lstrip("/"),
        probe_interval_s=args.probe_interval,
        timeout_s=args.timeout,
        max_in_flight=args.max_in_flight,
        seed=args.seed,
        display=choose_display(args.quiet),
        key=key,
    )
    return Options(config, args.allow_remote, args.json_path, args.plot_path, search)


def parse_args(argv: list[str]) -> Options:
    """Raises: SystemExit(2) (argparse's usage error, with its message printed)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return options_from(args)
    except UsageError as exc:
        parser.error(str(exc))


def raise_open_files_limit() -> None:
    """Many connections need many descriptors: lift the soft limit to the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else 65_536
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def _error(console: Console, message: str) -> None:
    console.print(f"{PROG}: {message}", style="red", highlight=False, soft_wrap=True)


async def run(options: Options, console: Console | None = None) -> int:
    """Run what ``options`` describe; returns the exit code."""
    console = console or Console()
    err = Console(stderr=True)
    config = options.config
    reason = await refuse_remote(config.url, allow_remote=options.allow_remote)
    if reason is not None:
        _error(err, reason)
        return 2
    if options.plot_path is not None and (missing := matplotlib_missing()) is not None:
        _error(err, missing)
        return 2
    data: Any = None
    if config.data_file is not None:
        try:
            data = json.loads(await trio.Path(config.data_file).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            _error(err, f"cannot read --data {config.data_file}: {exc}")
            return 2
    raise_open_files_limit()
    try:
        async with side_client(config.url, key=config.key) as client:
            workload = await build_workload(
                client, config.mix, data=data, unique=config.unique, seed=config.seed
            )
    except WorkloadError as exc:
        _error(err, str(exc))
        return 2
    except httpx.HTTPError as exc:
        _error(err, f"cannot reach {config.url}: {exc!r}")
        return 1
    if options.search is not None:
        result = await find_max(config, workload, options.search)
    else:
        result = await run_load(config, workload)
    print_summary(result, console)
    if options.json_path is not None:
        text = json.dumps(result, indent=2, ensure_ascii=False) + "\n"
        await trio.Path(options.json_path).write_text(text, encoding="utf-8")
    if options.plot_path is not None:
        await trio.to_thread.run_sync(plot_timeline, result, options.plot_path)
    if options.search is not None and (failure := no_rate_found(result)) is not None:
        _error(err, failure)  # after the report: its steps show what went wrong
        return 1
    return 0


def main(argv: list[str]) -> int:
    """The whole command line; returns the exit code (what ``texrender loadtest`` calls)."""
    if argv[:1] == ["compare"]:
        parser = argparse.ArgumentParser(
            prog=f"{PROG} compare", description="Two saved runs side by side, with B/A."
        )
        parser.add_argument("a", type=Path, help="baseline report (--json)")
        parser.add_argument("b", type=Path, help="report to compare with it")
        try:
            args = parser.parse_args(argv[1:])
        except SystemExit as exc:
            return int(exc.code or 0)
        return run_compare(args.a, args.b, wide_console())
    try:
        options = parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    return trio.run(run, options, wide_console())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The soak from start to end: its server started, the capacity measured, the footprint read,
the mix sent with the probe beside it, the footprint read again, the server stopped; and the
summary (``--json``) with its verdict."""

from __future__ import annotations

import datetime
import math
import tempfile
import uuid
from collections import Counter
from dataclasses import asdict
from functools import partial
from pathlib import Path
from typing import Any

import trio
from rich.console import Console

from ..drive import (
    PROBE_TIMEOUT_S,
    REPO,
    TrioServer,
    fetch_sample,
    probe_in_process,
    refuse_remote,
    side_client,
    start_server,
    stop_server,
)
from ..record import Recorder, histogram_summary, metrics_figures, scrape_metrics
from ._bodies import RESUME, SLOW, Bodies
from ._config import SoakConfig
from ._footprint import log_levels, read_figures
from ._kinds import CAPACITY_KIND, PROBE_KIND, Mix, arrival_rate, undocumented
from ._report import show_progress
from ._server import STARTUP_TIMEOUT_S, STOP_TIMEOUT_S, server_argv, server_env
from ._tally import Tally, kind_summary
from ._traffic import drive, measure_capacity
from ._verdict import Thresholds, verdict


class SoakError(Exception):
    """The soak cannot run (no templates, no render while measuring capacity, a server that is
    not on loopback); the message says why. A server that does not start is a SpawnError."""


def render_outcomes(figures: dict[str, Any]) -> dict[str, float]:
    """``texrender_renders_total`` deltas over the soak, summed over templates by outcome."""
    outcomes: Counter[str] = Counter()
    for key, value in figures["deltas"].items():
        if key.startswith("texrender_renders_total{") and 'outcome="' in key:
            outcome = key.split('outcome="', 1)[1].split('"', 1)[0]
            outcomes[outcome] += value
    return dict(sorted(outcomes.items()))


async def soak(config: SoakConfig, console: Console) -> dict[str, Any]:
    """The whole soak; returns the summary (``summary["verdict"]["passed"]``).

    Raises: SoakError or SpawnError if it cannot run.
    """
    started_at = datetime.datetime.now(datetime.UTC)
    for folder in (REPO / "templates", REPO / "tests" / "templates" / SLOW):
        if not folder.is_dir():
            raise SoakError(f"{folder} is missing: the soak needs the repository's templates")
    with tempfile.TemporaryDirectory(prefix="texrender-soak-") as tmp:
        work_dir = Path(tmp) / "work"
        work_dir.mkdir()
        work_dir.chmod(0o755)  # TeX may run as another user (nobody, when started as root)
        log_path = Path(config.server_log) if config.server_log else Path(tmp) / "server.log"
        argv = server_argv(config.slots)
        with log_path.open("wb") as log:
            env = server_env(work_dir, config.cache_bytes)
            server = await start_server(argv, env, log, log_path, timeout_s=STARTUP_TIMEOUT_S)
            try:
                return await _soak_with(server, work_dir, config, console, started_at, argv)
            finally:
                if server.process.poll() is None:
                    server.process.kill()
                    with trio.CancelScope(shield=True):
                        await server.process.wait()


async def _soak_with(
    server: TrioServer,
    work_dir: Path,
    config: SoakConfig,
    console: Console,
    started_at: datetime.datetime,
    argv: list[str],
) -> dict[str, Any]:
    reason = await refuse_remote(server.url)
    if reason is not None:  # the bind is 127.0.0.1: this would be a bug, so say so
        raise SoakError(reason)
    url = server.url
    console.print(f"soak: server {url} (pid {server.process.pid}), work dir {work_dir}")
    async with side_client(url) as side:
        readyz = (await side.get("/readyz")).json()
        slots = int(readyz["render_slots"])
        bodies = Bodies(await fetch_sample(side, RESUME), uuid.uuid4().hex[:8])
        mix = Mix(config.weights, config.seed)
        capacity: dict[str, Any] | None = None
        if config.rate is None:
            console.print(
                f"soak: capacity, {2 * slots} clients for {config.capacity_duration_s:g} s"
            )
            capacity = await measure_capacity(
                url, bodies, slots, config.capacity_duration_s, config.timeout_s
            )
            if not capacity["renders_per_s"]:
                raise SoakError(f"no render succeeded while measuring: {capacity}")
            rate = arrival_rate(capacity["renders_per_s"], config.load, mix.tex_share())
        else:
            rate = config.rate
        requests = config.requests or math.ceil(1.5 * rate * config.duration_s) + 100
        console.print(
            f"soak: {rate:.2f} requests/s for {config.duration_s:g} s "
            f"(capacity {capacity['renders_per_s'] if capacity else '—'} renders/s, "
            f"TeX share {mix.tex_share():.2f}), at most {requests} requests, seed {config.seed}"
        )
        await trio.sleep(config.settle_s)
        metrics_start = await scrape_metrics(side)
        start = await read_figures(server, work_dir, metrics_start)
        tally = Tally(trio.current_time())
        probe = Recorder(tally.start)
        async with trio.open_nursery() as beside:
            await beside.start(
                partial(
                    probe_in_process,
                    url, "/healthz", config.probe_interval_s, PROBE_TIMEOUT_S,
                    probe.on_probe,
                )
            )  # fmt: skip
            tally.start = probe.start = trio.current_time()
            if config.progress_every_s > 0:
                beside.start_soon(show_progress, tally, config.duration_s, config.progress_every_s)
            window = await drive(url, config, rate, requests, mix, bodies, tally)
            beside.cancel_scope.cancel()
        load_end = trio.current_time()
        await trio.sleep(config.settle_s)
        metrics_end = await scrape_metrics(side)
        end = await read_figures(server, work_dir, metrics_end)
    stop = await stop_server(server, STOP_TIMEOUT_S)
    after_exit = await read_figures(server, work_dir, None)
    server_log = await trio.to_thread.run_sync(log_levels, server.log_path)

    counts = tally.status_counts()
    counts[PROBE_KIND] = dict(sorted(probe.probe_status_counts.items()))
    if capacity is not None:
        counts[CAPACITY_KIND] = capacity["status_counts"]
    bad = undocumented(counts)
    unsent = [kind for kind in config.weights if tally.of(kind).sent == 0]
    failures = verdict(
        start, end, bad_statuses=bad, unsent=unsent, after_exit=after_exit, stop=stop
    )
    totals: Counter[str] = Counter()
    for kind, kind_counts in counts.items():
        if kind in config.weights:
            totals.update(kind_counts)
    server_metrics = None
    if metrics_start is not None and metrics_end is not None:
        server_metrics = metrics_figures(metrics_start, metrics_end)
    elapsed = load_end - tally.start
    return {
        "format": 1,
        "started_at": started_at.isoformat(timespec="seconds"),
        "settings": asdict(config),
        "server": {"url": url, "pid": server.process.pid, "argv": argv, "render_slots": slots},
        "capacity": capacity,
        "load": {
            "rate_per_s": round(rate, 3),
            "tex_share": round(mix.tex_share(), 3),
            "request_cap": requests,
            "load_window_s": round(window, 3),
            "elapsed_s": round(elapsed, 3),
            "sent": tally.sent(),
            "sent_per_s": round(tally.sent() / window, 3) if window > 0 else 0.0,
        },
        "kinds": {
            kind: kind_summary(kind, tally.of(kind), config.weights.get(kind))
            for kind in config.weights
        },
        "probe": {
            "interval_s": config.probe_interval_s,
            "status_counts": counts[PROBE_KIND],
            "latency_ms": histogram_summary(probe.probe_histogram),
        },
        "status_counts": dict(sorted(totals.items())),
        "undocumented": bad,
        "figures": {"start": asdict(start), "end": asdict(end), "after_exit": asdict(after_exit)},
        "server_metrics": None
        if server_metrics is None
        else {"render_outcomes": render_outcomes(server_metrics), **server_metrics},
        "stop": asdict(stop),
        "server_log": server_log,
        "good_timeline": tally.of("good").timeline(),
        "verdict": {
            "passed": not failures,
            "failures": failures,
            "thresholds": asdict(Thresholds()),
        },
    }

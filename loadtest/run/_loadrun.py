"""One bounded run: open the connections, read the server's figures, drive the load with the
probe and the progress display beside it, read the figures again, and return the result dict.
"""

from __future__ import annotations

import datetime
import random
from functools import partial
from typing import Any

import httpx
import trio

from ..drive import (
    PROBE_TIMEOUT_S,
    Workload,
    closed_loop,
    load_client,
    open_loop,
    probe_in_process,
    side_client,
)
from ..record import ReadyzPeaks, Recorder, metrics_figures, read_readyz, scrape_metrics
from ..report import show_progress
from ._config import RunConfig
from ._result import build_result


async def run_load(config: RunConfig, workload: Workload, *, label: str = "load") -> dict[str, Any]:
    """Run ``config`` to its end (all requests answered, or the drain time used up)."""
    rng = random.Random(config.seed)  # noqa: S311 (arrival times, not secrets)
    # One connection per request that may be outstanding.
    connections = config.concurrency if config.mode == "closed" else config.max_in_flight
    client = load_client(config.url, connections, config.timeout_s, key=config.key)
    async with client, side_client(config.url, key=config.key) as side:
        readyz_before = await read_readyz(side)
        metrics_before = await scrape_metrics(side)
        peaks = ReadyzPeaks()
        started_at = datetime.datetime.now(datetime.UTC)
        recorder = Recorder(trio.current_time())
        async with trio.open_nursery() as beside:
            if config.probe_path is not None:
                await beside.start(
                    partial(
                        probe_in_process,
                        config.url, config.probe_path or "/", config.probe_interval_s,
                        PROBE_TIMEOUT_S, recorder.on_probe,
                    )
                )  # fmt: skip
                recorder.start = trio.current_time()  # the run starts once the probe is up
            stop_at = None if config.duration_s is None else recorder.start + config.duration_s
            beside.start_soon(peaks.sample_forever, side)
            beside.start_soon(show_progress, recorder, config.display, label)
            load_window_s = await _drive(config, client, workload, recorder, stop_at, rng)
            recorder.end = trio.current_time()
            beside.cancel_scope.cancel()
        server = {
            "readyz_before": readyz_before,
            "readyz_after": await read_readyz(side),
            "readyz_peaks": peaks.as_dict(),
            "metrics": None,
        }
        metrics_after = await scrape_metrics(side)
        if metrics_before is not None and metrics_after is not None:
            server["metrics"] = metrics_figures(metrics_before, metrics_after)
    return build_result(
        config, recorder, started_at=started_at, load_window_s=load_window_s, server=server
    )


async def _drive(
    config: RunConfig,
    client: httpx.AsyncClient,
    workload: Workload,
    recorder: Recorder,
    stop_at: float | None,
    rng: random.Random,
) -> float:
    """Run the load itself; returns the load window (seconds during which requests started)."""
    if config.mode == "closed":
        await closed_loop(
            client,
            workload.next_request,
            recorder,
            concurrency=config.concurrency,
            stop_at=stop_at,
            requests=config.requests,
            drain_s=config.drain_s,
            timeout_s=config.timeout_s,
            honor_retry_after=config.honor_retry_after,
            ramp_s=config.ramp_s,
        )
    else:
        await open_loop(
            client,
            workload.next_request,
            recorder,
            rate=config.rate,
            stop_at=stop_at,
            requests=config.requests,
            drain_s=config.drain_s,
            timeout_s=config.timeout_s,
            max_in_flight=config.max_in_flight,
            rng=rng,
        )
    end = trio.current_time() if stop_at is None else min(stop_at, trio.current_time())
    if config.duration_s is None and recorder.last_sent is not None:
        end = recorder.last_sent
    return end - recorder.start

"""``--plot FILE.png``: latency percentiles, probe latency and throughput on one time axis, so a
latency spike can be matched with the throughput dip (or probe stall) that came with it.

matplotlib is optional (the ``plot`` extra); :func:`matplotlib_missing` lets the command line
refuse ``--plot`` before any load is sent.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any


def matplotlib_missing() -> str | None:
    """``None`` when matplotlib can be imported, else how to get it."""
    if importlib.util.find_spec("matplotlib") is None:
        return "--plot needs matplotlib: pip install 'texrender[plot]' (or matplotlib)"
    return None


def _series(timeline: list[dict[str, Any]], key: str) -> list[float]:
    return [float("nan") if row[key] is None else float(row[key]) for row in timeline]


def plot_timeline(result: dict[str, Any], path: Path, title: str | None = None) -> None:
    """Draw ``result``'s timeline into ``path`` (PNG). Blocking: call it from a thread."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    timeline = result["timeline"]
    seconds = [row["second"] + 0.5 for row in timeline]
    figure, (latency, probe, throughput) = plt.subplots(
        3, 1, sharex=True, figsize=(10, 8), height_ratios=(3, 2, 2)
    )
    latency.plot(seconds, _series(timeline, "p50"), label="p50", marker=".")
    latency.plot(seconds, _series(timeline, "p99"), label="p99", marker=".")
    latency.set_ylabel("latency (ms)")
    latency.set_ylim(bottom=0)
    latency.legend(loc="lower right", ncol=2)
    latency.grid(alpha=0.3)
    probe.plot(seconds, _series(timeline, "probe_p99"), label="probe p99", color="tab:green")
    probe.set_ylabel("probe p99 (ms)")
    probe.set_ylim(bottom=0)
    probe.grid(alpha=0.3)
    throughput.bar(seconds, [row["ok"] for row in timeline], width=0.9, label="ok")
    throughput.bar(
        seconds,
        [row["errors"] for row in timeline],
        width=0.9,
        bottom=[row["ok"] for row in timeline],
        label="errors",
        color="tab:red",
    )
    totals = [row["ok"] + row["errors"] for row in timeline]
    throughput.set_ylim(0, max(totals, default=0) * 1.35 + 1)  # room for the legend
    throughput.set_ylabel("answers / s")
    throughput.set_xlabel("seconds since start")
    throughput.legend(loc="upper left", ncol=2)
    throughput.grid(alpha=0.3)
    settings = result["settings"]
    how = (
        f"{settings['concurrency']} clients (closed loop)"
        if settings["mode"] == "closed"
        else f"{settings['rate']:g}/s offered (open loop)"
    )
    figure.suptitle(title or f"{settings['url']}: {how}")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)

"""The verdict: every reason a soak failed, from the statuses of each kind and the server's
footprint at the start, at the end and after it exited (thresholds generous: only a leak over a
long run should fail it)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..drive import StopResult
from ._config import MIB
from ._footprint import Figures
from ._kinds import DOCUMENTED


@dataclass(frozen=True)
class Thresholds:
    """How much growth the verdict forgives: generous, since only a leak over a long run
    should fail it, not allocator noise or a warm cache."""

    rss_factor: float = 1.5
    rss_slack_bytes: int = 50 * MIB
    fd_slack: int = 50


def verdict(
    start: Figures,
    end: Figures,
    *,
    bad_statuses: Mapping[str, Mapping[str, int]],
    unsent: list[str] | None = None,
    after_exit: Figures | None = None,
    stop: StopResult | None = None,
    thresholds: Thresholds = Thresholds(),
) -> list[str]:
    """Every reason the soak failed (empty: it passed)."""
    failures = []
    for kind, counts in bad_statuses.items():
        allowed = ", ".join(sorted(DOCUMENTED.get(kind, frozenset()))) or "nothing"
        for status, n in counts.items():
            failures.append(f"{kind}: {n} x {status}, not documented (documented: {allowed})")
    failures += [f"{kind}: never sent (run too short?)" for kind in unsent or []]
    for moment, figures in (("at the end", end), ("after the server exited", after_exit)):
        if figures is None:
            continue
        if figures.work_entries:
            failures.append(f"{figures.work_entries} entries left in the work directory {moment}")
        if figures.tex_processes:
            failures.append(f"{figures.tex_processes} TeX processes alive {moment}")
    if start.rss_bytes is None or end.rss_bytes is None:
        failures.append("the server's RSS could not be measured")
    else:
        limit = thresholds.rss_factor * start.rss_bytes + thresholds.rss_slack_bytes
        if end.rss_bytes > limit:
            failures.append(
                f"RSS grew from {start.rss_bytes / MIB:.1f} MiB to {end.rss_bytes / MIB:.1f} MiB"
                f" (limit {limit / MIB:.1f} MiB)"
            )
    if start.open_fds is not None and end.open_fds is not None:
        fd_limit = start.open_fds + thresholds.fd_slack
        if end.open_fds > fd_limit:
            failures.append(
                f"open descriptors grew from {start.open_fds} to {end.open_fds} (limit {fd_limit})"
            )
    if stop is not None and stop.killed:
        failures.append(f"the server was not gone {stop.exit_s:.1f} s after SIGTERM: killed")
    return failures

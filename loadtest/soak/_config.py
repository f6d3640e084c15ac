"""One soak's settings, recorded verbatim in the JSON summary; and the mebibyte its sizes are
counted in."""

from __future__ import annotations

from dataclasses import dataclass, field

from ._kinds import DEFAULT_WEIGHTS

MIB = 1024 * 1024


@dataclass(frozen=True)
class SoakConfig:
    """One soak's settings, recorded verbatim in the JSON summary."""

    duration_s: float = 600.0
    capacity_duration_s: float = 10.0
    load: float = 0.8
    rate: float | None = None
    requests: int | None = None
    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    seed: int = 0
    timeout_s: float = 60.0
    abort_after_s: float = 0.3
    settle_s: float = 3.0
    max_in_flight: int = 256
    slots: int | None = None
    cache_bytes: int = 8 * MIB
    probe_interval_s: float = 0.25
    progress_every_s: float = 30.0
    server_log: str | None = None

"""One run's settings as a plain frozen object: built by the command line, recorded verbatim in
the JSON report (so a saved report says exactly what was measured), but for the API key, of
which the report keeps only its public id."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

from ..drive import key_label
from ..report import Display

Mode = Literal["closed", "open"]


@dataclass(frozen=True)
class RunConfig:
    """A bounded run against ``url``: ``duration_s`` and/or ``requests`` must be set."""

    url: str
    mode: Mode = "closed"
    concurrency: int = 1
    rate: float = 1.0
    duration_s: float | None = 10.0
    requests: int | None = None
    mix: dict[str, float] = field(default_factory=lambda: {"resume-classic": 1.0})
    data_file: str | None = None
    unique: bool = False
    honor_retry_after: bool = True  # closed loop: wait as a 429/503's Retry-After asks
    ramp_s: float = 0.0  # closed loop: clients start evenly spread over this long
    probe_path: str | None = "/healthz"
    probe_interval_s: float = 0.05
    timeout_s: float = 60.0
    max_in_flight: int = 10_000
    seed: int | None = None
    display: Display = "none"
    key: str | None = field(default=None, repr=False)  # API key sent as a Bearer token

    def __post_init__(self) -> None:
        if self.duration_s is None and self.requests is None:
            raise ValueError("a run needs --duration or --requests (or both)")

    @property
    def drain_s(self) -> float:
        """How long requests still in flight at the end may take to finish."""
        return self.timeout_s

    def as_dict(self) -> dict[str, Any]:
        values = dataclasses.asdict(self)
        values.pop("display")
        values["key"] = key_label(self.key)  # the secret itself is never written down
        if self.mode == "closed":
            values.pop("rate")
            values.pop("max_in_flight")
        else:
            values.pop("concurrency")
            values.pop("honor_retry_after")
            values.pop("ramp_s")
        return values

    def replace(self, **changes: Any) -> RunConfig:
        return dataclasses.replace(self, **changes)

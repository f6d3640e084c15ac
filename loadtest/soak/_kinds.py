"""The kinds of request in a soak, their weights in the mix, and the statuses documented for
each (the table in the package docstring, :mod:`loadtest.soak`): each kind is sent once first,
then drawn by weight from the seed."""

from __future__ import annotations

import random
from collections.abc import Mapping

DEFAULT_WEIGHTS: dict[str, float] = {
    "good": 55,
    "cache-hit": 10,
    "invalid": 8,
    "nested": 3,
    "too-long": 3,
    "not-json": 3,
    "surrogates": 3,
    "too-large": 2,
    "aborted": 5,
    "validate": 8,
}
# Kinds that run TeX at full cost: the arrival rate is set from their share of the mix.
TEX_KINDS = frozenset({"good", "aborted"})
PROBE_KIND = "healthz"
_SHED = frozenset({"429", "503"})  # the queue refusing work, as documented
# A render the queue has no room for is refused before its data is read (the door, the early
# refusal, the pipeline's admission all come first): so with a 429 whatever its data is. It
# never waits in the queue (its data fails first): no 503.
_REFUSED_UNREAD = frozenset({"429"})
DOCUMENTED: dict[str, frozenset[str]] = {
    "good": frozenset({"200"}) | _SHED,
    "cache-hit": frozenset({"200"}) | _SHED,
    "invalid": frozenset({"422"}) | _REFUSED_UNREAD,
    "nested": frozenset({"400"}) | _REFUSED_UNREAD,
    "too-long": frozenset({"422"}) | _REFUSED_UNREAD,
    "not-json": frozenset({"400"}) | _REFUSED_UNREAD,
    "surrogates": frozenset({"200", "422"}) | _SHED,
    # The server closes the connection after its 413: a client still uploading may see that.
    "too-large": frozenset({"413", "write-error", "read-error"}),
    "aborted": frozenset({"aborted", "200"}) | _SHED,
    "validate": frozenset({"200", "422"}),
    PROBE_KIND: frozenset({"200"}),
}
CAPACITY_KIND = "capacity"  # the capacity run: good renders, closed loop
DOCUMENTED[CAPACITY_KIND] = DOCUMENTED["good"]


class Mix:
    """Which kind to send next: each kind once (coverage), then drawn by weight, seeded."""

    def __init__(self, weights: Mapping[str, float], seed: int) -> None:
        if not weights or any(w <= 0 for w in weights.values()):
            raise ValueError("a mix needs kinds with positive weights")
        self.kinds = list(weights)
        self.weights = [float(w) for w in weights.values()]
        self._first = iter(self.kinds)
        self._random = random.Random(seed)  # noqa: S311 (a mix, not secrets)

    def next_kind(self) -> str:
        kind = next(self._first, None)
        if kind is not None:
            return kind
        return self._random.choices(self.kinds, self.weights)[0]

    def tex_share(self) -> float:
        """Fraction of arrivals that run TeX (``TEX_KINDS``)."""
        pairs = zip(self.kinds, self.weights, strict=True)
        return sum(w for kind, w in pairs if kind in TEX_KINDS) / sum(self.weights)


def arrival_rate(capacity_per_s: float, load: float, tex_share: float) -> float:
    """Arrivals per second such that the TeX-running share arrives at ``load`` x capacity."""
    if tex_share <= 0:
        return load * capacity_per_s
    return load * capacity_per_s / tex_share


def undocumented(status_counts: Mapping[str, Mapping[str, int]]) -> dict[str, dict[str, int]]:
    """Per kind, the statuses that are not in its documented set (an unknown kind: all)."""
    found: dict[str, dict[str, int]] = {}
    for kind, counts in status_counts.items():
        allowed = DOCUMENTED.get(kind, frozenset())
        bad = {status: n for status, n in sorted(counts.items()) if status not in allowed and n}
        if bad:
            found[kind] = bad
    return found

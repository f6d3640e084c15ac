"""What a shared database reports as it works, for the metrics: each call's duration and
whether it failed, and its connection pool's state, read when the metrics are scraped. The
store knows no Prometheus; :class:`server.metrics.Metrics` is the observer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class PoolStatistics:
    """The connection pool now."""

    size: int  # connections it may open at most
    open: int  # connections open (in use or idle)
    in_use: int  # connections lent to a call now
    waiting: int  # calls waiting for a connection


class StoreObserver(Protocol):
    def store_called(self, operation: str, seconds: float, *, failed: bool) -> None:
        """A store call ended: its name (``create``, ``get``...), its duration with a
        connection (taking it from the pool, the statements, the commit), and whether the
        database failed it (unreachable, timed out: the caller saw ``StoreUnavailable``)."""
        ...

    def watch_pool(self, statistics: Callable[[], PoolStatistics]) -> None:
        """Read ``statistics()`` at each scrape."""
        ...

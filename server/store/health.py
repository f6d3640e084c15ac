"""Whether the store's database answers, for ``/readyz``: asked at most once a second however
many ask (a flood of probes never becomes a flood of queries), each time within a short
timeout. A store with no server to lose (SQLite, a file) is always reachable."""

from __future__ import annotations

import math
from typing import Protocol, runtime_checkable

import trio

CHECK_EVERY_S = 1.0
CHECK_TIMEOUT_S = 1.0


@runtime_checkable
class Pingable(Protocol):
    async def ping(self, timeout_s: float) -> bool:
        """Whether the database answers a trivial query within ``timeout_s``."""
        ...


class DatabaseCheck:
    """The last answer of the database, kept for ``every_s``; callers that come while it is
    being asked wait for that answer instead of asking again."""

    def __init__(
        self,
        store: object,
        *,
        every_s: float = CHECK_EVERY_S,
        timeout_s: float = CHECK_TIMEOUT_S,
    ) -> None:
        self._store = store if isinstance(store, Pingable) else None
        self.every_s = every_s
        self.timeout_s = timeout_s
        self._lock = trio.Lock()
        self._answer = True
        self._asked_at = -math.inf

    async def reachable(self) -> bool:
        if self._store is None:
            return True
        async with self._lock:
            if trio.current_time() - self._asked_at >= self.every_s:
                self._answer = await self._store.ping(self.timeout_s)
                self._asked_at = trio.current_time()
            return self._answer

"""Sharing of work already under way: identical requests wait for the one running instead of
starting their own TeX run (or page picture)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import trio

from ..errors import RenderError

T = TypeVar("T")


@dataclass
class _Job(Generic[T]):
    done: trio.Event = field(default_factory=trio.Event)
    result: T | None = None
    error: RenderError | None = None


class InFlight(Generic[T]):
    """Runs at most one ``produce()`` per key at a time; callers with the same key share it.

    The first caller produces; later ones wait for its result or its render error. If the first
    caller is cancelled (its client went away) or fails with a bug, a waiting caller takes over
    and produces itself, so a waiter never hangs and never inherits someone else's cancellation.
    """

    def __init__(self) -> None:
        self._jobs: dict[str, _Job[T]] = {}

    def __len__(self) -> int:
        return len(self._jobs)

    def __contains__(self, key: object) -> bool:
        return key in self._jobs

    async def run(self, key: str, produce: Callable[[], Awaitable[T]]) -> tuple[T, bool]:
        """``(result, shared)``: ``shared`` is True when another caller's work was reused.

        Raises:
            RenderError: the (possibly shared) render failed.
        """
        while True:
            job = self._jobs.get(key)
            if job is None:
                return await self._lead(key, produce), False
            await job.done.wait()
            if job.result is not None:
                return job.result, True
            if job.error is not None:
                raise job.error.clone()
            # The producer was cancelled or hit a bug: try again, perhaps as the producer.

    async def _lead(self, key: str, produce: Callable[[], Awaitable[T]]) -> T:
        job: _Job[T] = _Job()
        self._jobs[key] = job
        try:
            job.result = await produce()
            return job.result
        except RenderError as exc:
            job.error = exc
            raise
        finally:
            del self._jobs[key]
            job.done.set()

"""Render slots and the bounded queue in front of them.

One :class:`trio.CapacityLimiter` bounds how many TeX processes (and page rasterizers) run at
once (default: one per CPU). In front of it sits a bounded wait queue: when every slot is busy
and ``queue_max`` renders are already waiting, or when the wait a newcomer can expect is longer
than ``queue_max_wait_s``, a render is refused at once with :class:`RenderQueueFull` (429),
before any work is done for it. A render that waits longer than ``queue_timeout_s`` for its
slot gives up with :class:`QueueTimeout` (503).
"""

from __future__ import annotations

import math
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import trio

from .config import RenderLimits
from .errors import QueueTimeout, RenderQueueFull


@dataclass(frozen=True)
class RenderStatistics:
    """A snapshot of the slots and the queue, read straight from the limiter."""

    slots: int
    busy: int
    waiting: int
    queue_max: int

    @property
    def queue_full(self) -> bool:
        return self.busy >= self.slots and self.waiting >= self.queue_max


class Admission:
    """Decides whether a render may wait for a slot, and hands out the slots."""

    def __init__(self, limits: RenderLimits) -> None:
        if limits.slots < 1 or limits.queue_max < 0:
            raise ValueError("need at least one slot and a non-negative queue size")
        self.limits = limits
        self._limiter = trio.CapacityLimiter(limits.slots)
        self._recent_tex_s: float | None = None  # moving average of successful TeX runs
        self._retry_spread = random.Random()  # noqa: S311 (spreading retries, not a secret)

    def statistics(self) -> RenderStatistics:
        stats = self._limiter.statistics()
        return RenderStatistics(
            slots=int(stats.total_tokens),
            busy=stats.borrowed_tokens,
            waiting=stats.tasks_waiting,
            queue_max=self.limits.queue_max,
        )

    def expected_wait_s(self) -> float:
        """How long a render arriving now would wait for a slot: whole rounds of the renders
        ahead of it (waiting ones, plus itself, over the slots) at the recent TeX time; 0 while
        a slot is free or before any render has been timed."""
        stats = self.statistics()
        if stats.busy < stats.slots or self._recent_tex_s is None:
            return 0.0
        rounds = stats.waiting // stats.slots + 1
        return rounds * self._recent_tex_s

    def check(self) -> None:
        """Refuse a render that cannot be served in time, before any work is done for it.

        Raises:
            RenderQueueFull: the queue is full, or the expected wait is past the maximum;
                ``retry_after_s`` is the expected wait, spread up to half as long again and
                rounded up, so the clients refused in one burst do not all come back at once.
        """
        stats = self.statistics()
        wait = self.expected_wait_s()
        retry = max(1, math.ceil(wait * self._retry_spread.uniform(1.0, 1.5)))
        if stats.queue_full:
            raise RenderQueueFull(
                f"all {stats.slots} render slots are busy and {stats.queue_max} renders are "
                "waiting",
                retry,
            )
        if wait > self.limits.queue_max_wait_s:
            raise RenderQueueFull(
                f"the expected wait for a render slot ({wait:.1f} s) is longer than "
                f"{self.limits.queue_max_wait_s:g} s",
                retry,
            )

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold a render slot for the body of the ``async with``.

        Raises:
            QueueTimeout: none came free within ``queue_timeout_s``.
        """
        with trio.move_on_after(self.limits.queue_timeout_s) as waiting:
            await self._limiter.acquire()
        if waiting.cancelled_caught:
            raise QueueTimeout(f"no render slot came free within {self.limits.queue_timeout_s:g} s")
        try:
            yield
        finally:
            self._limiter.release()

    def timed(self, tex_seconds: float) -> None:
        """Learn from a successful TeX run how long the next ones will take."""
        previous = self._recent_tex_s
        self._recent_tex_s = tex_seconds if previous is None else 0.8 * previous + 0.2 * tex_seconds

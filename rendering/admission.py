"""Render slots, the bounded queue in front of them, and fair shares between owners.

A fixed number of slots bounds how many TeX processes (and page rasterizers) run at once
(default: one per CPU). Renders that find every slot busy wait in one queue per owner (the API
key's owner; one shared owner with auth off), and a slot that comes free goes to the owners in
turn (round robin), so one owner's flood costs another owner at most a round of the slots, not
the whole queue.

A render is refused at once with :class:`RenderQueueFull` (429), before any work is done for
it, when the queue holds ``queue_max`` renders, when the wait it can expect, in its owner's
turn, is longer than ``queue_max_wait_s``, or when its owner has used up
``owner_renders_per_minute`` (:class:`OwnerRateLimited`). An owner with fewer than
``owner_queue_max`` renders waiting (its share) is let in even when the queue is full, so a
flood from one owner never locks the others out; and while other owners wait, an owner past its
share is refused (:class:`OwnerQueueFull`). Alone, one owner may use the whole queue. A
render that waits longer than ``queue_timeout_s`` for its slot gives up with
:class:`QueueTimeout` (503).
"""

from __future__ import annotations

import math
import random
from collections import OrderedDict, deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import trio

from .config import RenderLimits
from .errors import OwnerQueueFull, OwnerRateLimited, QueueTimeout, RenderQueueFull


@dataclass(frozen=True)
class RenderStatistics:
    """A snapshot of the slots and the queue."""

    slots: int
    busy: int
    waiting: int
    queue_max: int
    owners_waiting: int = 0  # owners with at least one render waiting

    @property
    def queue_full(self) -> bool:
        return self.busy >= self.slots and self.waiting >= self.queue_max


@dataclass(eq=False)
class _Waiter:
    owner: str
    granted: trio.Event = field(default_factory=trio.Event)


class FairSlots:
    """``slots`` tokens, handed to waiting owners in turn; first come first served within an
    owner. Like :class:`trio.CapacityLimiter`, but fair between owners.

    As in fair queueing's new flows, an owner that had nothing waiting goes before the owners
    taking turns: a light user waits for one slot to come free, not for a turn of every busy
    owner as well. Once served, if it still has renders waiting, it takes turns like the rest.
    """

    def __init__(self, slots: int) -> None:
        self.total = slots
        self.busy = 0
        self._fresh: OrderedDict[str, deque[_Waiter]] = OrderedDict()  # came with none waiting
        self._turns: OrderedDict[str, deque[_Waiter]] = OrderedDict()  # in turn order

    def _queue(self, owner: str) -> deque[_Waiter] | None:
        return self._fresh.get(owner) or self._turns.get(owner)

    def waiting(self, owner: str | None = None) -> int:
        """Renders waiting, of one owner or of all."""
        if owner is not None:
            return len(self._queue(owner) or ())
        return sum(len(queue) for queues in (self._fresh, self._turns) for queue in queues.values())

    @property
    def owners_waiting(self) -> int:
        return len(self._fresh) + len(self._turns)

    def waiting_ahead(self, owner: str) -> int:
        """How many waiting renders a new one of ``owner`` would see served first: one of each
        owner ahead of it among those that had nothing waiting; or, for an owner with ``n``
        waiting, its own ``n`` and from each other owner as many as the ``n + 1`` turns it waits
        (the fresh ones first)."""
        mine = self.waiting(owner)
        if mine == 0:
            return len(self._fresh)
        turns = mine + 1
        ahead = sum(min(len(queue), turns) for queue in self._turns.values())
        return ahead + sum(min(len(queue), turns) for queue in self._fresh.values())

    async def acquire(self, owner: str) -> None:
        """Take a slot, waiting for this owner's turn if none is free."""
        await trio.lowlevel.checkpoint_if_cancelled()
        if self.busy < self.total and not self.owners_waiting:
            self.busy += 1
            await trio.lowlevel.cancel_shielded_checkpoint()
            return
        waiter = _Waiter(owner)
        queue = self._queue(owner)
        if queue is None:
            queue = self._fresh[owner] = deque()
        queue.append(waiter)
        try:
            await waiter.granted.wait()
        except BaseException:
            if waiter.granted.is_set():
                self.release()  # handed the slot as we were cancelled: pass it on
            else:
                self._forget(waiter)
            raise

    def release(self) -> None:
        """Give the slot to the next owner in turn, or free it."""
        queues = self._fresh or self._turns
        if not queues:
            self.busy -= 1
            return
        owner, queue = next(iter(queues.items()))
        waiter = queue.popleft()
        del queues[owner]
        if queue:
            self._turns[owner] = queue  # to the back of the turn order
        waiter.granted.set()  # the slot passes on: busy stays as it is

    def _forget(self, waiter: _Waiter) -> None:
        for queues in (self._fresh, self._turns):
            queue = queues.get(waiter.owner)
            if queue is not None:
                queue.remove(waiter)
                if not queue:
                    del queues[waiter.owner]
                return


class _Bucket:
    """A token bucket: ``rate`` tokens a second, at most ``burst`` kept."""

    def __init__(self, rate: float, burst: float, now: float) -> None:
        self.rate, self.burst = rate, burst
        self.tokens, self.when = burst, now

    def take(self, now: float) -> float:
        """Take a token; 0.0 if one was there, else the seconds until one will be."""
        self.tokens = min(self.burst, self.tokens + (now - self.when) * self.rate)
        self.when = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate


class Admission:
    """Decides whether a render may wait for a slot, and hands out the slots fairly."""

    def __init__(self, limits: RenderLimits) -> None:
        if limits.slots < 1 or limits.queue_max < 0 or limits.owner_queue_max < 1:
            raise ValueError("need at least one slot, a queue size, and a queue per owner")
        self.limits = limits
        self._slots = FairSlots(limits.slots)
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._recent_tex_s: float | None = None  # moving average of successful TeX runs
        self._retry_spread = random.Random()  # noqa: S311 (spreading retries, not a secret)

    def statistics(self) -> RenderStatistics:
        return RenderStatistics(
            slots=self._slots.total,
            busy=self._slots.busy,
            waiting=self._slots.waiting(),
            queue_max=self.limits.queue_max,
            owners_waiting=self._slots.owners_waiting,
        )

    def expected_wait_s(self, owner: str = "") -> float:
        """How long a render of ``owner`` arriving now would wait for a slot: the renders
        served before it in the owners' turns (plus itself), over the slots, at the recent TeX
        time; 0 while a slot is free or before any render has been timed."""
        slots = self._slots
        if slots.busy < slots.total or self._recent_tex_s is None:
            return 0.0
        rounds = slots.waiting_ahead(owner) // slots.total + 1
        return rounds * self._recent_tex_s

    def check(self, owner: str = "") -> None:
        """Refuse a render that cannot be served in time, before any work is done for it.

        Raises:
            RenderQueueFull: the queue is full, or the expected wait is past the maximum;
                ``retry_after_s`` is the expected wait, spread up to half as long again and
                rounded up, so the clients refused in one burst do not all come back at once.
            OwnerQueueFull: this owner has its share waiting, and other owners wait too.
            OwnerRateLimited: this owner asked for more than ``owner_renders_per_minute``.
        """
        refused = self.refusal(owner)
        if refused is not None:
            raise refused
        self._take_token(owner)

    def refusal(self, owner: str = "") -> RenderQueueFull | None:
        """The refusal :meth:`check` would raise for the queue as it is now (the owner's rate
        aside), or None; nothing is taken. The server asks this before a request's machinery
        runs, to answer a render that is bound to be refused for next to nothing."""
        stats = self.statistics()
        if stats.busy < stats.slots and not stats.owners_waiting:
            return None  # a slot is free and nobody waits: the common case, kept cheap
        wait = self.expected_wait_s(owner)
        retry = max(1, math.ceil(wait * self._retry_spread.uniform(1.0, 1.5)))
        mine = self._slots.waiting(owner)
        share = min(self.limits.owner_queue_max, self.limits.queue_max)
        within_share = mine < share
        if stats.queue_full and not within_share:
            return RenderQueueFull(
                f"all {stats.slots} render slots are busy and {stats.waiting} renders are waiting",
                retry,
            )
        others = stats.owners_waiting - (1 if mine else 0)
        if stats.busy >= stats.slots and not within_share and others > 0:
            return OwnerQueueFull(
                f"{mine} renders of owner {owner or 'local'!r} are waiting while other owners "
                f"wait too; {share} is one owner's share (owner_queue_max)",
                retry,
            )
        if wait > self.limits.queue_max_wait_s:
            return RenderQueueFull(
                f"the expected wait for a render slot ({wait:.1f} s) is longer than "
                f"{self.limits.queue_max_wait_s:g} s",
                retry,
            )
        return None

    def _take_token(self, owner: str) -> None:
        per_minute = self.limits.owner_renders_per_minute
        if per_minute <= 0:
            return
        now = trio.current_time()
        bucket = self._buckets.pop(owner, None)
        if bucket is None:
            bucket = _Bucket(per_minute / 60.0, max(1.0, math.ceil(per_minute / 6)), now)
        self._buckets[owner] = bucket  # most recently used last
        while len(self._buckets) > 4096:
            self._buckets.popitem(last=False)
        later = bucket.take(now)
        if later > 0.0:
            raise OwnerRateLimited(
                f"owner {owner or 'local'!r} asked for more than {per_minute} renders a "
                "minute (owner_renders_per_minute)",
                max(1, math.ceil(later)),
            )

    @asynccontextmanager
    async def slot(self, owner: str = "") -> AsyncIterator[None]:
        """Hold a render slot for the body of the ``async with``, taken in ``owner``'s turn.

        Raises:
            QueueTimeout: none came free within ``queue_timeout_s``.
        """
        with trio.move_on_after(self.limits.queue_timeout_s) as waiting:
            await self._slots.acquire(owner)
        if waiting.cancelled_caught:
            raise QueueTimeout(f"no render slot came free within {self.limits.queue_timeout_s:g} s")
        try:
            yield
        finally:
            self._slots.release()

    def timed(self, tex_seconds: float) -> None:
        """Learn from a successful TeX run how long the next ones will take."""
        previous = self._recent_tex_s
        self._recent_tex_s = tex_seconds if previous is None else 0.8 * previous + 0.2 * tex_seconds

"""Refusals answered after a pause.

A client that asks again the moment it is refused (ignoring ``Retry-After``) would otherwise
turn the server's spare CPU into refusals, taken from the TeX runs it is waiting for. Holding
each 429 for a moment first caps such a client at one request per pause per connection, at the
cost of a sleeping task; a client that honours ``Retry-After`` loses nothing, since it would
wait that long anyway. At most ``max_held`` refusals are held at once; past that they are
answered at once, so the pause can never hold more than a bounded number of connections.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import trio


class Tarpit:
    def __init__(self, pause_s: float, max_held: int = 256) -> None:
        self.pause_s = pause_s
        self.max_held = max_held
        self.held = 0

    @property
    def holds(self) -> bool:
        """Whether the next :meth:`pause` waits (False when off or full)."""
        return self.pause_s > 0 and self.held < self.max_held

    async def pause(self) -> None:
        """Wait ``pause_s`` before a refusal is sent (at once when off or full)."""
        if not self.holds:
            return
        self.held += 1
        try:
            await trio.sleep(self.pause_s)
        finally:
            self.held -= 1

    @contextlib.contextmanager
    def holding(self) -> Iterator[float]:
        """Count one refusal as held while the caller waits the pause it is given (0 when
        off or full) its own way: the early refusals wait on the client's connection
        instead, so that one that goes away ends the wait, in one task instead of two."""
        if not self.holds:
            yield 0.0
            return
        self.held += 1
        try:
            yield self.pause_s
        finally:
            self.held -= 1

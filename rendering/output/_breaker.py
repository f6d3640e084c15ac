"""A circuit breaker: after a few failures in a row, stop calling for a while.

A shared cache that is down must cost a render nothing, not a timeout each. So once
``failures`` calls in a row have failed, the breaker opens and calls are skipped for
``cooldown_s``; then one call at a time is let through as a trial, and the first that succeeds
closes the breaker again. Pure logic on a clock that is passed in, so tests can move time.
"""

from __future__ import annotations

import enum
from collections.abc import Callable


class BreakerState(enum.StrEnum):
    CLOSED = "closed"  # calls go through
    OPEN = "open"  # calls are skipped until the cooldown has passed
    TRIAL = "trial"  # the cooldown has passed: one call at a time may try


class Breaker:
    """Decides whether the next call may be made, from how the last ones went."""

    def __init__(self, clock: Callable[[], float], failures: int = 3, cooldown_s: float = 5.0):
        if failures < 1 or cooldown_s < 0:
            raise ValueError("a breaker needs failures >= 1 and cooldown_s >= 0")
        self.failures = failures
        self.cooldown_s = cooldown_s
        self._clock = clock
        self._in_a_row = 0
        self._open_until: float | None = None
        self._trying = False

    @property
    def state(self) -> BreakerState:
        if self._open_until is None:
            return BreakerState.CLOSED
        if self._clock() < self._open_until:
            return BreakerState.OPEN
        return BreakerState.TRIAL

    def allow(self) -> bool:
        """Whether a call may be made now. After True, report it with :meth:`succeeded`,
        :meth:`failed` or :meth:`gave_up` (a trial call holds the only place until then)."""
        state = self.state
        if state is BreakerState.CLOSED:
            return True
        if state is BreakerState.OPEN or self._trying:
            return False
        self._trying = True
        return True

    def gave_up(self) -> None:
        """The call was cancelled before it ended (its caller went away): neither a success nor
        a failure, but a trial's place is free again."""
        self._trying = False

    def succeeded(self) -> None:
        self._in_a_row = 0
        self._open_until = None
        self._trying = False

    def failed(self) -> bool:
        """Count a failure; True when it opened the breaker (then calls are skipped)."""
        self._in_a_row += 1
        was_open = self._open_until is not None
        if was_open or self._in_a_row >= self.failures:
            self._open_until = self._clock() + self.cooldown_s
            self._trying = False
            return not was_open
        return False

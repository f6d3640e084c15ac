"""When a server process drains, and when it ends its drain delay early.

Both are events, set by SIGTERM/SIGINT counted in this process (the first drains, the second
hurries), by the supervisor of ``--workers`` (which counts its own signals and tells every
worker), or by a test. Signals are counted only until the delay is over: after that one more
signal has its default effect again, so a stuck drain can still be stopped at once.
"""

from __future__ import annotations

import logging
import signal
from dataclasses import dataclass, field
from multiprocessing.synchronize import Event

import trio

log = logging.getLogger("texrender.serve")


@dataclass
class StopRequests:
    """``drain``: stop taking work (now, or after the drain delay); ``hurry``: end that delay.

    ``supervisor``: the events the supervisor of ``--workers`` sets for the same two.
    """

    supervisor: tuple[Event, Event] | None = None
    drain: trio.Event = field(default_factory=trio.Event)
    hurry: trio.Event = field(default_factory=trio.Event)
    _counting: trio.CancelScope = field(default_factory=trio.CancelScope)

    async def watch(self, *, task_status: trio.TaskStatus[None]) -> None:
        """Count this process's signals and, in a worker, watch the supervisor's events."""
        async with trio.open_nursery() as nursery:
            await nursery.start(self.count_signals)
            if self.supervisor is not None:
                drain, hurry = self.supervisor
                nursery.start_soon(_when_set, drain, self.drain)
                nursery.start_soon(_when_set, hurry, self.hurry)
            task_status.started()

    async def count_signals(self, *, task_status: trio.TaskStatus[None]) -> None:
        """Set ``drain`` at this process's first SIGTERM or SIGINT and ``hurry`` at its second.

        Signals are counted here, not read off the events: a worker may hear of the drain from
        its supervisor before the same signal reaches it, which is not a second signal.
        """
        with self._counting, trio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
            task_status.started()
            heard = 0
            async for signum in signals:
                heard += 1
                name = signal.Signals(signum).name
                if heard == 1:
                    log.info("received %s: draining", name)
                    self.drain.set()
                else:
                    log.info("received %s again: ending the drain delay now", name)
                    self.hurry.set()
                    return

    def stop_counting(self) -> None:
        """Give SIGTERM and SIGINT back their default effect (the process stops at once)."""
        self._counting.cancel()


async def _when_set(told: Event, event: trio.Event) -> None:
    """Set ``event`` once another process sets ``told``. A thread blocks on that event; it is
    left behind (and ends with the process) if the serve ends first."""
    await trio.to_thread.run_sync(told.wait, abandon_on_cancel=True)
    event.set()

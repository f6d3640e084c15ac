"""The drain, in the order a load balancer needs it.

1. **Delay** (``drain_delay_s``): ``/readyz`` answers 503 while the listener stays open and
   every request is served as usual, with ``Connection: close``; the balancer's health check
   sees the 503 and sends new requests elsewhere before any connection is refused.
2. **Notice**: no new connection is let in, those already waiting to be accepted are accepted
   (:mod:`server.serving.backlog`), and requests keep being read until nothing is in flight
   (at least :data:`SETTLE_S`, at most :data:`NOTICE_S`), for the connections just accepted
   and for keep-alive clients that sent on a connection just before its answer said close.
3. **Close**: Hypercorn closes the listener (new clients are refused) and the idle keep-alive
   connections.
4. **Finish**: in-flight requests finish; the serve ends as soon as none is left, not at the end
   of ``graceful_timeout_s``.

Each phase is logged, with the requests in flight.
"""

from __future__ import annotations

import logging

import trio
from hypercorn.config import Sockets

from ..app import TexrenderApp
from ..http.asgi import RequestCounter, requests_counter
from ..state import EXTENSION_KEY, AppState
from .backlog import let_no_one_in, until_accepted
from .stops import StopRequests

log = logging.getLogger("texrender.serve")
# How long no request must be in flight before a draining server stops.
QUIET_S = 0.25
# How long a draining server goes on reading requests on open connections (see give_notice):
# at least the time a client takes to send its request once connected, at most NOTICE_S.
SETTLE_S = 0.1
NOTICE_S = 0.5
# How often the request counter is read (it is a counter, not an event).
POLL_S = 0.02


async def drain_until_closing(
    app: TexrenderApp, stops: StopRequests, delay_s: float, sockets: Sockets
) -> None:
    """Phases 1 and 2: return when the listener is to close (Hypercorn's shutdown trigger)."""
    await stops.drain.wait()
    state: AppState | None = app.extensions.get(EXTENSION_KEY)
    if state is not None:
        state.draining = True
    in_flight = requests_counter(app)
    if delay_s > 0:
        log.info(
            "drain: /readyz answers 503; still serving for %g s (Connection: close) so a load "
            "balancer sees it first; a second SIGTERM or SIGINT ends this delay",
            delay_s,
            extra={"in_flight": in_flight.value},
        )
        with trio.move_on_after(delay_s):
            await stops.hurry.wait()
            log.info("drain: delay ended early", extra={"in_flight": in_flight.value})
    stops.stop_counting()
    let_no_one_in(sockets)
    await until_accepted(sockets)
    await give_notice(in_flight)
    log.info(
        "drain: no longer accepting connections; finishing %d request(s) in flight",
        in_flight.value,
        extra={"in_flight": in_flight.value},
    )


async def give_notice(in_flight: RequestCounter) -> None:
    """Go on reading requests for a moment (until nothing is in flight, at least
    :data:`SETTLE_S` and at most :data:`NOTICE_S`) before Hypercorn stops.

    A response finished just before draining began went out without ``Connection: close``, and
    its keep-alive client may already have sent the next request on that connection; once
    Hypercorn is told to stop it no longer reads such a request, and the client would see the
    connection closed unanswered. After a drain delay longer than this, such clients have been
    answered (with ``Connection: close``) long ago. A connection accepted a moment ago has
    its request on the way: one not yet read when Hypercorn stops is closed unanswered.
    """
    await trio.sleep(SETTLE_S)
    deadline = trio.current_time() + NOTICE_S - SETTLE_S
    while trio.current_time() < deadline:
        if in_flight.value == 0:
            return
        await trio.sleep(POLL_S)


async def end_when_idle(app: TexrenderApp, served: trio.CancelScope, grace_s: float) -> None:
    """Phase 4: once the listener is closed, end the serve as soon as no request is in flight
    (for a quiet moment, so a response being written is sent whole), instead of at the end of
    the grace.

    Hypercorn itself waits for every connection handler, and one whose keep-alive client sent
    its next request while the last response was being finished waits forever on an event
    nobody sets (h11 reports PAUSED; at shutdown the connection is closed without waking the
    reader). Such a connection has nothing in flight: the request was never read.
    """
    in_flight = requests_counter(app)
    started = trio.current_time()
    deadline = started + grace_s
    quiet_since: float | None = None
    while trio.current_time() < deadline:
        now = trio.current_time()
        if in_flight.value > 0:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = now
        elif now - quiet_since >= QUIET_S:
            log.info("drain: done, nothing in flight; stopping after %.2f s", now - started)
            served.cancel()
            return
        await trio.sleep(POLL_S)
    log.warning(
        "drain: graceful timeout (%g s) reached with %d request(s) in flight; stopping",
        grace_s,
        in_flight.value,
        extra={"in_flight": in_flight.value},
    )

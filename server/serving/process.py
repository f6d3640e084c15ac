"""One server process: Hypercorn's Trio worker serving the app, and a graceful stop on
SIGTERM/SIGINT.

The shutdown trigger marks the app as draining (``/readyz`` answers 503, responses say
``Connection: close``) before Hypercorn stops accepting, and the serve ends as soon as no request
is in flight (at the latest after ``graceful_timeout_s``). One worker (the default) runs this
serve in the main process; with ``--workers N`` each of N processes runs it on sockets bound
once (see :mod:`server.serving.workers`).
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Awaitable, Callable

import trio
from hypercorn.config import Config, Sockets
from hypercorn.trio.run import worker_serve
from hypercorn.utils import wrap_app

from ..app import TexrenderApp, create_app
from ..http.asgi import requests_counter
from ..settings import Settings
from ..state import EXTENSION_KEY, AppState
from .sockets import bind_sockets, close_sockets

log = logging.getLogger("texrender.serve")
# How long no request must be in flight before a draining server stops.
QUIET_S = 0.25
# How long a draining server goes on reading requests on open connections (see give_notice).
NOTICE_S = 0.5


def hypercorn_config(settings: Settings) -> Config:
    config = Config()
    config.bind = list(settings.bind)
    config.worker_class = "trio"
    config.workers = settings.workers
    config.graceful_timeout = settings.graceful_timeout_s
    config.keep_alive_timeout = settings.keep_alive_timeout_s
    config.accesslog = None
    config.errorlog = logging.getLogger("hypercorn.error")
    return config


async def stop_on_signal() -> None:
    """Return at the first SIGTERM or SIGINT."""
    with trio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
        async for signum in signals:
            log.info("received %s: draining", signal.Signals(signum).name)
            return


async def serve(
    settings: Settings,
    *,
    shutdown_trigger: Callable[[], Awaitable[None]] | None = None,
    app: TexrenderApp | None = None,
    sockets: Sockets | None = None,
    task_status: trio.TaskStatus[list[str]] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Run one server in this Trio run until ``shutdown_trigger`` returns (default: a signal).

    ``task_status.started`` receives the bound addresses (``http://127.0.0.1:PORT``), which is
    how tests bind port 0 and find the port. ``app`` serves a prebuilt app (tests add routes).
    ``sockets`` are listening sockets to serve (a worker's); by default they are bound here,
    before the app starts.

    Raises:
        StartupFailed: an address cannot be listened on, or the app cannot start for a reason
            the user can fix (see :mod:`server.startup`).
    """
    app = app or create_app(settings)
    config = hypercorn_config(settings)
    served = trio.CancelScope()
    own_sockets = sockets is None
    if sockets is None:
        sockets = bind_sockets(config, listen=True)

    async def drain_then_stop() -> None:
        await (shutdown_trigger or stop_on_signal)()
        state: AppState | None = app.extensions.get(EXTENSION_KEY)
        if state is not None:
            state.draining = True
        await give_notice(app)
        watcher.start_soon(end_when_idle, app, served, settings.graceful_timeout_s)

    try:
        await app.open_parts()  # before Hypercorn: a failure comes out whole, not as text
        async with trio.open_nursery() as watcher:
            with served:
                await worker_serve(
                    wrap_app(app, config.wsgi_max_body_size, "asgi"),
                    config,
                    sockets=sockets,
                    shutdown_trigger=drain_then_stop,
                    task_status=task_status,
                )
            watcher.cancel_scope.cancel()
    finally:
        if own_sockets:
            close_sockets(sockets)


async def give_notice(app: TexrenderApp) -> None:
    """Go on serving for a moment after draining begins (until nothing is in flight, at most
    :data:`NOTICE_S`), before Hypercorn stops reading requests.

    A response finished just before the signal went out without ``Connection: close``, and its
    keep-alive client may already have sent the next request on that connection; once
    Hypercorn is told to stop it no longer reads such a request, and the client would see the
    connection closed unanswered. Every response from now on says ``Connection: close``, so
    after the notice no client has a reason to send on an old connection.
    """
    in_flight = requests_counter(app)
    deadline = trio.current_time() + NOTICE_S
    while trio.current_time() < deadline:
        if in_flight.value == 0:
            return
        await trio.sleep(0.02)  # a counter, not an event: polled like end_when_idle's


async def end_when_idle(app: TexrenderApp, served: trio.CancelScope, grace_s: float) -> None:
    """Once shutdown has begun, end the serve as soon as no request is in flight (for a quiet
    moment, so a response being written is sent whole), instead of at the end of the grace.

    Hypercorn itself waits for every connection handler, and one whose keep-alive client sent
    its next request while the last response was being finished waits forever on an event
    nobody sets (h11 reports PAUSED; at shutdown the connection is closed without waking the
    reader). Such a connection has nothing in flight: the request was never read.
    """
    in_flight = requests_counter(app)
    deadline = trio.current_time() + grace_s
    quiet_since: float | None = None
    while trio.current_time() < deadline:
        now = trio.current_time()
        if in_flight.value > 0:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = now
        elif now - quiet_since >= QUIET_S:
            log.info("drained: no request in flight; stopping")
            served.cancel()
            return
        await trio.sleep(0.02)

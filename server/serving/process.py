"""One server process: Hypercorn's Trio worker serving the app, and its drain on SIGTERM or
SIGINT (see :mod:`server.serving.drain`).

One worker (the default) runs this serve in the main process; with ``--workers N`` each of N
processes runs it on sockets bound once (see :mod:`server.serving.workers`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import trio
from hypercorn.config import Config, Sockets
from hypercorn.trio.run import worker_serve
from hypercorn.utils import wrap_app

from ..app import TexrenderApp, create_app
from ..settings import Settings
from .door import Door, DoorApp, install_door
from .drain import drain_until_closing, end_when_idle
from .heap import freeze_start_up_heap
from .sockets import bind_sockets, close_sockets
from .stops import StopRequests

log = logging.getLogger("texrender.serve")


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


async def serve(
    settings: Settings,
    *,
    stops: StopRequests | None = None,
    shutdown_trigger: Callable[[], Awaitable[None]] | None = None,
    app: TexrenderApp | None = None,
    sockets: Sockets | None = None,
    task_status: trio.TaskStatus[list[str]] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Run one server in this Trio run until it has drained.

    The drain begins at this process's first SIGTERM or SIGINT, or when the supervisor of
    ``--workers`` says so (``stops``), or when ``shutdown_trigger`` returns (tests).
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
    install_door()  # a connection's first request meets it before Hypercorn (see door.py)
    served = trio.CancelScope()
    stops = stops or StopRequests()
    own_sockets = sockets is None
    if sockets is None:
        sockets = bind_sockets(config, listen=True)

    async def drain_then_stop() -> None:
        await drain_until_closing(app, stops, settings.drain_delay_s, sockets)
        watcher.start_soon(end_when_idle, app, served, settings.graceful_timeout_s)

    try:
        await app.open_parts()  # before Hypercorn: a failure comes out whole, not as text
        freeze_start_up_heap()
        async with trio.open_nursery() as watcher:
            if shutdown_trigger is not None:
                watcher.start_soon(_set_after, shutdown_trigger, stops.drain)
            else:
                await watcher.start(stops.watch)
            with served:
                await worker_serve(
                    DoorApp(wrap_app(app, config.wsgi_max_body_size, "asgi"), Door(app, config)),
                    config,
                    sockets=sockets,
                    shutdown_trigger=drain_then_stop,
                    task_status=task_status,
                )
            watcher.cancel_scope.cancel()
        log.info("stopped")
    finally:
        if own_sockets:
            close_sockets(sockets)


async def _set_after(trigger: Callable[[], Awaitable[None]], event: trio.Event) -> None:
    await trigger()
    event.set()

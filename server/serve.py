"""Serving with Hypercorn's Trio worker, and a graceful stop on SIGTERM/SIGINT.

One worker (the default) runs in this process, so the shutdown trigger can mark the app as
draining (``/readyz`` answers 503) before Hypercorn stops accepting and lets in-flight renders
finish within ``graceful_timeout_s``. With ``--workers N`` Hypercorn's own supervisor runs N
processes, each building its app from the environment (see :mod:`server.entry`).
"""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Awaitable, Callable

import trio
from hypercorn.config import Config
from hypercorn.run import run as hypercorn_run
from hypercorn.trio import serve as hypercorn_serve

from .app import TexrenderApp, create_app
from .asgi import requests_counter
from .settings import ENV_PREFIX, Settings
from .state import EXTENSION_KEY, AppState

log = logging.getLogger("texrender.serve")
# How long no request must be in flight before a draining server stops.
QUIET_S = 0.25


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


def serve_forever(settings: Settings) -> None:
    """Serve until SIGTERM or SIGINT, then drain."""
    if settings.workers > 1:
        _serve_with_workers(settings)
        return
    trio.run(serve, settings)


async def serve(
    settings: Settings,
    *,
    shutdown_trigger: Callable[[], Awaitable[None]] | None = None,
    app: TexrenderApp | None = None,
    task_status: trio.TaskStatus[list[str]] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Run one server in this Trio run until ``shutdown_trigger`` returns (default: a signal).

    ``task_status.started`` receives the bound addresses (``http://127.0.0.1:PORT``), which is
    how tests bind port 0 and find the port. ``app`` serves a prebuilt app (tests add routes).
    """
    app = app or create_app(settings)
    config = hypercorn_config(settings)

    async def stop_on_signal() -> None:
        with trio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
            async for signum in signals:
                log.info("received %s: draining", signal.Signals(signum).name)
                return

    served = trio.CancelScope()

    async def drain_then_stop() -> None:
        await (shutdown_trigger or stop_on_signal)()
        state: AppState | None = app.extensions.get(EXTENSION_KEY)
        if state is not None:
            state.draining = True
        watcher.start_soon(end_when_idle, app, served, settings.graceful_timeout_s)

    async with trio.open_nursery() as watcher:
        with served:
            await hypercorn_serve(
                app, config, shutdown_trigger=drain_then_stop, task_status=task_status
            )
        watcher.cancel_scope.cancel()


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


def _serve_with_workers(settings: Settings) -> None:
    # Each worker process rebuilds Settings from the environment: pass every value there.
    for name, value in vars(settings).items():
        if isinstance(value, tuple):
            value = ",".join(str(v) for v in value)
        if value is not None:
            os.environ[ENV_PREFIX + name.upper()] = str(value)
    config = hypercorn_config(settings)
    config.application_path = "server.entry:app_from_env()"
    hypercorn_run(config)

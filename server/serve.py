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
from .settings import ENV_PREFIX, Settings
from .state import EXTENSION_KEY, AppState

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

    async def drain_then_stop() -> None:
        await (shutdown_trigger or stop_on_signal)()
        state: AppState | None = app.extensions.get(EXTENSION_KEY)
        if state is not None:
            state.draining = True

    await hypercorn_serve(app, config, shutdown_trigger=drain_then_stop, task_status=task_status)


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

"""``texrender serve``: the server in this one process, or in ``--workers N`` processes.

:func:`serve` is one process's serve (see :mod:`server.serving.process`);
:func:`server.serving.workers.serve_with_workers` runs it in each of N worker processes.
"""

from __future__ import annotations

import trio

from ..settings import Settings
from .process import serve
from .workers import serve_with_workers

__all__ = ["serve", "serve_forever"]


def serve_forever(settings: Settings) -> int:
    """Serve until SIGTERM or SIGINT, then drain; the exit code."""
    if settings.workers > 1:
        return serve_with_workers(settings)
    trio.run(serve, settings)
    return 0

"""``texrender serve``: the server in this one process, or in ``--workers N`` processes.

:func:`serve` is one process's serve (see :mod:`server.serving.process`);
:func:`server.serving.workers.serve_with_workers` runs it in each of N worker processes.
"""

from __future__ import annotations

import sys

import trio

from ..settings import Settings
from ..startup import StartupFailed
from .process import serve
from .workers import serve_with_workers

__all__ = ["serve", "serve_forever"]


def serve_forever(settings: Settings) -> int:
    """Serve until SIGTERM or SIGINT, then drain; the exit code. A start-up failure the user
    can fix is one line on stderr and exit status 1."""
    try:
        if settings.workers > 1:
            return serve_with_workers(settings)
        trio.run(serve, settings)
    except StartupFailed as failure:
        print(f"texrender: {failure}", file=sys.stderr)
        return 1
    return 0

"""``--workers N``: N server processes on one set of listening sockets, each draining as one.

Hypercorn's own supervisor runs its stock worker, which knows nothing of texrender's drain
(readiness 503, the drain delay, ``Connection: close``, exit as soon as no request is in
flight), so a SIGTERM there waited out the whole grace period. Here the sockets are bound once,
in this process, and each worker runs :func:`server.serving.process.serve`, the very serve a
single process runs. The first SIGTERM or SIGINT here sets an event every worker watches
(drain), the second another (end the drain delay), the third kills them; a worker signalled
directly (a service manager signals the whole group) counts its own signals the same way. A
worker that dies on its own takes the others down with a non-zero exit: the service manager
restarts the whole, as it would one process. The workers divide the host's render slots, queue
and memory cache between them (:mod:`server.serving.shares`).
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import sys
from functools import partial
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from multiprocessing.queues import SimpleQueue
from multiprocessing.synchronize import Event
from types import FrameType

import trio
from hypercorn.config import Sockets

from ..settings import Settings
from ..startup import StartupFailed
from .logs import configure_logging
from .process import hypercorn_config, serve
from .shares import check_budget, worker_settings
from .sockets import bind_sockets, close_sockets
from .stops import StopRequests

log = logging.getLogger("texrender.workers")


def serve_with_workers(settings: Settings) -> int:
    """Run ``settings.workers`` processes until they have all stopped; their worst exit code.

    Raises:
        StartupFailed: fewer render slots than workers (see :mod:`server.serving.shares`).
    """
    check_budget(settings)
    config = hypercorn_config(settings)
    sockets = bind_sockets(config, listen=False)
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: no inherited state
    stop = context.Event()  # drain
    hurry = context.Event()  # end the drain delay now
    failures: SimpleQueue[str] = context.SimpleQueue()  # start-up failures, told once here
    heard = 0

    def on_signal(signum: int, frame: FrameType | None) -> None:
        nonlocal heard
        heard += 1
        name = signal.Signals(signum).name
        if heard == 1:
            log.info("received %s: draining %d workers", name, len(alive))
            stop.set()
        elif heard == 2:
            log.info("received %s again: ending the workers' drain delay now", name)
            hurry.set()
        else:
            log.warning("received %s a third time: stopping the workers at once", name)
            for process in alive:
                process.kill()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    alive: list[BaseProcess] = []
    worst = 0
    try:
        for index in range(settings.workers):
            process = context.Process(
                target=run_worker,
                args=(worker_settings(settings, index), sockets, stop, hurry, failures),
                name=f"texrender-worker-{index}",
            )
            process.start()
            alive.append(process)
        # Each worker holds its own copy of the sockets now. This one would keep accepting
        # connections into the backlog after every worker has stopped listening, connections
        # no one answers: a draining server must refuse them instead.
        close_sockets(sockets)
        while alive:
            wait([process.sentinel for process in alive])
            for ended in [p for p in alive if p.exitcode is not None]:
                alive.remove(ended)
                code = ended.exitcode or 0
                worst = worst or code
                if not stop.is_set() and not failures.empty():
                    worst = worst or 1
                    stop.set()
                elif not stop.is_set():
                    log.error(
                        "worker %s exited (code %s) while serving: stopping the others",
                        ended.pid,
                        code,
                    )
                    worst = worst or 1
                    stop.set()
    finally:
        for left in alive:  # only on an error here: the workers are told, then ended
            stop.set()
            left.join(settings.graceful_timeout_s)
            if left.exitcode is None:
                left.terminate()
        close_sockets(sockets)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if not failures.empty():
        raise StartupFailed(failures.get())
    return worst


def run_worker(
    settings: Settings, sockets: Sockets, stop: Event, hurry: Event, failures: SimpleQueue[str]
) -> None:
    """One worker process: the single-process serve, on the shared sockets, until told; a
    start-up failure is handed to the supervisor, which tells it once."""
    configure_logging(settings.log_level, settings.log_format)
    backlog = hypercorn_config(settings).backlog
    for sock in [*sockets.insecure_sockets, *sockets.secure_sockets]:
        sock.listen(backlog)

    stops = StopRequests(supervisor=(stop, hurry))
    try:
        trio.run(partial(serve, settings, stops=stops, sockets=sockets))
    except StartupFailed as failure:
        failures.put(str(failure))
        sys.exit(1)

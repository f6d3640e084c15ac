"""The load generator niced, the servers and the health probe not.

On a machine the harness shares with the server, the load generator's own CPU would otherwise
decide the result: its clients compete with the server for the cores, and a busy harness delays
the health probe's answers as much as a busy server. :func:`nice_load_generator` lowers this
process's priority (the closed-loop clients run here) and notes the priority it had; every
server the harness starts (:class:`loadtest.drive.Server`) and the probe process put themselves
back to that priority with :func:`restore_priority`. Raising a priority back needs
``CAP_SYS_NICE`` (or a ``RLIMIT_NICE`` that allows it): without it they stay niced too, and
:func:`separation` says so.
"""

from __future__ import annotations

import contextlib
import os

BASE_ENV = "TEXRENDER_LOADGEN_BASE_NICENESS"
# The lowest priority there is: below the server's TeX runs too (+10 from the server's), so the
# harness takes neither the server's CPU nor the TeX runs' it is measuring.
LOADGEN_NICENESS = 19


def nice_load_generator(by: int = LOADGEN_NICENESS) -> None:
    """Lower this process's priority by ``by``; its children restore the one it had."""
    if BASE_ENV not in os.environ:
        os.environ[BASE_ENV] = str(os.getpriority(os.PRIO_PROCESS, 0))
        os.nice(by)


def restore_priority() -> None:
    """In a child of a niced load generator: back to the priority it had (if allowed)."""
    base = os.environ.get(BASE_ENV)
    if base is None:
        return
    with contextlib.suppress(PermissionError, ValueError):
        os.setpriority(os.PRIO_PROCESS, 0, int(base))


def separation() -> dict[str, object]:
    """How the load generator is kept apart from the server, for the report."""
    base = os.environ.get(BASE_ENV)
    if base is None:
        return {"load_generator_niceness": os.getpriority(os.PRIO_PROCESS, 0), "niced": False}
    mine = os.getpriority(os.PRIO_PROCESS, 0)
    try:
        os.setpriority(os.PRIO_PROCESS, 0, int(base))  # can a child go back? try it here
        restorable = True
        os.setpriority(os.PRIO_PROCESS, 0, mine)
    except PermissionError:
        restorable = False
    return {
        "niced": True,
        "load_generator_niceness": mine,
        "server_and_probe_niceness": int(base) if restorable else mine,
        "restored": restorable,
    }

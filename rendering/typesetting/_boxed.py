"""One sandboxed helper process, natively async: started in its own session under the box of
:mod:`rendering.typesetting._sandbox`, bounded by a timeout, and killed as a whole process
group on every way out (done, timed out, cancelled), because trio stops delivering cancellation
as soon as the group leader exits and a child of it may still run; and the private work
directory it runs in, removed on every way out too.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import trio

from ._sandbox import Identity, SandboxLimits, make_preexec, sandbox_prefix

WORKDIR_PREFIX = "texrender-"


@contextlib.asynccontextmanager
async def work_directory(
    root: Path | None,
    identity: Identity | None,
    *,
    kind: str = "",
    fill: Callable[[Path], None] | None = None,
) -> AsyncIterator[Path]:
    """A fresh directory ``texrender-<pid>-<kind><random>`` under ``root`` (the system's temp
    dir if None), with ``fill(path)`` done in it, owned by ``identity``; made in one trip to a
    worker thread, and removed on every way out. The pid in the name lets a later start tell a
    directory left by a killed process from one in use (``PdfLatexEngine.sweep_leftovers``).
    """
    path = await trio.to_thread.run_sync(_make_directory, root, identity, kind, fill)
    try:
        yield path
    finally:
        with trio.CancelScope(shield=True):
            await trio.to_thread.run_sync(shutil.rmtree, path, True)


def _make_directory(
    root: Path | None,
    identity: Identity | None,
    kind: str,
    fill: Callable[[Path], None] | None,
) -> Path:
    path = Path(tempfile.mkdtemp(prefix=f"{WORKDIR_PREFIX}{os.getpid()}-{kind}", dir=root))
    try:
        if fill is not None:
            fill(path)
        if identity is not None:
            os.chown(path, identity.uid, identity.gid)
    except BaseException:
        shutil.rmtree(path, ignore_errors=True)
        raise
    return path


class BoxTimeout(Exception):
    """The process ran past its timeout; its process group was killed."""


class BoxStartFailed(Exception):
    """The program could not be started (missing, not executable)."""


class BoxKilled(Exception):
    """A signal from outside the box ended the program (the kernel's OOM killer, an
    operator): nothing the program's input did, and so not its error to report."""


def kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


async def _deliver_cancel(process: trio.Process) -> None:
    kill_group(process.pid)


async def run_boxed(
    argv: list[str],
    *,
    cwd: Path,
    env: dict[str, str],
    timeout_s: float,
    limits: SandboxLimits,
    identity: Identity | None,
    stdin: bytes | None = None,
) -> int:
    """Run ``argv`` in ``cwd`` in the box; its return code (its output goes to files in ``cwd``).

    Raises:
        BoxTimeout: still running after ``timeout_s`` (or past its CPU time).
        BoxStartFailed: the program could not be started.
        BoxKilled: a signal from outside ended it.
    """
    cpu_seconds = math.ceil(timeout_s) + 1
    prefix = sandbox_prefix(cpu_seconds, limits, identity)
    boxing: dict[str, Any] = {}
    if prefix is None:
        boxing["preexec_fn"] = make_preexec(cpu_seconds, limits)
        if identity is not None:
            boxing.update(user=identity.uid, group=identity.gid, extra_groups=[])
    run = functools.partial(
        trio.run_process,
        [*(prefix or []), *argv],
        cwd=cwd,
        env=env,
        stdin=stdin if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
        start_new_session=True,
        deliver_cancel=_deliver_cancel,
        **boxing,
    )
    with trio.move_on_after(timeout_s) as deadline:
        try:
            async with trio.open_nursery() as nursery:
                process: trio.Process = await nursery.start(run)
                try:
                    await process.wait()
                finally:
                    # The program's children (if any) die with it, whatever ended the wait.
                    kill_group(process.pid)
        except ExceptionGroup as group:
            failure = _sole_error(group)
            if not isinstance(failure, OSError):
                raise
            raise BoxStartFailed(str(failure)) from group
    if deadline.cancelled_caught:
        raise BoxTimeout(f"took longer than {timeout_s:g} s and was stopped")
    code = process.returncode
    assert code is not None
    if code < 0:
        if -code == signal.SIGXCPU:  # its CPU-time rlimit: a timeout of the box's own
            raise BoxTimeout(f"used more than {cpu_seconds} s of CPU and was stopped")
        raise BoxKilled(f"stopped by {_signal_name(-code)} from outside")
    return code


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _sole_error(group: BaseExceptionGroup[BaseException]) -> BaseException | None:
    """The one exception inside (possibly nested) groups, or None if there are several."""
    leaves = list(_leaves(group))
    return leaves[0] if len(leaves) == 1 else None


def _leaves(error: BaseException) -> Iterator[BaseException]:
    if isinstance(error, BaseExceptionGroup):
        for inner in error.exceptions:
            yield from _leaves(inner)
    else:
        yield error

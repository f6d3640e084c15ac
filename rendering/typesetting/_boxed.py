"""One sandboxed helper process, natively async: started in its own session under the box of
:mod:`rendering.typesetting._sandbox`, bounded by a timeout, and killed as a whole process
group on every way out (done, timed out, cancelled), because trio stops delivering cancellation
as soon as the group leader exits and a child of it may still run; and the private work
directory it runs in, removed on every way out too.

:func:`run_in_directory` is TeX's path: the directory made and filled in one trip to a worker
thread, the program run by :func:`run_boxed` (``trio.run_process``), its outputs read and the
directory removed in one more trip. :func:`work_directory` with :func:`run_boxed` is the
general form (stdin, other programs).
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, TypeVar

import trio

from ._sandbox import Identity, SandboxLimits, make_preexec, sandbox_prefix

WORKDIR_PREFIX = "texrender-"
T = TypeVar("T")


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
        await remove_directory(path)


async def remove_directory(path: Path) -> None:
    """Remove ``path`` and all in it (if it is there) from a worker thread, shielded: it goes
    on every way out, a cancelled caller's too."""
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
    cpu_seconds = cpu_limit(timeout_s)
    boxed, boxing = boxed_command(argv, cpu_seconds, limits, identity)
    started = _Started()
    with trio.move_on_after(timeout_s) as deadline:
        try:
            done = await trio.run_process(
                boxed,
                cwd=cwd,
                env=env,
                stdin=stdin if stdin is not None else subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                check=False,
                start_new_session=True,
                deliver_cancel=_deliver_cancel,
                task_status=started,
                **boxing,
            )
        except OSError as exc:
            raise BoxStartFailed(str(exc)) from exc
        finally:
            # The program's children (if any) die with it, whatever ended it. On a timeout or
            # a cancellation, _deliver_cancel has killed the group before trio reaps a leader
            # that still runs. After an exit trio has reaped the leader already
            # (trio.run_process has no hook before that), but its number still names this
            # group while any member lives, which is when this kill matters; it can name
            # another only once the group is empty and the kernel's pid counter has come round.
            if started.process is not None:
                kill_group(started.process.pid)
    if deadline.cancelled_caught:
        raise BoxTimeout(f"took longer than {timeout_s:g} s and was stopped")
    return checked_exit(done.returncode, cpu_seconds)


class _Started:
    """What ``trio.run_process`` tells of the process it started (as it tells
    ``Nursery.start``): its pid, for the group kill, without a nursery of our own to run it in
    (a task and a trip through the scheduler, on every run)."""

    process: trio.Process | None = None

    def started(self, value: trio.Process | None = None) -> None:
        self.process = value


def cpu_limit(timeout_s: float) -> int:
    """The box's CPU-time rlimit for a run of ``timeout_s``: past the wall-clock timeout, so
    that one ends a normal run."""
    return math.ceil(timeout_s) + 1


def boxed_command(
    argv: list[str], cpu_seconds: int, limits: SandboxLimits, identity: Identity | None
) -> tuple[list[str], dict[str, Any]]:
    """The command line in its box, and what ``Popen`` needs besides to box it (a
    ``preexec_fn`` and the user only when the sandbox's tools are missing)."""
    prefix = sandbox_prefix(cpu_seconds, limits, identity)
    boxing: dict[str, Any] = {}
    if prefix is None:
        boxing["preexec_fn"] = make_preexec(cpu_seconds, limits)
        if identity is not None:
            boxing.update(user=identity.uid, group=identity.gid, extra_groups=[])
    return [*(prefix or []), *argv], boxing


def checked_exit(code: int, cpu_seconds: int) -> int:
    """The return code of a boxed program that exited (``os.waitstatus_to_exitcode``'s
    reading: minus the signal that ended it); a signal's end raised as what it means."""
    if code < 0:
        raise _signal_error(-code, cpu_seconds)
    return code


def _signal_error(number: int, cpu_seconds: int) -> BoxTimeout | BoxKilled:
    """What the end of a boxed program by signal ``number`` means."""
    if number == signal.SIGXCPU:  # its CPU-time rlimit: a timeout of the box's own
        return BoxTimeout(f"used more than {cpu_seconds} s of CPU and was stopped")
    return BoxKilled(f"stopped by {_signal_name(number)} from outside")


async def run_in_directory(
    argv: list[str],
    *,
    root: Path | None,
    identity: Identity | None,
    fill: Callable[[Path], None],
    env: Callable[[Path], dict[str, str]],
    timeout_s: float,
    limits: SandboxLimits,
    collect: Callable[[Path, int], T],
) -> tuple[int, T]:
    """Run ``argv`` in the box (:func:`run_boxed`) in a fresh work directory (as
    :func:`work_directory` makes, with ``fill(path)`` done in it and ``env(path)`` its
    environment); its return code and ``collect(path, code)``, read before the directory is
    removed. The output goes to files.

    Two trips to a worker thread besides ``trio.run_process``'s own (each is server CPU paid on
    every render): one makes and fills the directory, the other collects and removes it,
    shielded. A program ended by a timeout, a cancellation or a signal has nothing worth
    collecting: its directory is removed unread.

    Raises:
        BoxTimeout: still running after ``timeout_s`` (or past its CPU time).
        BoxStartFailed: the program could not be started.
        BoxKilled: a signal from outside ended it.
    """
    path = await trio.to_thread.run_sync(_make_directory, root, identity, "", fill)
    try:
        code = await run_boxed(
            argv,
            cwd=path,
            env=env(path),
            timeout_s=timeout_s,
            limits=limits,
            identity=identity,
        )
    except BaseException:
        await remove_directory(path)
        raise
    with trio.CancelScope(shield=True):  # the directory goes, whatever happens meanwhile
        collected = await trio.to_thread.run_sync(_collect_and_remove, path, code, collect)
    return code, collected


def _collect_and_remove(path: Path, code: int, collect: Callable[[Path, int], T]) -> T:
    """``collect(path, code)``, then the directory removed whatever it did. Blocking."""
    try:
        return collect(path, code)
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"

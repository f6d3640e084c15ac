"""One sandboxed helper process, natively async: started in its own session under the box of
:mod:`rendering.typesetting._sandbox`, bounded by a timeout, and killed as a whole process
group on every way out (done, timed out, cancelled), because trio stops delivering cancellation
as soon as the group leader exits and a child of it may still run; and the private work
directory it runs in, removed on every way out too.

:func:`run_in_directory` does all of it in two trips to a worker thread (the directory made,
filled and the process started; its outputs read and the directory removed), waiting for the
exit on a pidfd in between: TeX's path, where each trip (and ``trio.run_process``'s own) is
server CPU paid on every render. :func:`work_directory` with :func:`run_boxed` is the general
form (stdin, other programs).
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
    cpu_seconds = _cpu_seconds(timeout_s)
    boxed, boxing = _boxing(argv, cpu_seconds, limits, identity)
    run = functools.partial(
        trio.run_process,
        boxed,
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
    return _checked(code, cpu_seconds)


def _cpu_seconds(timeout_s: float) -> int:
    """The box's CPU-time rlimit: past the wall-clock timeout, so that one ends a normal run."""
    return math.ceil(timeout_s) + 1


def _boxing(
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


def _checked(code: int, cpu_seconds: int) -> int:
    """The return code of a program that exited; a signal's end raised as what it means."""
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
    """Run ``argv`` in the box in a fresh work directory (as :func:`work_directory` makes,
    with ``fill(path)`` done in it and ``env(path)`` its environment); its return code and
    ``collect(path, code)``, read before the directory is removed. The output goes to files.

    One trip to a worker thread makes the directory and starts the program, another collects
    and removes it; the exit is awaited on a pidfd. Without pidfds (not Linux), the general
    form does the same in more trips.

    Raises:
        BoxTimeout: still running after ``timeout_s`` (or past its CPU time).
        BoxStartFailed: the program could not be started.
        BoxKilled: a signal from outside ended it.
    """
    if not hasattr(os, "pidfd_open"):
        async with work_directory(root, identity, fill=fill) as path:
            exited = await run_boxed(
                argv,
                cwd=path,
                env=env(path),
                timeout_s=timeout_s,
                limits=limits,
                identity=identity,
            )
            return exited, await trio.to_thread.run_sync(collect, path, exited)
    cpu_seconds = _cpu_seconds(timeout_s)
    boxed, boxing = _boxing(argv, cpu_seconds, limits, identity)
    start = functools.partial(_start_in_directory, boxed, boxing, root, identity, fill, env)
    path, process, pidfd = await trio.to_thread.run_sync(start)
    exited = False
    try:
        with trio.move_on_after(timeout_s):
            await trio.lowlevel.wait_readable(pidfd)
            exited = True
    finally:
        # The program's children (if any) die with it, whatever ended the wait: killed while
        # the group leader is not yet reaped, so its pid names no other group; then it is
        # reaped (at once if it exited, else as soon as the kill lands).
        kill_group(process.pid)
        with trio.CancelScope(shield=True):
            if not exited:
                await trio.lowlevel.wait_readable(pidfd)
            code = process.wait()  # it has exited: no wait
            os.close(pidfd)
            if not exited:  # timed out or cancelled: nothing to collect
                await trio.to_thread.run_sync(shutil.rmtree, path, True)
    if not exited:
        raise BoxTimeout(f"took longer than {timeout_s:g} s and was stopped")
    with trio.CancelScope(shield=True):  # the directory goes, whatever happens meanwhile
        if code < 0:  # ended by a signal: nothing worth collecting
            await trio.to_thread.run_sync(shutil.rmtree, path, True)
            raise _signal_error(-code, cpu_seconds)
        collected = await trio.to_thread.run_sync(_collect_and_remove, path, code, collect)
    return code, collected


def _start_in_directory(
    boxed: list[str],
    boxing: dict[str, Any],
    root: Path | None,
    identity: Identity | None,
    fill: Callable[[Path], None],
    env: Callable[[Path], dict[str, str]],
) -> tuple[Path, subprocess.Popen[bytes], int]:
    """The work directory, the program started in it, and a pidfd for its exit. Blocking:
    call from a thread.

    Raises:
        BoxStartFailed: the program could not be started (the directory is removed).
    """
    path = _make_directory(root, identity, "", fill)
    try:
        process = subprocess.Popen(
            boxed,
            cwd=path,
            env=env(path),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            **boxing,
        )
    except OSError as exc:
        shutil.rmtree(path, ignore_errors=True)
        raise BoxStartFailed(str(exc)) from exc
    except BaseException:
        shutil.rmtree(path, ignore_errors=True)
        raise
    try:
        return path, process, os.pidfd_open(process.pid)
    except BaseException:
        kill_group(process.pid)
        process.wait()
        shutil.rmtree(path, ignore_errors=True)
        raise


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

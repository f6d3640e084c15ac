"""Run TeX on one document, sandboxed, natively async, and always cleaned up.

Each compile gets a fresh temporary directory that is removed on every path (success, TeX error,
timeout, cancellation). TeX runs through ``trio.run_process`` with an argv list (never a shell)
in its own session, so on timeout or cancellation the whole process group is killed; a final
SIGKILL to the group runs in ``finally`` because trio stops delivering cancellation as soon as the
group leader exits. The child gets:

* ``-no-shell-escape -interaction=batchmode -halt-on-error``;
* ``openin_any=p openout_any=p shell_escape=f``: no reading or writing outside its directory
  (Debian's default ``openin_any=a`` would let ``\\input{/etc/passwd}`` into the PDF);
* rlimits on CPU seconds, address space, output file size and processes;
* when the server runs as root, an unprivileged user (``nobody`` by default), so that the
  process limit is enforced and the file system protects the rest of the machine.

The PDF and (only on failure) the log are read through ``trio.Path``; the log read is capped.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import pwd
import resource
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import trio

from .errors import EngineUnavailable, TexError, TexTimeout
from .texlog import parse_tex_log

JOB_NAME = "doc"
WORKDIR_PREFIX = "texrender-"
_MIB = 1024 * 1024


@dataclass(frozen=True)
class CompileResult:
    """A finished compile: the PDF bytes and how long TeX ran (wall clock, seconds)."""

    pdf: bytes
    tex_seconds: float


class TexEngine(Protocol):
    """The I/O edge of rendering: TeX source in, PDF out. Swappable for tests."""

    async def compile(self, source: str, *, timeout_s: float) -> CompileResult:
        """Typeset ``source``.

        Raises:
            TexError: TeX reported an error or produced no PDF.
            TexTimeout: TeX ran past ``timeout_s``; its process group was killed.
            EngineUnavailable: the engine could not be started.
        """
        ...


@dataclass(frozen=True)
class SandboxLimits:
    """Resource limits applied to every TeX process (and its children)."""

    address_space_bytes: int = 1024 * _MIB
    output_file_bytes: int = 64 * _MIB
    max_processes: int = 64
    max_log_bytes: int = 256 * 1024


def build_argv(engine: str, job_name: str = JOB_NAME) -> list[str]:
    """The command line for one compile of ``<job_name>.tex`` in the current directory."""
    return [
        engine,
        "-no-shell-escape",
        "-interaction=batchmode",
        "-halt-on-error",
        f"-jobname={job_name}",
        f"{job_name}.tex",
    ]


def build_env(workdir: Path) -> dict[str, str]:
    """A minimal environment: no inherited secrets, kpathsea locked to the work directory."""
    return {
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "HOME": str(workdir),
        "LC_ALL": "C.UTF-8",
        "openin_any": "p",
        "openout_any": "p",
        "shell_escape": "f",
        "max_print_line": "10000",
        "TEXMFVAR": str(workdir / ".texmf-var"),
        "TEXMFCONFIG": str(workdir / ".texmf-config"),
    }


def make_preexec(cpu_seconds: int, limits: SandboxLimits) -> Callable[[], None]:
    """The function the child runs before exec: it applies the rlimits."""

    def apply_limits() -> None:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
        resource.setrlimit(
            resource.RLIMIT_AS, (limits.address_space_bytes, limits.address_space_bytes)
        )
        resource.setrlimit(
            resource.RLIMIT_FSIZE, (limits.output_file_bytes, limits.output_file_bytes)
        )
        resource.setrlimit(resource.RLIMIT_NPROC, (limits.max_processes, limits.max_processes))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply_limits


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


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


async def _deliver_cancel(process: trio.Process) -> None:
    _kill_group(process.pid)


@dataclass(frozen=True)
class _Identity:
    uid: int
    gid: int


def resolve_user(name: str | None) -> _Identity | None:
    """The identity TeX runs as: ``name`` if given, ``nobody`` when we are root, else our own."""
    if name is None and os.geteuid() != 0:
        return None
    entry = pwd.getpwnam(name or "nobody")
    if entry.pw_uid == os.geteuid():
        return None
    return _Identity(entry.pw_uid, entry.pw_gid)


class PdfLatexEngine:
    """The real engine: ``pdflatex`` (or a compatible binary) in a sandboxed subprocess."""

    def __init__(
        self,
        executable: str = "pdflatex",
        *,
        work_root: Path | None = None,
        limits: SandboxLimits | None = None,
        user: str | None = None,
    ) -> None:
        # Resolved once, here: the unprivileged child may not be able to search our PATH.
        self.executable = shutil.which(executable) or executable
        self.work_root = work_root
        self.limits = limits or SandboxLimits()
        self._identity = resolve_user(user)

    def _make_workdir(self) -> Path:
        path = Path(tempfile.mkdtemp(prefix=WORKDIR_PREFIX, dir=self.work_root))
        if self._identity is not None:
            os.chown(path, self._identity.uid, self._identity.gid)
        return path

    async def compile(self, source: str, *, timeout_s: float) -> CompileResult:
        workdir = await trio.to_thread.run_sync(self._make_workdir)
        try:
            return await self._compile_in(workdir, source, timeout_s)
        finally:
            with trio.CancelScope(shield=True):
                await trio.to_thread.run_sync(shutil.rmtree, workdir, True)

    async def _compile_in(self, workdir: Path, source: str, timeout_s: float) -> CompileResult:
        await trio.Path(workdir, f"{JOB_NAME}.tex").write_text(source, encoding="utf-8")
        identity: dict[str, Any] = {}
        if self._identity is not None:
            identity = {
                "user": self._identity.uid,
                "group": self._identity.gid,
                "extra_groups": [],
            }
        started = trio.current_time()
        run = functools.partial(
            trio.run_process,
            build_argv(self.executable),
            cwd=workdir,
            env=build_env(workdir),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
            start_new_session=True,
            deliver_cancel=_deliver_cancel,
            preexec_fn=make_preexec(math.ceil(timeout_s) + 1, self.limits),
            **identity,
        )
        with trio.move_on_after(timeout_s) as deadline:
            try:
                async with trio.open_nursery() as nursery:
                    process: trio.Process = await nursery.start(run)
                    try:
                        await process.wait()
                    finally:
                        # TeX's children (if any) die with it, whatever ended the wait.
                        _kill_group(process.pid)
            except ExceptionGroup as group:
                failure = _sole_error(group)
                if not isinstance(failure, OSError):
                    raise
                message = f"TeX engine {self.executable!r} cannot start: {failure}"
                raise EngineUnavailable(message) from group
        elapsed = trio.current_time() - started
        if deadline.cancelled_caught:
            raise TexTimeout(f"typesetting took longer than {timeout_s:g} s and was stopped")
        pdf_path = trio.Path(workdir, f"{JOB_NAME}.pdf")
        if process.returncode == 0 and await pdf_path.is_file():
            return CompileResult(await pdf_path.read_bytes(), elapsed)
        diagnostic = parse_tex_log(await self._read_log(workdir))
        raise TexError(f"TeX stopped: {diagnostic.message}", diagnostic)

    async def _read_log(self, workdir: Path) -> str:
        try:
            async with await trio.open_file(workdir / f"{JOB_NAME}.log", "rb") as log:
                head = await log.read(self.limits.max_log_bytes)
        except FileNotFoundError:
            return ""
        return head.decode("utf-8", errors="replace")

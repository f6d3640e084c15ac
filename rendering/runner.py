"""Run TeX on one document, sandboxed, natively async, and always cleaned up.

Each compile gets a fresh temporary directory that is removed on every path (success, TeX error,
timeout, cancellation). TeX runs through ``trio.run_process`` with an argv list (never a shell)
in its own session, so on timeout or cancellation the whole process group is killed; a final
SIGKILL to the group runs in ``finally`` because trio stops delivering cancellation as soon as the
group leader exits. The child gets:

* ``-no-shell-escape -interaction=batchmode -halt-on-error``;
* ``openin_any=p openout_any=p shell_escape=f``: no reading or writing outside its directory
  (Debian's default ``openin_any=a`` would let ``\\input{/etc/passwd}`` into the PDF);
* rlimits on CPU seconds, address space, output file size and processes, and a lower CPU
  priority than the server's, so the event loop gets a core the moment it needs one;
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
from collections.abc import AsyncIterator, Callable, Iterator
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

    async def compile(
        self, source: str, *, timeout_s: float, format_name: str | None = None
    ) -> CompileResult:
        """Typeset ``source``, starting from the named precompiled format if given.

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
    # TeX yields the CPU to the server: health checks and cache hits stay fast on busy cores.
    niceness: int = 10


def build_argv(engine: str, job_name: str = JOB_NAME, format_name: str | None = None) -> list[str]:
    """The command line for one compile of ``<job_name>.tex`` in the current directory."""
    fmt = [f"-fmt={format_name}"] if format_name else []
    return [
        engine,
        *fmt,
        "-no-shell-escape",
        "-interaction=batchmode",
        "-halt-on-error",
        f"-jobname={job_name}",
        f"{job_name}.tex",
    ]


def build_format_argv(engine: str, format_name: str, job_name: str = JOB_NAME) -> list[str]:
    """The command line that dumps the preamble of ``<job_name>.tex`` (up to ``\\endofdump``)
    into ``<format_name>.fmt`` with mylatexformat."""
    return [
        engine,
        "-ini",
        "-no-shell-escape",
        "-interaction=batchmode",
        "-halt-on-error",
        f"-jobname={format_name}",
        f"&{Path(engine).name}",
        "mylatexformat.ltx",
        f"{job_name}.tex",
    ]


# PDF dates and the trailer /ID come from this instead of the clock: the same input gives the
# same bytes (TeX's own \today still reads the clock; templates take dates from data).
SOURCE_DATE_EPOCH = "0"


def build_env(workdir: Path, format_dir: Path | None = None) -> dict[str, str]:
    """A minimal environment: no inherited secrets, kpathsea locked to the work directory."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "HOME": str(workdir),
        "LC_ALL": "C.UTF-8",
        "openin_any": "p",
        "openout_any": "p",
        "shell_escape": "f",
        "max_print_line": "10000",
        "TEXMFVAR": str(workdir / ".texmf-var"),
        "TEXMFCONFIG": str(workdir / ".texmf-config"),
        "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH,
    }
    if format_dir is not None:
        # Our formats first, then the standard search path (the trailing colon).
        env["TEXFORMATS"] = f"{format_dir}:"
    return env


@functools.cache
def _sandbox_tools() -> dict[str, str | None]:
    """Where prlimit, nice and setpriv are: looked up once, not on every render (a PATH search
    is a series of stat calls, blocking file I/O on the event loop)."""
    return {name: shutil.which(name) for name in ("prlimit", "nice", "setpriv")}


def sandbox_prefix(
    cpu_seconds: int, limits: SandboxLimits, identity: _Identity | None
) -> list[str] | None:
    """The commands that put TeX in its box before it starts: util-linux's ``prlimit`` (the
    rlimits), coreutils' ``nice``, and ``setpriv`` (an unprivileged user, no extra groups).

    Exec'ing these small programs costs TeX about a millisecond; doing the same in a
    ``preexec_fn`` forces a full ``fork`` of the server (page tables of a large Python process)
    instead of a ``vfork``, several milliseconds of the server's own CPU per render. None when
    the tools are missing (then :func:`make_preexec` does it in the child).
    """
    tools = _sandbox_tools()
    if tools["prlimit"] is None or tools["nice"] is None:
        return None
    prefix = [
        tools["prlimit"],
        f"--cpu={cpu_seconds}:{cpu_seconds + 1}",
        f"--as={limits.address_space_bytes}",
        f"--fsize={limits.output_file_bytes}",
        f"--nproc={limits.max_processes}",
        "--core=0",
        "--",
        tools["nice"],
        "-n",
        str(limits.niceness),
        "--",
    ]
    if identity is not None:
        if tools["setpriv"] is None:
            return None
        prefix += [
            tools["setpriv"],
            f"--reuid={identity.uid}",
            f"--regid={identity.gid}",
            "--clear-groups",
            "--",
        ]
    return prefix


def make_preexec(cpu_seconds: int, limits: SandboxLimits) -> Callable[[], None]:
    """The fallback: a function the (forked) child runs before exec to apply the limits."""

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
        os.nice(limits.niceness)

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
    """The real engine: ``pdflatex`` (or a compatible binary) in a sandboxed subprocess.

    With ``format_dir``, compiles may start from a precompiled format found there
    (``compile(..., format_name=...)``), and :meth:`build_format` puts new ones there.
    """

    def __init__(
        self,
        executable: str = "pdflatex",
        *,
        work_root: Path | None = None,
        format_dir: Path | None = None,
        limits: SandboxLimits | None = None,
        user: str | None = None,
    ) -> None:
        # Resolved once, here: the unprivileged child may not be able to search our PATH.
        resolved = shutil.which(executable)
        self.executable = resolved or executable
        self._found = resolved is not None
        self.work_root = work_root
        self.format_dir = format_dir
        self.limits = limits or SandboxLimits()
        self._identity = resolve_user(user)
        _sandbox_tools()  # warm the lookup here, at start-up, not in the first render

    def _make_workdir(self, source: str) -> Path:
        """A fresh private directory with ``doc.tex`` in it (one trip to a worker thread)."""
        path = Path(tempfile.mkdtemp(prefix=WORKDIR_PREFIX, dir=self.work_root))
        try:
            (path / f"{JOB_NAME}.tex").write_text(source, encoding="utf-8")
            if self._identity is not None:
                os.chown(path, self._identity.uid, self._identity.gid)
        except BaseException:
            shutil.rmtree(path, ignore_errors=True)
            raise
        return path

    @contextlib.asynccontextmanager
    async def _workdir(self, source: str) -> AsyncIterator[Path]:
        """A fresh directory holding ``doc.tex``, removed on every path out."""
        workdir = await trio.to_thread.run_sync(self._make_workdir, source)
        try:
            yield workdir
        finally:
            with trio.CancelScope(shield=True):
                await trio.to_thread.run_sync(shutil.rmtree, workdir, True)

    async def compile(
        self, source: str, *, timeout_s: float, format_name: str | None = None
    ) -> CompileResult:
        argv = build_argv(self.executable, format_name=format_name)
        async with self._workdir(source) as workdir:
            started = trio.current_time()
            returncode = await self._run(argv, workdir, timeout_s)
            elapsed = trio.current_time() - started
            if returncode == 0:
                # A zero exit without a PDF (an empty document) is a failure, not an empty file.
                with contextlib.suppress(FileNotFoundError):
                    pdf = await trio.Path(workdir, f"{JOB_NAME}.pdf").read_bytes()
                    return CompileResult(pdf, elapsed)
            raise await self._failure(workdir, JOB_NAME)

    async def build_format(self, format_name: str, source: str, *, timeout_s: float) -> Path:
        """Dump the preamble of ``source`` into ``format_dir/<format_name>.fmt``.

        The file is written under a temporary name and renamed into place, so a reader (or a
        second process building the same format) never sees half a format.

        Raises:
            TexError: the preamble does not compile.
            TexTimeout, EngineUnavailable: as for :meth:`compile`.
        """
        if self.format_dir is None:
            raise ValueError("this engine has no format directory")
        argv = build_format_argv(self.executable, format_name)
        async with self._workdir(source) as workdir:
            returncode = await self._run(argv, workdir, timeout_s)
            built = workdir / f"{format_name}.fmt"
            if returncode != 0 or not await trio.Path(built).is_file():
                raise await self._failure(workdir, format_name)
            target = self.format_dir / f"{format_name}.fmt"
            await trio.to_thread.run_sync(_install, built, target)
            return target

    async def _run(self, argv: list[str], workdir: Path, timeout_s: float) -> int:
        """Run TeX in ``workdir``, sandboxed; its return code.

        Raises:
            TexTimeout: still running after ``timeout_s``: the process group was killed.
            EngineUnavailable: the binary could not be started.
        """
        if not self._found:
            # Checked here because the sandbox's own tools would run and fail in its place.
            raise EngineUnavailable(f"TeX engine {self.executable!r} not found")
        cpu_seconds = math.ceil(timeout_s) + 1
        prefix = sandbox_prefix(cpu_seconds, self.limits, self._identity)
        boxing: dict[str, Any] = {}
        if prefix is None:
            boxing["preexec_fn"] = make_preexec(cpu_seconds, self.limits)
            if self._identity is not None:
                boxing.update(user=self._identity.uid, group=self._identity.gid, extra_groups=[])
        run = functools.partial(
            trio.run_process,
            [*(prefix or []), *argv],
            cwd=workdir,
            env=build_env(workdir, self.format_dir),
            stdin=subprocess.DEVNULL,
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
                        # TeX's children (if any) die with it, whatever ended the wait.
                        _kill_group(process.pid)
            except ExceptionGroup as group:
                failure = _sole_error(group)
                if not isinstance(failure, OSError):
                    raise
                message = f"TeX engine {self.executable!r} cannot start: {failure}"
                raise EngineUnavailable(message) from group
        if deadline.cancelled_caught:
            raise TexTimeout(f"typesetting took longer than {timeout_s:g} s and was stopped")
        assert process.returncode is not None
        return process.returncode

    async def _failure(self, workdir: Path, job_name: str) -> TexError:
        diagnostic = parse_tex_log(await self._read_log(workdir / f"{job_name}.log"))
        return TexError(f"TeX stopped: {diagnostic.message}", diagnostic)

    async def _read_log(self, path: Path) -> str:
        try:
            async with await trio.open_file(path, "rb") as log:
                head = await log.read(self.limits.max_log_bytes)
        except FileNotFoundError:
            return ""
        return head.decode("utf-8", errors="replace")


def _install(built: Path, target: Path) -> None:
    """Copy ``built`` next to ``target`` under a private name, then rename it into place."""
    fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out, built.open("rb") as source:
            shutil.copyfileobj(source, out)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise

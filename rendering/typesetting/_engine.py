"""Run TeX on one document, sandboxed, natively async, and always cleaned up.

Each compile gets a fresh temporary directory that is removed on every path (success, TeX error,
timeout, cancellation). TeX runs through ``trio.run_process`` with an argv list (never a shell)
in its own session (:func:`rendering.typesetting._boxed.run_boxed`), so on timeout or
cancellation the whole process group is killed, and a final SIGKILL to the group comes on every
way out, as a child of TeX's may outlive it. The child gets ``-no-shell-escape
-interaction=batchmode -halt-on-error`` and the box :mod:`rendering.typesetting._sandbox`
describes (environment, rlimits, priority, user).

The work directory is made and filled in one trip to a worker thread, and the PDF and the log
(its head: the read is capped) are read in one more, the trip that removes the directory
(:func:`rendering.typesetting._boxed.run_in_directory`). A render forked from a loaded engine
(:mod:`rendering.typesetting._zygote`) makes no trip: its child makes, fills and removes its
own directory, and hands the PDF and the log over in memory.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

import trio

from ..errors import EngineUnavailable, TexError, TexKilled, TexTimeout
from ._boxed import (
    WORKDIR_PREFIX,
    BoxKilled,
    BoxStartFailed,
    BoxTimeout,
    run_boxed,
    run_in_directory,
    work_directory,
)
from ._files import read_output, write_atomically
from ._nodate import driver_options, without_epoch_date
from ._sandbox import SandboxLimits, resolve_user, sandbox_tools, tex_process_env
from ._texlog import parse_tex_log
from ._zygote import JOBS_DIR_KIND, ZYGOTE_DIR_KIND, Forked, ZygotePool, open_zygote_pool

JOB_NAME = "doc"
T = TypeVar("T")
# texrender-<pid of the server process>-<random>: a directory left by a process that no longer
# runs (killed with SIGKILL, or the machine lost power) can be told from one in use. A zygote's
# own directory has "zygote-" before the random part, a zygote pool's jobs' directory "jobs-".
_WORKDIR_NAME = re.compile(
    rf"^{WORKDIR_PREFIX}(\d+)-({ZYGOTE_DIR_KIND}|{JOBS_DIR_KIND})?[A-Za-z0-9_]+$"
)
# All a zygote's directory may hold: the log of a TeX that never got ready (when TeX runs as the
# server's own user; as another it cannot write there).
_ZYGOTE_LEFTOVERS = frozenset({f"{JOB_NAME}.log"})


@dataclass(frozen=True)
class EngineInfo:
    """What asking the engine for its version found out."""

    found: bool
    version: str


async def probe_engine(executable: str) -> EngineInfo:
    """Ask the engine for its version (first line of ``--version``); a missing engine is
    reported, not raised."""
    try:
        result = await trio.run_process(
            [executable, "--version"],
            capture_stdout=True,
            stderr=subprocess.DEVNULL,
            check=False,
        )
    except OSError:
        return EngineInfo(found=False, version="")
    first_line = result.stdout.decode(errors="replace").splitlines()[:1]
    return EngineInfo(found=result.returncode == 0, version=first_line[0] if first_line else "")


@dataclass(frozen=True)
class CompileResult:
    """A finished compile: the PDF bytes, how long TeX ran (wall clock, seconds) and the head
    of its log (for what it says about the layout)."""

    pdf: bytes
    tex_seconds: float
    log: str = ""


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


def build_argv(engine: str, job_name: str = JOB_NAME, format_name: str | None = None) -> list[str]:
    """The command line for one compile of ``<job_name>.tex`` in the current directory."""
    fmt = [f"-fmt={format_name}"] if format_name else []
    return [
        engine,
        *fmt,
        *driver_options(engine),
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


class PdfLatexEngine:
    """The real engine: ``pdflatex`` (or a compatible binary) in a sandboxed subprocess.

    With ``format_dir``, compiles may start from a precompiled format found there
    (``compile(..., format_name=...)``), and :meth:`build_format` puts new ones there. With
    ``tfm_dir``, TeX finds the font metrics made there (``rendering.typesetting._cyrgreek``).
    With ``zygotes`` (off by default), a compile from a format forks a TeX that has loaded it
    (:mod:`rendering.typesetting._zygote`, docs/loaded-engines.md).
    """

    def __init__(
        self,
        executable: str = "pdflatex",
        *,
        work_root: Path | None = None,
        format_dir: Path | None = None,
        tfm_dir: Path | None = None,
        limits: SandboxLimits | None = None,
        user: str | None = None,
        zygotes: ZygotePool | None = None,
    ) -> None:
        # Resolved once, here: the unprivileged child may not be able to search our PATH.
        resolved = shutil.which(executable)
        self.executable = resolved or executable
        self._found = resolved is not None
        self._pdftex = Path(self.executable).name.startswith("pdf")
        self.work_root = work_root
        self.format_dir = format_dir
        self.tfm_dir = tfm_dir
        self.limits = limits or SandboxLimits()
        self._identity = resolve_user(user)
        self.zygotes = zygotes
        sandbox_tools()  # warm the lookup here, at start-up, not in the first render

    def sweep_leftovers(self) -> list[Path]:
        """Remove the work directories that server processes which no longer run left behind
        (they hold the data of the renders they were doing), and only those: the name carries
        the pid of a dead process, and ``doc.tex`` (or a page picture) is in it; or, a zygote's
        or a zygote pool's jobs' directory (:mod:`rendering.typesetting._zygote`), the name says
        so and it holds only what those leave. Blocking: call from a thread.
        """
        root = self.work_root or Path(tempfile.gettempdir())
        if not root.is_dir():
            return []
        removed = []
        for entry in root.iterdir():
            match = _WORKDIR_NAME.match(entry.name)
            if match is None:
                continue
            kind = match.group(2)
            if kind == ZYGOTE_DIR_KIND:
                ours = _is_zygote_home(entry)
            elif kind == JOBS_DIR_KIND:
                ours = _is_jobs_directory(entry)
            else:
                ours = _holds_render_files(entry)
            if not ours:
                continue
            if _process_runs(int(match.group(1))):
                continue
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
        return removed

    def _workdir(self, source: str) -> contextlib.AbstractAsyncContextManager[Path]:
        """A fresh directory holding ``doc.tex``, removed on every path out."""
        return work_directory(self.work_root, self._identity, fill=_source_writer(source))

    async def compile(
        self, source: str, *, timeout_s: float, format_name: str | None = None
    ) -> CompileResult:
        argv = build_argv(self.executable, format_name=format_name)
        started = trio.current_time()
        forked = None
        if format_name is not None and self.zygotes is not None:
            forked = await self._forked(argv, source, timeout_s)
        if forked is not None:
            returncode = forked.code
            pdf, log = self._finished(returncode, forked.log, forked.pdf)
        else:
            # The work directory made and filled in one trip to a worker thread, the PDF and
            # the log read and the directory removed in another (each trip is server CPU).
            returncode, (pdf, log) = await self._run_in_directory(
                argv, _source_writer(source), timeout_s, self._outputs
            )
        elapsed = trio.current_time() - started
        # A zero exit without a PDF (an empty document) is a failure, not an empty file; no
        # page shipped out: pdfTeX may still leave an empty file behind.
        if returncode == 0 and pdf is not None and pdf.startswith(b"%PDF"):
            return CompileResult(pdf, elapsed, log)
        diagnostic = parse_tex_log(log)
        raise TexError(f"TeX stopped: {diagnostic.message}", diagnostic)

    async def prestart(self, format_name: str) -> bool:
        """Start the zygote that renders from ``format_name`` fork, and wait until it has
        loaded the format; whether it has (False without a pool)."""
        if self.zygotes is None:
            return False
        argv = build_argv(self.executable, format_name=format_name)
        return await self.zygotes.prestart(argv, env_for=self._zygote_env)

    def open_zygotes(
        self, shim: Path, max_zygotes: int
    ) -> contextlib.AbstractAsyncContextManager[ZygotePool]:
        """A zygote pool whose TeX runs in this engine's box (its limits, user, work root)."""
        return open_zygote_pool(
            shim,
            limits=self.limits,
            identity=self._identity,
            work_root=self.work_root,
            max_zygotes=max_zygotes,
        )

    def _outputs(self, workdir: Path, returncode: int) -> tuple[bytes | None, str]:
        """:meth:`_finished` of the files TeX left in ``workdir``. Blocking: call from a
        thread."""
        log = self._log_bytes(workdir / f"{JOB_NAME}.log")
        pdf = read_output(workdir / f"{JOB_NAME}.pdf") if returncode == 0 else None
        return self._finished(returncode, log, pdf)

    def _finished(self, returncode: int, log: bytes, pdf: bytes | None) -> tuple[bytes | None, str]:
        """The PDF after a zero exit (None if there is none; xdvipdfmx's stand-in date
        blanked, see :mod:`._nodate`) and the head of the log, decoded."""
        text = log.decode("utf-8", errors="replace")
        if returncode != 0 or pdf is None:
            return None, text
        return (pdf if self._pdftex else without_epoch_date(pdf)), text

    def _log_head(self, path: Path) -> str:
        """The first ``max_log_bytes`` of a TeX log ("" without one), decoded. Blocking."""
        return self._log_bytes(path).decode("utf-8", errors="replace")

    def _log_bytes(self, path: Path) -> bytes:
        """The first ``max_log_bytes`` of a TeX log (empty without one). Blocking."""
        return read_output(path, self.limits.max_log_bytes) or b""

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

    def _env(self, workdir: Path) -> dict[str, str]:
        """The TeX process's whole environment, one builder for every way TeX is run (two
        once drifted apart and XeTeX lost the cut CJK collections)."""
        return tex_process_env(
            workdir,
            self.format_dir,
            tfm_dir=self.tfm_dir,
            huge_pages=self._pdftex,
            own_fonts=not self._pdftex,
        )

    def _zygote_env(self, workdir: Path) -> dict[str, str]:
        """A zygote's environment (and so its children's): :meth:`_env` with huge pages for
        XeTeX too. The kernel's compaction for XeTeX's ~170 MB of tables, which made fresh
        XeTeX runs slower on average, is paid once when the zygote starts; each fork then
        copies far fewer page table entries, and XeTeX's forked renders cost about 10 ms less
        (Chinese 0.096 -> 0.081 CPU-s, Arabic 0.071 -> 0.055, medians of alternated runs)."""
        return tex_process_env(
            workdir,
            self.format_dir,
            tfm_dir=self.tfm_dir,
            huge_pages=True,
            own_fonts=not self._pdftex,
        )

    @contextlib.contextmanager
    def _boxed(self, timeout_s: float) -> Iterator[None]:
        """A run in the box, its failures told as the engine's (one translation for every
        way TeX runs).

        Raises:
            EngineUnavailable: the binary is missing or could not be started.
            TexTimeout: still running after ``timeout_s``: the process group was killed.
            TexKilled: a signal from outside (the OOM killer, an operator) ended it.
        """
        if not self._found:
            # Checked here because the sandbox's own tools would run and fail in its place.
            raise EngineUnavailable(f"TeX engine {self.executable!r} not found")
        try:
            yield
        except BoxTimeout:
            raise TexTimeout(
                f"typesetting took longer than {timeout_s:g} s and was stopped"
            ) from None
        except BoxStartFailed as exc:
            message = f"TeX engine {self.executable!r} cannot start: {exc}"
            raise EngineUnavailable(message) from exc
        except BoxKilled as exc:
            raise TexKilled(f"TeX was {exc}; try again") from None

    async def _run(self, argv: list[str], workdir: Path, timeout_s: float) -> int:
        """Run TeX in ``workdir``, sandboxed; its return code.

        Raises:
            TexTimeout: still running after ``timeout_s``: the process group was killed.
            EngineUnavailable: the binary could not be started.
            TexKilled: a signal from outside (the OOM killer, an operator) ended it.
        """
        with self._boxed(timeout_s):
            return await run_boxed(
                argv,
                cwd=workdir,
                env=self._env(workdir),
                timeout_s=timeout_s,
                limits=self.limits,
                identity=self._identity,
            )

    async def _run_in_directory(
        self,
        argv: list[str],
        fill: Callable[[Path], None],
        timeout_s: float,
        collect: Callable[[Path, int], T],
    ) -> tuple[int, T]:
        """:meth:`_run` in a fresh directory ``fill`` fills, ``collect`` reads before it goes.

        Raises: as :meth:`_run`.
        """
        with self._boxed(timeout_s):
            return await run_in_directory(
                argv,
                root=self.work_root,
                identity=self._identity,
                fill=fill,
                env=self._env,
                timeout_s=timeout_s,
                limits=self.limits,
                collect=collect,
            )

    async def _forked(self, argv: list[str], source: str, timeout_s: float) -> Forked | None:
        """``source`` typeset by a fork of the pool's zygote for ``argv``; None when none is
        ready (the pool starts one meanwhile), and it is then run fresh.

        Raises: as :meth:`_run`.
        """
        assert self.zygotes is not None
        with self._boxed(timeout_s):
            return await self.zygotes.run(
                argv,
                source=source.encode(),
                job_name=JOB_NAME,
                env_for=self._zygote_env,
                timeout_s=timeout_s,
                max_log_bytes=self.limits.max_log_bytes,
            )

    async def _failure(self, workdir: Path, job_name: str) -> TexError:
        log = await trio.to_thread.run_sync(self._log_head, workdir / f"{job_name}.log")
        diagnostic = parse_tex_log(log)
        return TexError(f"TeX stopped: {diagnostic.message}", diagnostic)


PICTURE_FILE = "page.png"  # what rendering.output._pages has pdftoppm write


def _source_writer(source: str) -> Callable[[Path], None]:
    """What puts ``source`` into a work directory as ``doc.tex``."""

    def write_source(path: Path) -> None:
        (path / f"{JOB_NAME}.tex").write_text(source, encoding="utf-8")

    return write_source


def _holds_render_files(entry: Path) -> bool:
    """A work directory of ours: TeX's source in it, or a page picture (rendering.output._pages)."""
    return (entry / f"{JOB_NAME}.tex").is_file() or (entry / PICTURE_FILE).is_file()


def _is_jobs_directory(entry: Path) -> bool:
    """A zygote pool's jobs' directory: a directory (not a link) holding only the work
    directories its children made, each holding TeX's source or nothing yet."""
    try:
        if not stat.S_ISDIR(entry.lstat().st_mode):
            return False
        return all(
            stat.S_ISDIR(child.lstat().st_mode)
            and child.name.startswith(WORKDIR_PREFIX)
            and (_holds_render_files(child) or not any(child.iterdir()))
            for child in entry.iterdir()
        )
    except OSError:
        return False


def _is_zygote_home(entry: Path) -> bool:
    """A zygote's own directory: a directory (not a link) of this process's user, as the zygote's
    are (TeX's user only reads them), holding nothing, or only a log of a zygote that never got
    ready."""
    try:
        info = entry.lstat()
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
            return False
        return all(
            child.name in _ZYGOTE_LEFTOVERS and stat.S_ISREG(child.lstat().st_mode)
            for child in entry.iterdir()
        )
    except OSError:
        return False


def _process_runs(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: it runs
    return True


def _install(built: Path, target: Path) -> None:
    """Copy ``built`` to ``target`` atomically (readable by the TeX user)."""
    with built.open("rb") as source:
        write_atomically(target, lambda out: shutil.copyfileobj(source, out))

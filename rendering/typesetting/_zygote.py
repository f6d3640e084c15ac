"""Loaded engines: one zygote per (engine, format, environment), a TeX process that has loaded
its format and forks a child for each job, so a render skips process start and format load.

The C side (``zygote_shim.c``, preloaded into TeX) stops TeX just after the format is loaded
and before it reads the clock or anything of the job, and serves requests from here over a
SOCK_SEQPACKET socket (:mod:`._zygote_protocol`). Each job's child is a fresh fork of an
untouched zygote, so nothing leaks from one job to the next; it runs in its own process group,
in its job's work directory, with the job's variables and CPU limit; the zygote's other limits,
niceness and user are those of the box it was started in (:mod:`._sandbox`), the same as a
fresh TeX's.

The server touches no file for a forked job, so a render from a zygote costs no trip to a
worker thread: the source goes to the child in a memfd, the child makes its work directory in
the pool's jobs' directory and writes the source there, and when TeX exits it puts the head of
its log and its PDF into another memfd and removes its directory. Only a child that did not
exit (a timeout, a cancel, a kill) leaves its directory, removed then from a worker thread.

A child is not ours (the zygote forked and reaps it), so its end and its CPU come back over the
socket, and a kill is asked of the zygote, which alone knows the pid cannot have been reused.
If the zygote dies, its jobs end as killed (a retry starts them fresh), their children are
killed through the pidfds taken when they started, and the next job finds no zygote and starts
one. A job that finds no ready zygote is run the usual way, never delayed: the zygote starts in
the background.

:class:`ZygotePool` is owned by a nursery (:func:`open_zygote_pool`), bounded in zygotes, and
stops them all when the nursery closes.
"""

from __future__ import annotations

import array
import contextlib
import functools
import itertools
import logging
import os
import secrets
import select
import shutil
import signal
import socket
import subprocess
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trio

from ._boxed import (
    WORKDIR_PREFIX,
    BoxKilled,
    BoxTimeout,
    _make_directory,
    boxed_command,
    checked_exit,
    cpu_limit,
    kill_group,
    remove_directory,
    work_directory,
)
from ._files import read_output
from ._sandbox import Identity, SandboxLimits
from ._zygote_protocol import (
    REPLY_SIZE,
    RESULTS_HEAD,
    Reply,
    Results,
    job_request,
    kill_request,
    parse_reply,
    parse_results_head,
)

log = logging.getLogger("texrender.zygotes")

# The zygote's own CPU limit: it waits, and forks (0.5 ms a job for pdfTeX, 5 ms for XeTeX:
# page tables); each child sets its job's limit. Far above any job's, so a long-lived zygote
# never reaches it by forking.
ZYGOTE_CPU_SECONDS = 1_000_000
_KILL_GRACE_S = 5.0  # how long a killed child may take to be reported gone
# A zygote that died before it was ready (no shim in effect, a format TeX cannot load) is not
# started again for this long: each try costs a whole TeX start.
RETRY_AFTER_S = 60.0
START_TIMEOUT_S = 30.0  # a format loads in well under a second
# The kind in the name of a zygote's own directory (``texrender-<pid>-zygote-<random>``), for
# PdfLatexEngine.sweep_leftovers to know it.
ZYGOTE_DIR_KIND = "zygote-"
# The kind in the name of a pool's jobs' directory, where its children make their own.
JOBS_DIR_KIND = "jobs-"
# Results larger than this are read from their memfd in a worker thread, not on the event loop
# (a memory copy, but a long one: the PDF may be up to the box's file size limit).
_READ_IN_THREAD_BYTES = 4 * 1024 * 1024
# A zygote that has forked this many jobs is replaced. Each child is a fork of an untouched
# zygote, and the zygote itself only waits and forks, so nothing is known to grow in it; the
# bound caps what might (a format load per this many renders, nothing to speak of).
MAX_JOBS_PER_ZYGOTE = 10_000
_MAX_KEYS = 256  # zygote keys remembered by a pool (each a format of an engine)

EnvFor = Callable[[Path], dict[str, str]]


@dataclass
class _Job:
    number: int
    pid: int | None = None
    status: int | None = None
    cpu_seconds: float = 0.0
    started: trio.Event = field(default_factory=trio.Event)
    exited: trio.Event = field(default_factory=trio.Event)
    orphaned: bool = False  # its zygote died before reporting its end
    # A pidfd of its child, taken at "S" (None: none could be taken), closed when the job ends;
    # gone: the child was reaped already then (by the zygote, which first killed its group).
    pidfd: int | None = None
    gone: bool = False
    timed_out: bool = False
    sent: bool = False
    results: Results | None = None  # what the child left, if it exited and left them whole


@dataclass(frozen=True)
class Forked:
    """A job run forked: its return code, the head of its log (empty without one) and its PDF
    (None: none was written)."""

    code: int
    log: bytes
    pdf: bytes | None


@dataclass(frozen=True)
class ZygoteStatistics:
    """What a pool has done, for metrics: zygotes ready now, zygotes started (a restart is a
    start), jobs run forked, and jobs that found no ready zygote and so ran fresh; the forked
    jobs' CPU seconds (each child's own, from the zygote's ``wait4``: exact, where ``/proc``
    counts ticks)."""

    ready: int = 0
    started: int = 0
    forked: int = 0
    declined: int = 0
    forked_cpu_s: float = 0.0


class NotSent(Exception):
    """The job could not be handed to its zygote (nothing ran): run it the usual way."""


class _Zygote:
    """One TeX process with its format loaded, and the jobs it runs."""

    def __init__(self, key: tuple[Any, ...], argv: list[str], env_for: EnvFor) -> None:
        self.key = key
        self.argv = argv
        self.env_for = env_for
        self.env: dict[str, str] = {}
        self.pid = 0
        self.ready = False
        self.ever_ready = False
        self.dead = False
        self.retiring = False  # out of its pool: stops once its running jobs end
        self.jobs_forked = 0
        self.jobs: dict[int, _Job] = {}
        self.last_used = trio.current_time()
        self.scope = trio.CancelScope()
        self.settled = trio.Event()  # ready, or dead before it was
        self._socket: trio.socket.SocketType | None = None
        self._send_lock = trio.Lock()
        self._numbers = itertools.count(1)

    async def serve(
        self,
        pool: ZygotePool,
        *,
        task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
    ) -> None:
        """Start the zygote and read its replies until it or the pool ends."""
        with self.scope:
            try:
                # Its directory is readable by TeX's user, as a job's is (kpathsea looks in
                # "."), but the server's: when TeX runs as another user it cannot write there.
                async with work_directory(
                    pool.work_root, None, kind=ZYGOTE_DIR_KIND, fill=_readable
                ) as home:
                    await self._run(pool, home, task_status)
            except Exception:
                # Whatever went wrong is this zygote's end only: the pool's nursery (and so the
                # server) must not fail with it; its jobs end as killed, the next starts fresh.
                log.exception("a TeX zygote (%s) failed", self.argv[0])
            finally:
                if not self.ever_ready:
                    pool.failed(self)
                self._die()
                pool.forget(self)

    async def _run(self, pool: ZygotePool, home: Path, task_status: trio.TaskStatus[None]) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._socket = trio.socket.from_stdlib_socket(ours)
        self.env = self.env_for(home)
        env = {
            **self.env,
            "LD_PRELOAD": str(pool.shim),
            "TEXRENDER_ZYGOTE_FD": str(theirs.fileno()),
        }
        boxed, boxing = boxed_command(self.argv, ZYGOTE_CPU_SECONDS, pool.limits, pool.identity)
        start = functools.partial(
            trio.run_process,
            boxed,
            cwd=home,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
            start_new_session=True,
            pass_fds=(theirs.fileno(),),
            deliver_cancel=self._stop,
            **boxing,
        )
        process: trio.Process | None = None
        try:
            # trio.run_process owns the zygote: it waits for it, and when this nursery is
            # cancelled (the replies ended, the pool stops it) it calls _stop, shielded, and
            # reaps it.
            async with trio.open_nursery() as nursery:
                try:
                    process = await nursery.start(start)
                finally:
                    theirs.close()
                try:
                    task_status.started()
                    await self._read_replies()
                finally:
                    nursery.cancel_scope.cancel()
        finally:
            self._socket.close()  # whatever ended the zygote, the socket goes with it
            if process is not None:
                # Anything left in its group (nothing, normally: each child has a group of its
                # own) dies too. Reaped already, its number still names the group while any
                # member lives, which is when this matters (as in _boxed.run_boxed).
                kill_group(process.pid)

    async def _stop(self, process: trio.Process) -> None:
        """Stop the zygote (``trio.run_process``'s ``deliver_cancel``, run shielded and
        cancelled as soon as the zygote is reaped): its socket closed, it kills its children's
        groups and exits; one that has not within the grace is killed by its group."""
        assert self._socket is not None
        self._socket.close()
        await trio.sleep(_KILL_GRACE_S)
        kill_group(process.pid)

    async def _read_replies(self) -> None:
        with trio.move_on_after(START_TIMEOUT_S):
            while not self.ready:
                if not await self._read_one():
                    return
        if not self.ready:
            return  # it never got to its format's end: stopped, and not tried again soon
        while await self._read_one():
            pass

    async def _read_one(self) -> bool:
        """Take one reply; False when the zygote is gone."""
        assert self._socket is not None
        packet = await self._socket.recv(REPLY_SIZE)
        if not packet:
            return False
        self._take(parse_reply(packet))
        return True

    def _take(self, reply: Reply) -> None:
        if reply.kind == "R":
            self.pid, self.ready, self.ever_ready = reply.pid, True, True
            self.settled.set()
            return
        job = self.jobs.get(reply.job)
        if job is None:
            return
        if reply.kind == "S":
            job.pid = reply.pid
            if reply.pid > 0:
                _take_pidfd(job)
            else:
                job.exited.set()  # the fork failed: no child will end
            job.started.set()
        else:
            job.status, job.cpu_seconds = reply.status, reply.cpu_seconds
            job.exited.set()

    def _die(self) -> None:
        self.dead, self.ready = True, False
        self.settled.set()
        for job in self.jobs.values():
            if not job.exited.is_set():  # a job whose end was reported keeps its outcome
                job.orphaned = True
            job.started.set()
            job.exited.set()

    async def _send(self, message: bytes, descriptors: tuple[int, ...] = ()) -> None:
        assert self._socket is not None
        rights = (
            [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", descriptors))]
            if descriptors
            else []
        )
        async with self._send_lock:
            await self._socket.sendmsg([message], rights)

    async def run(self, task: _Task, jobs: _JobsDirectory) -> _Job:
        """One job: its child started (in a directory of its own it makes in ``jobs``),
        waited for, killed (its process group) if it runs past the task's timeout or the
        caller is cancelled; what it left read once it has exited."""
        variables = self.env_for(task.directory)
        if variables.keys() != self.env.keys():
            raise ValueError("a job's variables differ in name from its zygote's")
        changed = {k: v for k, v in variables.items() if self.env[k] != v}
        job = _Job(next(self._numbers))
        message = job_request(
            job.number,
            cpu_limit(task.timeout_s),
            changed,
            directory=task.directory.name,
            job_name=task.job_name,
            max_log_bytes=task.max_log_bytes,
        )
        # Two memfds: memory, not files on a disk, so written and read here on the event loop
        # without blocking it (a trip to a worker thread would cost more CPU than the copy).
        try:
            source = _memfd("texrender-source", task.source)
        except OSError:
            raise NotSent from None
        try:
            results = os.memfd_create("texrender-results", os.MFD_CLOEXEC)
        except OSError:
            os.close(source)
            raise NotSent from None
        self.jobs[job.number] = job
        self.last_used = trio.current_time()
        try:
            with trio.move_on_after(task.timeout_s) as deadline:
                try:
                    await self._send(message, (jobs.descriptor, source, results))
                except (OSError, trio.ClosedResourceError):
                    raise NotSent from None  # the zygote is gone: the job can run fresh
                finally:
                    os.close(source)
                job.sent = True
                await job.exited.wait()
            job.timed_out = deadline.cancelled_caught
            if job.status is not None and not job.orphaned and not job.timed_out:
                job.results = await _read_results(results, task.max_log_bytes)
        finally:
            os.close(results)
            if job.sent:
                with trio.CancelScope(shield=True):
                    await self._end(job)
            if job.pidfd is not None:
                os.close(job.pidfd)
                job.pidfd = None
            del self.jobs[job.number]
            if self.retiring and not self.jobs:
                self.scope.cancel()
        return job

    def retire(self) -> None:
        """Take no more jobs, and stop once the running ones have ended."""
        self.retiring, self.ready = True, False
        if not self.jobs:
            self.scope.cancel()

    async def _end(self, job: _Job) -> None:
        """Make sure ``job``'s child is gone (shielded: runs on every way out)."""
        if job.exited.is_set() and not job.orphaned:
            return
        with trio.move_on_after(_KILL_GRACE_S):
            await job.started.wait()
            if job.pid is not None and job.pid > 0 and not job.orphaned:
                with contextlib.suppress(OSError, trio.ClosedResourceError):
                    await self._send(kill_request(job.pid))
                await job.exited.wait()
        if job.orphaned and job.pid is not None and job.pid > 0:
            _kill_orphan(job, job.pid)


class ZygotePool:
    """Zygotes started on first use in a nursery, at most ``max_zygotes`` at a time (the least
    recently used idle one makes room), replaced when one dies (on the next job).

    The bound should cover the formats in use (three templates on two paths: six), or mixed
    traffic keeps evicting and restarting them, each start a whole TeX start. A zygote that has
    forked ``max_jobs_per_zygote`` jobs is replaced at once (its successor started, it stopped
    once its running jobs end).
    """

    def __init__(
        self,
        nursery: trio.Nursery,
        shim: Path,
        *,
        limits: SandboxLimits,
        identity: Identity | None,
        work_root: Path | None,
        jobs: _JobsDirectory,
        max_zygotes: int = 6,
        max_jobs_per_zygote: int = MAX_JOBS_PER_ZYGOTE,
    ) -> None:
        self._nursery = nursery
        self.shim = shim
        self.jobs = jobs
        self.retired_jobs: list[_JobsDirectory] = []  # replaced (gone), closed with the pool
        # Each command line's zygote key, worked out once (an environment built and sorted:
        # 12 us a render otherwise); as many as formats times engines.
        self._keys: dict[tuple[tuple[str, ...], EnvFor], tuple[Any, ...]] = {}
        self.limits = limits
        self.identity = identity
        self.work_root = work_root
        self.max_zygotes = max_zygotes
        self.max_jobs_per_zygote = max_jobs_per_zygote
        self._zygotes: dict[tuple[Any, ...], _Zygote] = {}
        self._failed_at: dict[tuple[Any, ...], float] = {}
        # For measuring: the CPU seconds of every finished child (as RUSAGE_CHILDREN), how many
        # jobs ran forked, the zygote that ran the last one, how many zygotes were started.
        self.children_cpu = 0.0
        self.jobs_done = 0
        self.zygotes_started = 0
        self.jobs_declined = 0
        self.last_zygote_pid = 0

    def failed(self, zygote: _Zygote) -> None:
        self._failed_at[zygote.key] = trio.current_time()

    def forget(self, zygote: _Zygote) -> None:
        if self._zygotes.get(zygote.key) is zygote:
            del self._zygotes[zygote.key]

    def statistics(self) -> ZygoteStatistics:
        return ZygoteStatistics(
            ready=sum(1 for z in self._zygotes.values() if z.ready),
            started=self.zygotes_started,
            forked=self.jobs_done,
            declined=self.jobs_declined,
            forked_cpu_s=self.children_cpu,
        )

    def zygote_pids(self) -> list[int]:
        """The pids of the ready zygotes (for measuring what they hold)."""
        return [z.pid for z in self._zygotes.values() if z.ready]

    async def run(
        self,
        argv: list[str],
        *,
        source: bytes,
        job_name: str,
        env_for: EnvFor,
        timeout_s: float,
        max_log_bytes: int,
    ) -> Forked | None:
        """Typeset ``source`` as ``<job_name>.tex`` with ``argv`` (a TeX command line starting
        from a format) in a fork of its zygote, in a work directory of its own; what it left,
        or None when no zygote is ready for it (the caller then runs it the usual way; a
        zygote is started meanwhile). The work directory is gone when this returns.

        Raises:
            BoxTimeout: ran past ``timeout_s`` or its CPU limit; its process group was killed.
            BoxKilled: a signal from outside ended it, or its zygote died.
        """
        key = self._key(argv, env_for)
        zygote = self._zygotes.get(key)
        if zygote is None:
            self._start(key, argv, env_for)
        if zygote is None or not zygote.ready:
            self.jobs_declined += 1
            return None
        directory = self.jobs.path / f"{WORKDIR_PREFIX}{secrets.token_hex(8)}"
        task = _Task(directory, job_name, source, timeout_s, max_log_bytes)
        try:
            job = await zygote.run(task, self.jobs)
        except (ValueError, NotSent):
            self.jobs_declined += 1
            return None
        except BaseException:
            await remove_directory(directory)  # cancelled: the child (killed) may have made it
            raise
        if _start_failed(job):
            # The zygote could not fork, or its child could not make its directory (say a
            # cleaner of temporary files took the jobs' directory): the job runs fresh, and
            # the jobs' directory is made again if it is gone.
            await remove_directory(directory)
            await self._renew_jobs_directory()
            self.jobs_declined += 1
            return None
        self.children_cpu += job.cpu_seconds
        self.jobs_done += 1
        self.last_zygote_pid = zygote.pid
        zygote.jobs_forked += 1
        # Only the pool's current zygote for its key: one that died, was evicted or is retiring
        # already has been (or is being) replaced.
        if zygote.jobs_forked >= self.max_jobs_per_zygote and self._zygotes.get(key) is zygote:
            self._replace(zygote)
        try:
            code = _outcome(job, timeout_s)
        except BaseException:
            await remove_directory(directory)  # a child that did not exit leaves it
            raise
        results = job.results
        if results is not None:
            return Forked(code, results.log or b"", results.pdf)
        # Exited, but could not hand its results over: they are read from its files.
        with trio.CancelScope(shield=True):
            left = await trio.to_thread.run_sync(_collect_left, task, code)
        return left

    def _key(self, argv: list[str], env_for: EnvFor) -> tuple[Any, ...]:
        asked = (tuple(argv), env_for)
        key = self._keys.get(asked)
        if key is None:
            if len(self._keys) >= _MAX_KEYS:
                self._keys.clear()
            key = self._keys[asked] = _key(argv, env_for)
        return key

    async def _renew_jobs_directory(self) -> None:
        """A new jobs' directory if this one was removed (its children can make no more
        directories there)."""
        current = self.jobs
        renewed = await trio.to_thread.run_sync(
            _renewed_jobs_directory, current, self.work_root, self.identity
        )
        if renewed is not None:
            log.warning(
                "the loaded engines' jobs directory %s was removed; made %s",
                current.path,
                renewed.path,
            )
            self.retired_jobs.append(current)
            self.jobs = renewed

    async def prestart(self, argv: list[str], *, env_for: EnvFor) -> bool:
        """Start the zygote for ``argv`` now (at start-up, say) and wait until it is ready;
        whether it is."""
        key = self._key(argv, env_for)
        zygote = self._zygotes.get(key) or self._start(key, argv, env_for)
        if zygote is None:
            return False
        await zygote.settled.wait()
        return zygote.ready

    def _replace(self, zygote: _Zygote) -> None:
        """Retire ``zygote`` and start its successor (for a while both live)."""
        self.forget(zygote)
        zygote.retire()
        self._start(zygote.key, zygote.argv, zygote.env_for)

    def _start(self, key: tuple[Any, ...], argv: list[str], env_for: EnvFor) -> _Zygote | None:
        failed = self._failed_at.get(key)
        if failed is not None and trio.current_time() - failed < RETRY_AFTER_S:
            return None
        if len(self._zygotes) >= self.max_zygotes:
            idle = [z for z in self._zygotes.values() if not z.jobs]
            if not idle:
                return None
            oldest = min(idle, key=lambda z: z.last_used)
            oldest.scope.cancel()
            self.forget(oldest)
        zygote = _Zygote(key, argv, env_for)
        self._zygotes[key] = zygote
        self._nursery.start_soon(zygote.serve, self)
        self.zygotes_started += 1
        return zygote


@dataclass(frozen=True)
class _Task:
    """One job as the server asks for it."""

    directory: Path  # its work directory, made by its child in the pool's jobs' directory
    job_name: str
    source: bytes
    timeout_s: float
    max_log_bytes: int


@dataclass(frozen=True)
class _JobsDirectory:
    """Where a pool's children make their work directories: the path, and a descriptor of it
    handed to each child (which makes its own directory there with ``mkdirat``)."""

    path: Path
    descriptor: int


def _memfd(name: str, content: bytes) -> int:
    """A memfd holding ``content``.

    Raises:
        OSError: no memfd could be made or written (out of memory or descriptors).
    """
    descriptor = os.memfd_create(name, os.MFD_CLOEXEC)
    try:
        view = memoryview(content)
        while view:
            view = view[os.write(descriptor, view) :]
    except BaseException:
        os.close(descriptor)
        raise
    return descriptor


async def _read_results(descriptor: int, max_log_bytes: int) -> Results | None:
    """What a child that exited left in its results memfd; None if they are not whole. The log
    and the PDF are read each into its own bytes (no copy of a copy)."""
    size = os.fstat(descriptor).st_size
    head = parse_results_head(os.pread(descriptor, RESULTS_HEAD, 0), size, max_log_bytes)
    if head is None:
        return None
    log = os.pread(descriptor, head.log_bytes, RESULTS_HEAD) if head.has_log else None
    at = RESULTS_HEAD + head.log_bytes
    if not head.has_pdf:
        pdf = None
    elif head.pdf_bytes > _READ_IN_THREAD_BYTES:
        pdf = await trio.to_thread.run_sync(os.pread, descriptor, head.pdf_bytes, at)
    else:
        pdf = os.pread(descriptor, head.pdf_bytes, at)
    whole = (log is None or len(log) == head.log_bytes) and (
        pdf is None or len(pdf) == head.pdf_bytes
    )
    return Results(log, pdf) if whole else None


def _collect_left(task: _Task, code: int) -> Forked:
    """What a child that exited without handing its results over left in its directory (its
    log's head, its PDF), read from the files; the directory then removed. Blocking."""
    try:
        log = read_output(task.directory / f"{task.job_name}.log", task.max_log_bytes)
        pdf = read_output(task.directory / f"{task.job_name}.pdf")
    finally:
        shutil.rmtree(task.directory, ignore_errors=True)
    return Forked(code, log or b"", pdf)


def _open_jobs_directory(root: Path | None, identity: Identity | None) -> _JobsDirectory:
    """A pool's jobs' directory ``texrender-<pid>-jobs-<random>`` under ``root`` (the system's
    temp dir if None), made as a work directory is, TeX's user's (its children make their
    directories there), and a descriptor of it. Blocking."""
    path = _make_directory(root, identity, JOBS_DIR_KIND, None)
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except BaseException:
        shutil.rmtree(path, ignore_errors=True)
        raise
    return _JobsDirectory(path, descriptor)


def _renewed_jobs_directory(
    jobs: _JobsDirectory, root: Path | None, identity: Identity | None
) -> _JobsDirectory | None:
    """A new jobs' directory if ``jobs`` was removed (a removed directory has no links left);
    None while it is there. Blocking."""
    if os.fstat(jobs.descriptor).st_nlink > 0:
        return None
    return _open_jobs_directory(root, identity)


def _close_jobs_directories(directories: list[_JobsDirectory]) -> None:
    for jobs in directories:
        os.close(jobs.descriptor)
        shutil.rmtree(jobs.path, ignore_errors=True)


def _take_pidfd(job: _Job) -> None:
    """A pidfd of ``job``'s child, taken as its start is reported. The zygote has not reported
    its end, so, unless the zygote has reaped it since (the end is then on its way, and the
    pidfd not needed), the number is still the child's. Not taken: no pidfd is needed when
    the child is gone; for want of one (out of descriptors), the orphan's kill is by number."""
    assert job.pid is not None
    try:
        job.pidfd = os.pidfd_open(job.pid)
    except ProcessLookupError:
        job.gone = True
    except OSError as error:
        log.warning("no pidfd for a zygote's child: %s", error)


def _kill_orphan(job: _Job, pid: int) -> None:
    """Kill the child (and its process group) of a job whose zygote died before reporting its
    end. The child is the init's now, and reaped by it as soon as it ends, after which its
    number may name another process: so it is stopped through its pidfd, which cannot, and
    then, only while stopped, and so still holding its number, its group is killed by
    number.

    What is left: a child whose own exit was already under way when it was stopped (it is a
    zombie at once, so its group is not killed: anything left in it is the child's own
    children, which at worst run on to their end within their inherited limits); and a pidfd
    of another process, if between the zygote's report of the start and the pidfd's taking
    the child ended, the zygote reaped it, the kernel gave its number to a new process and the
    zygote died before it could report that end.
    """
    if job.pidfd is None:
        if not job.gone:
            kill_group(pid)  # no pidfd could be taken: by number, as without one
        return
    try:
        signal.pidfd_send_signal(job.pidfd, signal.SIGSTOP)
    except OSError:
        return  # ended and reaped already (or, not ours to signal, beyond our reach)
    if not _has_exited(job.pidfd):
        kill_group(pid)
    with contextlib.suppress(OSError):
        signal.pidfd_send_signal(job.pidfd, signal.SIGKILL)


def _has_exited(pidfd: int) -> bool:
    """Whether the process of ``pidfd`` has ended (a pidfd reads as ready once it has)."""
    poller = select.poll()
    poller.register(pidfd, select.POLLIN)
    return bool(poller.poll(0))


def _readable(path: Path) -> None:
    path.chmod(0o755)


def _key(argv: list[str], env_for: EnvFor) -> tuple[Any, ...]:
    """What a zygote is for: its command line and every variable but the job's own (those
    that name its directory, here a stand-in)."""
    return (tuple(argv), tuple(sorted(env_for(Path("/")).items())))


# The exit code of a zygote's child that could not become its job (zygote_shim.c).
_CHILD_NOT_STARTED = 125


def _start_failed(job: _Job) -> bool:
    """Whether ``job`` never ran: the zygote could not fork, or its child could not make or
    enter its directory or write its source."""
    if job.pid is not None and job.pid < 0:
        return True
    if job.orphaned or job.timed_out or job.status is None:
        return False
    return os.waitstatus_to_exitcode(job.status) == _CHILD_NOT_STARTED


def _outcome(job: _Job, timeout_s: float) -> int:
    """The return code of a job that ran (not :func:`_start_failed`)."""
    if job.orphaned or job.status is None:
        raise BoxKilled("ended with its zygote")
    if job.timed_out:
        raise BoxTimeout(f"took longer than {timeout_s:g} s and was stopped")
    return checked_exit(os.waitstatus_to_exitcode(job.status), cpu_limit(timeout_s))


@contextlib.asynccontextmanager
async def open_zygote_pool(
    shim: Path,
    *,
    limits: SandboxLimits,
    identity: Identity | None,
    work_root: Path | None,
    max_zygotes: int = 6,
    max_jobs_per_zygote: int = MAX_JOBS_PER_ZYGOTE,
) -> AsyncIterator[ZygotePool]:
    """A pool whose zygotes live in a nursery of their own, all stopped on the way out, with
    its jobs' directory, removed last."""
    jobs = await trio.to_thread.run_sync(_open_jobs_directory, work_root, identity)
    directories = [jobs]
    try:
        async with trio.open_nursery() as nursery:
            pool = ZygotePool(
                nursery,
                shim,
                limits=limits,
                identity=identity,
                work_root=work_root,
                jobs=jobs,
                max_zygotes=max_zygotes,
                max_jobs_per_zygote=max_jobs_per_zygote,
            )
            try:
                yield pool
            finally:
                directories = [pool.jobs, *pool.retired_jobs]
                nursery.cancel_scope.cancel()
    finally:
        with trio.CancelScope(shield=True):
            await trio.to_thread.run_sync(_close_jobs_directories, directories)

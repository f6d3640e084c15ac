"""Loaded engines: a render forked from a zygote is the render a fresh TeX makes (same PDF
bytes, same log, same errors), in the same box, and a zygote's trouble stays its own."""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

import pytest
import trio

from rendering.catalogue import Catalogue
from rendering.config import DEFAULT_TEMPLATES_DIR
from rendering.errors import TexError, TexKilled, TexTimeout
from rendering.typesetting import (
    ZygotePool,
    ZygoteStatistics,
    _zygote,
    build_shim,
    open_zygote_pool,
)
from rendering.typesetting._engine import (
    _WORKDIR_NAME,
    PdfLatexEngine,
    _is_jobs_directory,
    _is_zygote_home,
    build_argv,
)
from rendering.typesetting._formats import FormatStore, ensure_private_dir
from rendering.typesetting._zygote_protocol import (
    MAX_REQUEST,
    REPLY_SIZE,
    RESULTS_HEAD,
    Results,
    ResultsHead,
    job_request,
    kill_request,
    parse_reply,
    parse_results_head,
)
from tests.conftest import children_of, is_jobs_dir, is_zygote_dir, job_dirs, pdf_text
from tools.exact_text import CORPUS_DIR, corpus, for_template

pytestmark = pytest.mark.tex

T = TypeVar("T")
TEMPLATE = "resume-classic"
UNICODE_FILES = ("russian.json", "arabic.json", "chinese.json")


@dataclass(frozen=True)
class Path_:
    """One path of the template: its engine, its format and documents for it."""

    executable: str
    format_name: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Formats:
    directory: Path
    fast: Path_
    unicode: Path_


def _documents(unicode: bool) -> tuple[str, ...]:
    template = Catalogue.load([DEFAULT_TEMPLATES_DIR])[TEMPLATE]
    if not unicode:
        files = {d.name: d for d in corpus(CORPUS_DIR)}
        french = for_template(files["french.json"], TEMPLATE)
        return (template.to_tex(template.sample), template.to_tex(french))
    files = {d.name: d for d in corpus(CORPUS_DIR)}
    return tuple(
        template.to_tex(for_template(files[name], TEMPLATE), unicode=True) for name in UNICODE_FILES
    )


async def _build(directory: Path) -> Formats:
    paths = {}
    for executable, unicode in (("pdflatex", False), ("xelatex", True)):
        engine = PdfLatexEngine(executable, format_dir=directory)
        sources = _documents(unicode)
        store = FormatStore(engine, directory, executable)
        store.plan({TEMPLATE: sources[0]})
        await store.build_missing()
        name = store.format_for(TEMPLATE, sources[0])
        assert name is not None, store.statuses()
        assert all(store.format_for(TEMPLATE, s) == name for s in sources)
        paths[executable] = Path_(engine.executable, name, sources)
    return Formats(directory, paths["pdflatex"], paths["xelatex"])


@pytest.fixture(scope="module")
def formats() -> Iterator[Formats]:
    """Both paths' formats for the template, built once for the module (a few seconds)."""
    directory = ensure_private_dir(Path(tempfile.mkdtemp(prefix="texrender-test-zygote-")))
    try:
        yield trio.run(_build, directory)
    finally:
        for entry in directory.rglob("*"):
            if entry.is_file():
                entry.unlink()
        for entry in sorted(directory.rglob("*"), reverse=True):
            entry.rmdir()
        directory.rmdir()


@pytest.fixture
async def pool(formats: Formats, work_dir: Path) -> AsyncIterator[ZygotePool]:
    shim = await trio.to_thread.run_sync(build_shim, formats.directory)
    assert shim is not None, "no C compiler"
    fresh = PdfLatexEngine(work_root=work_dir)
    async with open_zygote_pool(
        shim, limits=fresh.limits, identity=fresh._identity, work_root=work_dir
    ) as zygotes:
        yield zygotes


def engines(
    path: Path_, formats: Formats, work_dir: Path, pool: ZygotePool
) -> tuple[PdfLatexEngine, PdfLatexEngine]:
    """The same engine twice: started fresh, and forked from a zygote."""
    fresh = PdfLatexEngine(path.executable, work_root=work_dir, format_dir=formats.directory)
    forked = PdfLatexEngine(
        path.executable, work_root=work_dir, format_dir=formats.directory, zygotes=pool
    )
    return fresh, forked


async def ready(engine: PdfLatexEngine, format_name: str) -> int:
    """Start ``engine``'s zygote for ``format_name``; its pid."""
    assert engine.zygotes is not None
    assert await engine.prestart(format_name)
    return engine.zygotes.zygote_pids()[-1]


def tex_children(work_dir: Path) -> list[int]:
    """TeX processes under this test process working in ``work_dir`` (so a server of another
    test in this process, such as the session's, does not count), zygotes' children included."""
    found: list[int] = []
    stack = [os.getpid()]
    while stack:
        for pid, comm, _ in children_of(stack.pop()):
            stack.append(pid)
            if comm.endswith("tex") and _works_in(pid, work_dir):
                found.append(pid)
    return found


def kinds(work_dir: Path) -> list[str]:
    """The kinds of the directories in ``work_dir`` (``texrender-<pid>-<kind>-<random>``)."""
    return sorted(entry.name.split("-")[2] for entry in work_dir.iterdir())


def _works_in(pid: int, work_dir: Path) -> bool:
    try:
        return Path(os.readlink(f"/proc/{pid}/cwd")).is_relative_to(work_dir)
    except OSError:
        return False


@pytest.mark.parametrize("unicode", [False, True], ids=["pdftex", "xetex"])
async def test_a_forked_render_is_byte_for_byte_a_fresh_one(
    formats: Formats, work_dir: Path, pool: ZygotePool, unicode: bool
) -> None:
    """Each document of the path, one after another from one zygote, and the first again at
    the end (so no job sees what the one before did): same PDF, same log."""
    path = formats.unicode if unicode else formats.fast
    fresh, forked = engines(path, formats, work_dir, pool)
    zygote = await ready(forked, path.format_name)
    cpu = pool.children_cpu
    for source in (*path.sources, path.sources[0]):
        expected = await fresh.compile(source, timeout_s=60, format_name=path.format_name)
        got = await forked.compile(source, timeout_s=60, format_name=path.format_name)
        assert got.pdf == expected.pdf
        assert got.log == expected.log
    assert pool.children_cpu > cpu, "the renders did not go through the zygote"
    assert pool.zygote_pids() == [zygote]


@pytest.mark.parametrize("unicode", [False, True], ids=["pdftex", "xetex"])
async def test_a_forked_render_costs_the_server_no_worker_thread_and_leaves_nothing(
    formats: Formats,
    work_dir: Path,
    pool: ZygotePool,
    unicode: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Its child makes, fills and removes its own directory and hands the PDF and the log back
    in memory: the server makes no trip to a worker thread; a fresh render makes three."""
    path = formats.unicode if unicode else formats.fast
    fresh, forked = engines(path, formats, work_dir, pool)
    await ready(forked, path.format_name)
    trips: list[str] = []
    to_thread = trio.to_thread.run_sync

    async def counted(fn: Callable[..., T], *args: object, **kwargs: Any) -> T:
        trips.append(getattr(fn, "__name__", repr(fn)))
        return await to_thread(fn, *args, **kwargs)

    monkeypatch.setattr(trio.to_thread, "run_sync", counted)
    done = pool.jobs_done
    got = await forked.compile(path.sources[0], timeout_s=60, format_name=path.format_name)
    assert pool.jobs_done == done + 1, "the render did not go through the zygote"
    assert trips == []
    assert "Output written on doc.pdf" in got.log
    assert job_dirs(work_dir) == []
    await fresh.compile(path.sources[0], timeout_s=60, format_name=path.format_name)
    # Fresh: the directory made and filled, TeX started (trio.run_process's own trip), the
    # outputs read and the directory removed.
    assert len(trips) == 3
    assert [trips[0], trips[-1]] == ["_make_directory", "_collect_and_remove"]


async def test_a_removed_jobs_directory_costs_one_fresh_render_and_is_made_again(
    formats: Formats, work_dir: Path, pool: ZygotePool
) -> None:
    """A cleaner of temporary files may take the jobs' directory of an idle server: the next
    render, whose child cannot make its directory, runs fresh (not a failure), and the pool
    makes a new one, where the render after it forks again."""
    path = formats.fast
    fresh, forked = engines(path, formats, work_dir, pool)
    await ready(forked, path.format_name)
    expected = await fresh.compile(path.sources[0], timeout_s=60, format_name=path.format_name)
    first = pool.jobs.path
    first.rmdir()
    declined, done = pool.jobs_declined, pool.jobs_done
    got = await forked.compile(path.sources[0], timeout_s=60, format_name=path.format_name)
    assert got.pdf == expected.pdf
    assert (pool.jobs_declined, pool.jobs_done) == (declined + 1, done)
    assert pool.jobs.path != first
    assert pool.jobs.path.is_dir()
    again = await forked.compile(path.sources[0], timeout_s=60, format_name=path.format_name)
    assert again.pdf == expected.pdf
    assert pool.jobs_done == done + 1
    assert job_dirs(work_dir) == []


async def test_a_failed_fork_ends_its_job_at_once() -> None:
    """The zygote's "started" with minus an errno (no fork: out of processes) is the job's end:
    it is run fresh, not waited for until its timeout."""
    zygote = _zygote._Zygote(("key",), ["tex"], lambda _: {})
    job = _zygote._Job(1)
    zygote.jobs[1] = job
    zygote._take(
        parse_reply(
            b"S\0\0\0"
            + (1).to_bytes(4, "little")
            + (-11).to_bytes(4, "little", signed=True)
            + bytes(20)
        )
    )
    assert job.exited.is_set()
    assert _zygote._start_failed(job)


async def test_bad_tex_fails_the_same_way(
    formats: Formats, work_dir: Path, pool: ZygotePool
) -> None:
    path = formats.fast
    fresh, forked = engines(path, formats, work_dir, pool)
    await ready(forked, path.format_name)
    broken = path.sources[0].replace(r"\end{document}", r"\undefinedcommand\end{document}")
    errors = []
    for engine in (fresh, forked):
        with pytest.raises(TexError, match="Undefined control sequence") as caught:
            await engine.compile(broken, timeout_s=60, format_name=path.format_name)
        errors.append(caught.value.tex)
    assert errors[0] == errors[1]
    assert "undefinedcommand" in repr(errors[0])


async def test_a_forked_tex_reads_and_writes_only_what_a_fresh_one_may(
    formats: Formats, work_dir: Path, pool: ZygotePool
) -> None:
    """openin_any=p and openout_any=p hold in the child: a file outside its directory cannot be
    read into the PDF, nor one written outside it."""
    path = formats.fast
    fresh, forked = engines(path, formats, work_dir, pool)
    await ready(forked, path.format_name)
    outside = work_dir.parent / "outside.tex"
    write = (
        r"\newwrite\out\immediate\openout\out=" + str(outside) + r"\immediate\write\out{x}"
        r"\immediate\closeout\out\end{document}"
    )
    # Its own directory it does read (so the check can tell), /etc not.
    read = r"\IfFileExists{doc.tex}{HERE}{MISSING} \IfFileExists{/etc/hostname}{READ}{REFUSED}"
    read += r"\end{document}"
    writer = path.sources[0].replace(r"\end{document}", write)
    reader = path.sources[0].replace(r"\end{document}", read)
    for engine in (fresh, forked):
        with pytest.raises(TexError, match="I can't write on file"):
            await engine.compile(writer, timeout_s=60, format_name=path.format_name)
        assert not outside.exists()
        result = await engine.compile(reader, timeout_s=60, format_name=path.format_name)
        text = pdf_text(result.pdf)
        assert "HERE" in text
        assert "REFUSED" in text


async def test_a_timeout_kills_only_its_own_job(
    formats: Formats, work_dir: Path, pool: ZygotePool
) -> None:
    path = formats.fast
    _, forked = engines(path, formats, work_dir, pool)
    zygote = await ready(forked, path.format_name)
    spin = path.sources[0].replace(r"\end{document}", r"\def\spin{\spin}\spin\end{document}")
    results: list[bytes] = []

    async def good() -> None:
        result = await forked.compile(path.sources[0], timeout_s=60, format_name=path.format_name)
        results.append(result.pdf)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(good)
        with pytest.raises(TexTimeout):
            await forked.compile(spin, timeout_s=2, format_name=path.format_name)
    assert len(results) == 1
    assert results[0].startswith(b"%PDF")
    assert pool.zygote_pids() == [zygote]
    assert tex_children(work_dir) == [zygote]  # the spinning child is gone, the zygote is not
    again = await forked.compile(path.sources[0], timeout_s=60, format_name=path.format_name)
    assert again.pdf == results[0]


async def test_a_cancelled_render_leaves_no_child(
    formats: Formats, work_dir: Path, pool: ZygotePool
) -> None:
    path = formats.fast
    _, forked = engines(path, formats, work_dir, pool)
    zygote = await ready(forked, path.format_name)
    spin = path.sources[0].replace(r"\end{document}", r"\def\spin{\spin}\spin\end{document}")
    with trio.move_on_after(1):
        await forked.compile(spin, timeout_s=60, format_name=path.format_name)
    assert tex_children(work_dir) == [zygote]
    # The job's directory is gone; the zygote's own and the pool's jobs' stay while they live.
    assert job_dirs(work_dir) == []
    assert kinds(work_dir) == ["jobs", "zygote"]


async def test_a_dead_zygote_fails_its_jobs_as_killed_and_is_replaced(
    formats: Formats, work_dir: Path, pool: ZygotePool
) -> None:
    path = formats.fast
    _, forked = engines(path, formats, work_dir, pool)
    zygote = await ready(forked, path.format_name)
    spin = path.sources[0].replace(r"\end{document}", r"\def\spin{\spin}\spin\end{document}")

    async def kill_zygote_soon() -> None:
        await trio.sleep(0.5)
        os.kill(zygote, signal.SIGKILL)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(kill_zygote_soon)
        with pytest.raises(TexKilled):
            await forked.compile(spin, timeout_s=30, format_name=path.format_name)
    await trio.sleep(0.2)
    assert pool.zygote_pids() == []
    # The next render runs fresh while a new zygote starts; the one after is forked from it.
    first = await forked.compile(path.sources[0], timeout_s=60, format_name=path.format_name)
    replacement = await ready(forked, path.format_name)
    assert replacement != zygote
    second = await forked.compile(path.sources[0], timeout_s=60, format_name=path.format_name)
    assert first.pdf == second.pdf
    assert tex_children(work_dir) == [replacement]


async def test_the_child_of_a_dead_zygote_is_killed_through_its_pidfd(
    formats: Formats, work_dir: Path, pool: ZygotePool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its zygote SIGKILLed, a job's child is the init's (out of this process's tree, where
    tex_children looks): it must still end, and the kill by number is only noted here, so
    only the kill through the pidfd can end it (a spinning job with 30 s to go)."""
    path = formats.fast
    _, forked = engines(path, formats, work_dir, pool)
    zygote = await ready(forked, path.format_name)
    groups: list[int] = []
    monkeypatch.setattr(_zygote, "kill_group", groups.append)
    spin = path.sources[0].replace(r"\end{document}", r"\def\spin{\spin}\spin\end{document}")
    watched: list[tuple[int, int]] = []  # the child's pid and a pidfd of this test's own

    async def kill_zygote_once_its_child_runs() -> None:
        with trio.fail_after(10):
            while not (children := [p for p in tex_children(work_dir) if p != zygote]):
                await trio.sleep(0.05)
        watched.append((children[0], os.pidfd_open(children[0])))
        os.kill(zygote, signal.SIGKILL)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(kill_zygote_once_its_child_runs)
        with pytest.raises(TexKilled):
            await forked.compile(spin, timeout_s=30, format_name=path.format_name)
    [(child, pidfd)] = watched
    try:
        with trio.fail_after(5):
            await trio.lowlevel.wait_readable(pidfd)  # the child has ended
    finally:
        os.close(pidfd)
    assert child in groups  # its group too, by number, while the pidfd said it was alive


def test_a_child_reaped_before_its_pidfd_is_taken_is_not_killed_by_number(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Reaped already when its start is read, the child was reaped by its zygote (which killed
    its group first): its number may be another's by now, so nothing is sent to it."""
    dead = subprocess.Popen(["true"])
    dead.wait()
    job = _zygote._Job(1, pid=dead.pid)
    _zygote._take_pidfd(job)
    assert (job.pidfd, job.gone) == (None, True)
    groups: list[int] = []
    monkeypatch.setattr(_zygote, "kill_group", groups.append)
    _zygote._kill_orphan(job, dead.pid)
    assert groups == []


async def test_a_zygotes_directory_is_one_sweep_leftovers_knows(
    formats: Formats, work_dir: Path, pool: ZygotePool
) -> None:
    """Left by a killed server, a zygote's directory and its pool's jobs' directory would be
    swept by the next (the name's pid is then a dead process's); this server runs, so they
    stay."""
    _, forked = engines(formats.fast, formats, work_dir, pool)
    await ready(forked, formats.fast.format_name)
    [home] = [entry for entry in work_dir.iterdir() if is_zygote_dir(entry)]
    [jobs] = [entry for entry in work_dir.iterdir() if is_jobs_dir(entry)]
    for entry, kind in ((home, "zygote-"), (jobs, "jobs-")):
        name = _WORKDIR_NAME.match(entry.name)
        assert name is not None
        assert (name.group(1), name.group(2)) == (str(os.getpid()), kind)
    assert _is_zygote_home(home)
    assert _is_jobs_directory(jobs)
    assert forked.sweep_leftovers() == []
    assert home.is_dir()
    assert jobs.is_dir()


def test_a_dead_servers_jobs_directory_is_swept_and_only_one_that_looks_like_it(
    tmp_path: Path,
) -> None:
    """A jobs' directory of a process that no longer runs goes, with the work directories of
    the renders it was doing; one that holds anything else is not taken for one."""
    dead = _dead_pid()
    left = tmp_path / f"texrender-{dead}-jobs-abc123"
    (left / "texrender-0a1b").mkdir(parents=True)
    (left / "texrender-0a1b" / "doc.tex").write_text("secret data")
    (left / "texrender-2c3d").mkdir()  # a child killed before it wrote the source
    other = tmp_path / f"texrender-{dead}-jobs-def456"
    (other / "photos").mkdir(parents=True)
    engine = PdfLatexEngine(work_root=tmp_path)
    assert engine.sweep_leftovers() == [left]
    assert not left.exists()
    assert (other / "photos").is_dir()


def _dead_pid() -> int:
    """The pid of a process that has ended (and been reaped)."""
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


async def test_without_a_working_shim_every_render_runs_fresh(
    formats: Formats, work_dir: Path
) -> None:
    """A zygote that never gets ready (here the preloaded library is missing, so TeX runs on
    and stops for want of doc.tex) costs one start, then none for a while; renders are fine."""
    fresh = PdfLatexEngine(work_root=work_dir)
    async with open_zygote_pool(
        work_dir.parent / "missing.so",
        limits=fresh.limits,
        identity=fresh._identity,
        work_root=work_dir,
    ) as zygotes:
        plain, forked = engines(formats.fast, formats, work_dir, zygotes)
        expected = await plain.compile(
            formats.fast.sources[0], timeout_s=60, format_name=formats.fast.format_name
        )
        for _ in range(3):
            got = await forked.compile(
                formats.fast.sources[0], timeout_s=60, format_name=formats.fast.format_name
            )
            assert got.pdf == expected.pdf
            await trio.sleep(1)
        assert zygotes.statistics() == ZygoteStatistics(ready=0, started=1, forked=0, declined=3)
        assert zygotes.zygote_pids() == []
        assert tex_children(work_dir) == []
    assert list(work_dir.iterdir()) == []


async def test_a_full_pool_makes_room_by_stopping_its_least_recently_used_zygote(
    formats: Formats, work_dir: Path
) -> None:
    shim = await trio.to_thread.run_sync(build_shim, formats.directory)
    assert shim is not None
    fresh = PdfLatexEngine(work_root=work_dir)
    async with open_zygote_pool(
        shim, limits=fresh.limits, identity=fresh._identity, work_root=work_dir, max_zygotes=1
    ) as zygotes:
        _, fast = engines(formats.fast, formats, work_dir, zygotes)
        _, unicode = engines(formats.unicode, formats, work_dir, zygotes)
        first = await ready(fast, formats.fast.format_name)
        second = await ready(unicode, formats.unicode.format_name)
        await trio.sleep(0.5)
        assert zygotes.zygote_pids() == [second]
        assert tex_children(work_dir) == [second]
        assert first != second
        result = await unicode.compile(
            formats.unicode.sources[0], timeout_s=60, format_name=formats.unicode.format_name
        )
        assert result.pdf.startswith(b"%PDF")
        figures = zygotes.statistics()
        assert figures.forked_cpu_s > 0
        assert replace(figures, forked_cpu_s=0) == ZygoteStatistics(
            ready=1, started=2, forked=1, declined=0
        )


async def test_a_zygote_that_has_forked_its_bound_of_jobs_is_replaced(
    formats: Formats, work_dir: Path
) -> None:
    """Replaced at its bound, a zygote's running job still ends well, and then it stops."""
    shim = await trio.to_thread.run_sync(build_shim, formats.directory)
    assert shim is not None
    fresh = PdfLatexEngine(work_root=work_dir)
    async with open_zygote_pool(
        shim,
        limits=fresh.limits,
        identity=fresh._identity,
        work_root=work_dir,
        max_jobs_per_zygote=2,
    ) as zygotes:
        _, forked = engines(formats.fast, formats, work_dir, zygotes)
        source, name = formats.fast.sources[0], formats.fast.format_name
        slow = source.replace(
            r"\end{document}",
            r"\newcount\slow\def\more{\advance\slow by 1 "
            r"\ifnum\slow<4000000 \expandafter\more\fi}\more SLOW\end{document}",
        )
        first = await ready(forked, name)
        pdfs = [(await forked.compile(source, timeout_s=60, format_name=name)).pdf]
        assert zygotes.zygote_pids() == [first]
        texts: list[str] = []

        async def render_slowly() -> None:
            result = await forked.compile(slow, timeout_s=60, format_name=name)
            texts.append(pdf_text(result.pdf))

        async with trio.open_nursery() as nursery:
            nursery.start_soon(render_slowly)
            with trio.fail_after(10):
                while len(tex_children(work_dir)) < 2:  # the slow job's child runs
                    await trio.sleep(0.01)
            # The zygote's second job is its last: its successor is started at once, and it
            # stops once the slow job, still running, has ended.
            pdfs.append((await forked.compile(source, timeout_s=60, format_name=name)).pdf)
            assert not texts, "the slow job was not slow enough to be running still"
            assert first in tex_children(work_dir)
        assert "SLOW" in texts[0]
        second = await ready(forked, name)
        assert second != first
        with trio.fail_after(5):
            while first in tex_children(work_dir):
                await trio.sleep(0.05)
        pdfs.append((await forked.compile(source, timeout_s=60, format_name=name)).pdf)
        assert pdfs[0] == pdfs[1] == pdfs[2]
        assert replace(zygotes.statistics(), forked_cpu_s=0) == ZygoteStatistics(
            ready=1, started=2, forked=4, declined=0
        )
        assert tex_children(work_dir) == [second]
        assert job_dirs(work_dir) == []
        assert kinds(work_dir) == ["jobs", "zygote"]


async def test_a_zygote_that_dies_at_its_bound_is_replaced_only_once(
    formats: Formats, work_dir: Path
) -> None:
    """Its jobs end (as killed) after it is gone from the pool: the one successor is started by
    the next job, none by the jobs' count (two would leave one zygote outside the pool)."""
    shim = await trio.to_thread.run_sync(build_shim, formats.directory)
    assert shim is not None
    fresh = PdfLatexEngine(work_root=work_dir)
    async with open_zygote_pool(
        shim,
        limits=fresh.limits,
        identity=fresh._identity,
        work_root=work_dir,
        max_jobs_per_zygote=1,
    ) as zygotes:
        _, forked = engines(formats.fast, formats, work_dir, zygotes)
        source, name = formats.fast.sources[0], formats.fast.format_name
        spin = source.replace(r"\end{document}", r"\def\spin{\spin}\spin\end{document}")
        zygote = await ready(forked, name)

        async def spin_until_killed() -> None:
            with pytest.raises(TexKilled):
                await forked.compile(spin, timeout_s=30, format_name=name)

        async with trio.open_nursery() as nursery:
            nursery.start_soon(spin_until_killed)
            nursery.start_soon(spin_until_killed)
            with trio.fail_after(10):
                while len(tex_children(work_dir)) < 3:  # the zygote and both children
                    await trio.sleep(0.01)
            os.kill(zygote, signal.SIGKILL)
        await trio.sleep(0.5)
        assert zygotes.statistics().started == 1
        assert tex_children(work_dir) == []
        await forked.compile(source, timeout_s=60, format_name=name)  # fresh; starts one
        assert await ready(forked, name) != zygote
        assert zygotes.statistics().started == 2


async def test_closing_the_pool_stops_its_zygotes(formats: Formats, work_dir: Path) -> None:
    shim = await trio.to_thread.run_sync(build_shim, formats.directory)
    assert shim is not None
    fresh = PdfLatexEngine(work_root=work_dir)
    async with open_zygote_pool(
        shim, limits=fresh.limits, identity=fresh._identity, work_root=work_dir
    ) as zygotes:
        _, forked = engines(formats.fast, formats, work_dir, zygotes)
        await ready(forked, formats.fast.format_name)
        assert len(tex_children(work_dir)) == 1
    assert tex_children(work_dir) == []
    assert list(work_dir.iterdir()) == []


def test_a_job_request_holds_its_directory_and_variables() -> None:
    variables = {"HOME": "/tmp/w", "TEXMFVAR": "/tmp/w/.texmf-var"}
    message = job_request(7, 31, variables, directory="w", job_name="doc", max_log_bytes=4096)
    assert message[:1] == b"J"
    assert int.from_bytes(message[4:8], "little") == 7
    assert int.from_bytes(message[8:12], "little") == 31
    assert int.from_bytes(message[12:16], "little") == 4096
    assert message[16:] == b"w\0doc\0HOME=/tmp/w\0TEXMFVAR=/tmp/w/.texmf-var\0"
    assert kill_request(1234)[:1] == b"K"


@pytest.mark.parametrize(
    ("variables", "directory", "job_name"),
    [
        ({"HOME": "/tmp/a\0b"}, "w", "doc"),
        ({"A=B": "c"}, "w", "doc"),
        ({"": "c"}, "w", "doc"),
        ({"A": "x" * MAX_REQUEST}, "w", "doc"),
        ({}, "../w", "doc"),
        ({}, "..", "doc"),
        ({}, "", "doc"),
        ({}, "w", "a/b"),
        ({}, "w", "x" * 128),
    ],
)
def test_a_job_that_cannot_be_told_is_refused(
    variables: dict[str, str], directory: str, job_name: str
) -> None:
    with pytest.raises(ValueError, match=r"cannot be sent|longer than|plain names"):
        job_request(1, 1, variables, directory=directory, job_name=job_name, max_log_bytes=1)


def _results(log: bytes | None, pdf: bytes | None, magic: bytes = b"TXRDONE1") -> bytes:
    flags = (1 if log is not None else 0) | (2 if pdf is not None else 0)
    body = (log or b"") + (pdf or b"")
    head = magic + len(log or b"").to_bytes(8, "little") + len(pdf or b"").to_bytes(8, "little")
    return head + flags.to_bytes(8, "little") + body


@pytest.mark.parametrize(
    ("log", "pdf"), [(b"the log", b"%PDF-1.5 ..."), (b"the log", None), (None, None)]
)
async def test_results_are_read_as_the_child_wrote_them(
    log: bytes | None, pdf: bytes | None
) -> None:
    descriptor = os.memfd_create("results")
    try:
        os.write(descriptor, _results(log, pdf))
        assert await _zygote._read_results(descriptor, max_log_bytes=100) == Results(log, pdf)
    finally:
        os.close(descriptor)


def test_results_that_are_not_whole_are_not_taken() -> None:
    packed = _results(b"the log", b"%PDF")
    head = packed[:RESULTS_HEAD]
    assert parse_results_head(head, len(packed), 100) == ResultsHead(7, 4, True, True)
    assert parse_results_head(b"", 0, 100) is None  # killed: nothing written
    assert parse_results_head(bytes(RESULTS_HEAD), len(packed), 100) is None  # no header yet
    assert parse_results_head(head, len(packed) - 1, 100) is None  # does not add up
    assert parse_results_head(head, len(packed), 3) is None  # a longer log than asked for
    wrong = _results(b"the log", b"%PDF", magic=b"TXRDONE0")[:RESULTS_HEAD]
    assert parse_results_head(wrong, len(packed), 100) is None


def test_results_left_in_files_are_read_without_following_links(tmp_path: Path) -> None:
    """A child that could not hand its results over leaves them in its directory; they are
    read from there (only TeX's own plain files: a link is not followed), and it is removed."""
    directory = tmp_path / "texrender-job"
    directory.mkdir()
    (directory / "doc.log").write_bytes(b"L" * 50)
    secret = tmp_path / "secret"
    secret.write_bytes(b"not TeX's")
    (directory / "doc.pdf").symlink_to(secret)
    task = _zygote._Task(directory, "doc", b"", 60.0, max_log_bytes=10)
    assert _zygote._collect_left(task, 0) == _zygote.Forked(0, b"L" * 10, None)
    assert not directory.exists()


def test_replies_are_read_exactly() -> None:
    packet = b"X\0\0\0" + (3).to_bytes(4, "little") + (99).to_bytes(4, "little", signed=True)
    packet += (0).to_bytes(4, "little") + (1_500_000).to_bytes(8, "little") + bytes(8)
    reply = parse_reply(packet)
    assert (reply.kind, reply.job, reply.pid, reply.cpu_seconds) == ("X", 3, 99, 1.5)
    with pytest.raises(ValueError, match="has 31 bytes"):
        parse_reply(packet[:-1])
    with pytest.raises(ValueError, match="unknown reply kind"):
        parse_reply(b"Q" + packet[1:])
    assert len(packet) == REPLY_SIZE


async def test_the_child_reads_the_clock_itself_after_taking_its_variables(
    formats: Formats, work_dir: Path, pool: ZygotePool
) -> None:
    """The hook is before TeX reads the clock: \\time is the child's, in the child's time zone
    (given to the job only), not the zygote's (UTC)."""
    path = formats.fast
    _, forked = engines(path, formats, work_dir, pool)
    argv = build_argv(forked.executable, format_name=path.format_name)

    def env_for(directory: Path) -> dict[str, str]:
        is_job = "-jobs-" in directory.parent.name
        return {**forked._env(directory), "TZ": "JOB-14" if is_job else "UTC0"}

    assert await pool.prestart(argv, env_for=env_for)
    source = path.sources[0].replace(r"\end{document}", r"TIME\the\time{} \end{document}")
    before = _minutes(14)
    done = await pool.run(
        argv,
        source=source.encode(),
        job_name="doc",
        env_for=env_for,
        timeout_s=60,
        max_log_bytes=forked.limits.max_log_bytes,
    )
    after = _minutes(14)
    assert done is not None
    assert done.code == 0
    assert done.pdf is not None
    text = pdf_text(done.pdf)
    shown = int(text.split("TIME", 1)[1].split()[0])
    assert shown in {before, after}, (shown, before, after, _minutes(0))


def _minutes(offset_hours: int) -> int:
    """Minutes since midnight now, ``offset_hours`` east of UTC."""
    now = time.gmtime(time.time() + offset_hours * 3600)
    return now.tm_hour * 60 + now.tm_min


def test_the_shim_is_built_once_per_source_and_not_without_a_compiler(tmp_path: Path) -> None:
    built = build_shim(tmp_path)
    assert built is not None
    stamp = built.stat().st_mtime_ns
    assert build_shim(tmp_path) == built
    assert built.stat().st_mtime_ns == stamp
    assert [p.name for p in tmp_path.iterdir()] == [built.name]  # no temporary left
    assert build_shim(tmp_path / "other", compiler="no-such-compiler-here") is None
    failing = tmp_path / "failing"
    failing.mkdir()
    assert build_shim(failing, compiler="false") is None  # a compiler that fails
    assert list(failing.iterdir()) == []

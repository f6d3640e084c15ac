"""The server's footprint at one moment: RSS and open descriptors (from its ``/metrics``, or
``/proc`` if it has none), entries in its work directory, and its TeX processes (those whose
command name ends in ``tex`` and that descend from the server or run in its work directory, so
TeX of other programs on the machine does not count); and its log's lines by level.

A server's loaded engines (zygotes: TeX processes that wait, each in a directory of its own
named ``texrender-<pid>-zygote-*``, to fork renders) are not leftovers while the server runs;
after it exits they are (their processes, their directories). Nor is, while it runs, their
pool's jobs' directory (``texrender-<pid>-jobs-*``), where each forked render makes its work
directory: those count, as any render's does."""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import trio

from ..drive import TrioServer, descendants, process_table
from ..record import Series


@dataclass(frozen=True)
class Figures:
    """The server's footprint at one moment (``None``: not measurable, e.g. after exit)."""

    rss_bytes: int | None
    open_fds: int | None
    work_entries: int
    tex_processes: int
    source: str = "metrics"


ZYGOTE_MARK = "-zygote-"  # in the name of a zygote's directory (rendering.typesetting._zygote)
JOBS_MARK = "-jobs-"  # in the name of a zygote pool's jobs' directory


def tex_processes(server_pid: int, work_dir: Path, *, zygotes: bool = True) -> list[int]:
    """TeX processes of this server: descendants of it, or (orphans) running in its work
    directory; its waiting zygotes only if ``zygotes``. TeX of other programs on this machine
    is not ours to count."""
    table = process_table()
    below = descendants(server_pid, table)
    found = []
    root = str(work_dir)
    for pid, _, comm in table:
        if not comm.endswith("tex"):
            continue
        try:
            cwd = os.readlink(f"/proc/{pid}/cwd")
        except OSError:
            cwd = ""
        if not zygotes and ZYGOTE_MARK in Path(cwd).name:
            continue
        if pid in below or cwd.startswith(root):
            found.append(pid)
    return sorted(found)


def proc_figures(pid: int) -> tuple[int | None, int | None]:
    """RSS in bytes and open descriptors from ``/proc`` (``None`` where unreadable)."""
    rss = fds = None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) * 1024
        fds = len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        pass
    return rss, fds


def local_figures(server: TrioServer, work_dir: Path) -> tuple[int, int]:
    """Entries in the work directory and this server's TeX processes, its zygotes and their
    directories left out while it runs."""
    running = server.process.poll() is None
    entries = 0
    for name in os.listdir(work_dir):
        if running and JOBS_MARK in name:
            entries += _entries_in(work_dir / name)  # the forked renders' directories
        elif not (running and ZYGOTE_MARK in name):
            entries += 1
    found = tex_processes(server.process.pid, work_dir, zygotes=not running)
    return entries, len(found)


def _entries_in(directory: Path) -> int:
    """How many entries ``directory`` holds (0 once it is gone: the server just stopped)."""
    try:
        return len(os.listdir(directory))
    except FileNotFoundError:
        return 0


def log_levels(log_path: Path) -> dict[str, Any]:
    """Lines of the server's JSON log by level, and the first few at ERROR or above (a 500
    is logged with its traceback): where to look when the verdict names a status."""
    levels: Counter[str] = Counter()
    errors: list[str] = []
    try:
        lines = log_path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        lines = []
    for line in lines:
        try:
            level = str(json.loads(line).get("level", "?"))
        except (ValueError, AttributeError):
            level = "not-json"
        levels[level] += 1
        if level in {"ERROR", "CRITICAL"} and len(errors) < 5:
            errors.append(line[:500])
    return {"lines": len(lines), "levels": dict(sorted(levels.items())), "first_errors": errors}


async def read_figures(
    server: TrioServer, work_dir: Path, metrics: dict[Series, float] | None
) -> Figures:
    """The figures now: RSS and descriptors from ``metrics`` (``/proc`` without them)."""
    entries, tex = await trio.to_thread.run_sync(local_figures, server, work_dir)
    if server.process.poll() is not None:
        return Figures(None, None, entries, tex, source="exited")
    if metrics is not None:
        rss = metrics.get(("texrender_process_resident_memory_bytes", ""))
        fds = metrics.get(("texrender_process_open_fds", ""))
        if rss is not None and fds is not None:
            return Figures(int(rss), int(fds), entries, tex, source="metrics")
    rss_proc, fds_proc = await trio.to_thread.run_sync(proc_figures, server.process.pid)
    return Figures(rss_proc, fds_proc, entries, tex, source="proc")

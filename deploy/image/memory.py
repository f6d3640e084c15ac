"""Memory per render slot: what a pod's memory request and limit are sized from.

Starts ``texrender serve`` (this checkout's, auth off, on loopback) with ``--slots N`` and the
memory PDF cache off, keeps every slot busy with renders that miss the cache (each with a name
of its own), through pdfLaTeX and through the Unicode path (XeLaTeX with the CJK fonts: the
larger), and samples the process tree every few milliseconds. Prints, in MiB: the server idle,
the peak of the whole tree (proportional set size: shared pages counted once), and the peak
resident set of one TeX process of each engine.

    python -m deploy.image.memory --slots 2 --seconds 20
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
TEXRENDER = Path(sys.executable).parent / "texrender"
KIB = 1024
MIB = 1024 * KIB
ENGINES = ("pdflatex", "xelatex")
# Japanese in the name sends a render down the Unicode path (XeLaTeX, Noto Sans CJK).
BODIES = {
    "pdflatex": lambda n: {"basics": {"name": f"Ada Lovelace {n}", "summary": "x " * 400}},
    "xelatex": lambda n: {"basics": {"name": f"エイダ・ラブレス {n}", "summary": "x " * 400}},
}


@dataclass
class Peaks:
    idle_kib: int = 0
    total_kib: int = 0
    tex_kib: dict[str, int] = field(default_factory=dict)
    renders: dict[str, int] = field(default_factory=dict)


def tree(root: int) -> Iterator[int]:
    """``root`` and every process below it."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, ValueError, IndexError):
                stat = (entry / "stat").read_text()
                parent = int(stat[stat.rindex(")") + 2 :].split()[1])
                children.setdefault(parent, []).append(int(entry.name))
    pending = [root]
    while pending:
        pid = pending.pop()
        yield pid
        pending.extend(children.get(pid, []))


def field_kib(path: Path, name: str) -> int:
    with contextlib.suppress(OSError):
        found = re.search(rf"^{name}:\s+(\d+) kB", path.read_text(), re.MULTILINE)
        return int(found.group(1)) if found else 0
    return 0


def sample(root: int, peaks: Peaks) -> None:
    total = 0
    for pid in tree(root):
        total += field_kib(Path(f"/proc/{pid}/smaps_rollup"), "Pss")
        with contextlib.suppress(OSError):
            name = Path(f"/proc/{pid}/comm").read_text().strip()
            if name in ENGINES:
                peak = field_kib(Path(f"/proc/{pid}/status"), "VmHWM")
                peaks.tex_kib[name] = max(peaks.tex_kib.get(name, 0), peak)
    peaks.total_kib = max(peaks.total_kib, total)


def load(
    url: str, engine: str, stop: threading.Event, peaks: Peaks, numbers: Iterator[int]
) -> None:
    with httpx.Client(base_url=url, timeout=120) as client:
        while not stop.is_set():
            response = client.post("/v1/render/resume-classic", json=BODIES[engine](next(numbers)))
            response.raise_for_status()
            peaks.renders[engine] = peaks.renders.get(engine, 0) + 1


def measure(slots: int, seconds: float) -> Peaks:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEXRENDER_")}
    # At the default log level: the line that says where it listens is read below.
    env |= {"TEXRENDER_AUTH": "off", "TEXRENDER_CACHE_BYTES": "0", "TEXRENDER_LOG_FORMAT": "text"}
    argv = [str(TEXRENDER), "--slots", str(slots), "serve", "--bind", "127.0.0.1:0"]
    argv += ["--queue-max", "256", "--owner-queue-max", "256"]
    server = subprocess.Popen(argv, env=env, stderr=subprocess.PIPE, text=True, cwd=REPO)
    peaks = Peaks()
    try:
        assert server.stderr is not None
        url = next(
            m.group(1) for line in server.stderr if (m := re.search(r"(http://\S+:\d+)", line))
        )
        threading.Thread(target=lambda: server.stderr and server.stderr.read(), daemon=True).start()
        while httpx.get(f"{url}/readyz").status_code != 200:
            time.sleep(0.1)
        sample(server.pid, peaks)
        peaks.idle_kib, peaks.total_kib = peaks.total_kib, 0
        stop = threading.Event()
        numbers = itertools.count()
        # Two clients a slot, so a slot never waits for a client; half of them on each engine.
        clients = [
            threading.Thread(target=load, args=(url, ENGINES[i % 2], stop, peaks, numbers))
            for i in range(2 * slots)
        ]
        for client in clients:
            client.start()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            sample(server.pid, peaks)
            time.sleep(0.005)
        stop.set()
        for client in clients:
            client.join()
    finally:
        server.terminate()
        server.wait(timeout=30)
    return peaks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--slots", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    peaks = measure(args.slots, args.seconds)
    tex = ", ".join(f"{name} {kib / KIB:.0f}" for name, kib in sorted(peaks.tex_kib.items()))
    print(
        f"slots {args.slots}: idle {peaks.idle_kib / KIB:.0f} MiB, peak {peaks.total_kib / KIB:.0f}"
        f" MiB under load; one TeX process at most: {tex} MiB; renders {peaks.renders}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Memory per render slot: what a pod's memory request and limit are sized from.

Starts ``texrender serve`` (this checkout's, auth off, on loopback) with ``--slots N`` and the
memory PDF cache off, keeps every slot busy with renders that miss the cache (each with a name
of its own), through pdfLaTeX and through the Unicode path (XeLaTeX with the CJK fonts: the
larger), in every template by turns (``--templates``), and samples the process tree every few
milliseconds. Prints, in MiB: the server idle (its loaded engines' zygotes started, when they
are on: ``--zygotes``), the peak of the whole tree (proportional set size: shared pages counted
once), the peak resident set of one TeX process of each engine, and what the zygotes hold once
the load is over (one per template and path used: the Unicode path's start on first use).

    python -m deploy.image.memory --slots 2 --seconds 20
    python -m deploy.image.memory --slots 2 --zygotes off --templates resume-classic
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
NAMES = {"pdflatex": "Ada Lovelace", "xelatex": "エイダ・ラブレス"}
TEMPLATES = ("resume-classic", "resume-modern", "cover-letter")


def body(template: str, engine: str, number: int) -> dict[str, object]:
    """A document for ``template`` that takes ``engine``'s path, unlike any other."""
    name = f"{NAMES[engine]} {number}"
    if template == "cover-letter":
        return {"sender": {"name": name}, "paragraphs": ["x " * 400]}
    return {"basics": {"name": name, "summary": "x " * 400}}


@dataclass
class Peaks:
    idle_kib: int = 0
    total_kib: int = 0
    tex_kib: dict[str, int] = field(default_factory=dict)
    renders: dict[str, int] = field(default_factory=dict)
    # TeX processes left when no render runs (the zygotes): how many of each engine, their PSS.
    zygotes: dict[str, int] = field(default_factory=dict)
    zygotes_kib: int = 0


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


def sample_zygotes(root: int, peaks: Peaks) -> None:
    """The TeX processes of an idle server: its zygotes."""
    for pid in tree(root):
        with contextlib.suppress(OSError):
            name = Path(f"/proc/{pid}/comm").read_text().strip()
            if name in ENGINES:
                peaks.zygotes[name] = peaks.zygotes.get(name, 0) + 1
                peaks.zygotes_kib += field_kib(Path(f"/proc/{pid}/smaps_rollup"), "Pss")


def load(
    url: str,
    engine: str,
    templates: tuple[str, ...],
    stop: threading.Event,
    peaks: Peaks,
    numbers: Iterator[int],
) -> None:
    with httpx.Client(base_url=url, timeout=120) as client:
        while not stop.is_set():
            number = next(numbers)
            template = templates[number % len(templates)]
            response = client.post(f"/v1/render/{template}", json=body(template, engine, number))
            response.raise_for_status()
            peaks.renders[engine] = peaks.renders.get(engine, 0) + 1


def zygotes_ready(url: str) -> float:
    for line in httpx.get(f"{url}/metrics").text.splitlines():
        if line.startswith("texrender_zygotes_ready "):
            return float(line.split()[1])
    return 0.0


def settle(url: str, zygotes: bool) -> None:
    """Wait (at most 30 s) until the fast path's zygotes are started, when they are on."""
    deadline = time.monotonic() + 30
    while zygotes and zygotes_ready(url) < 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1.0 if zygotes else 0.0)  # the others of the fast path, started one by one


def measure(
    slots: int, seconds: float, *, zygotes: bool = True, templates: tuple[str, ...] = TEMPLATES
) -> Peaks:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEXRENDER_")}
    # At the default log level: the line that says where it listens is read below.
    env |= {"TEXRENDER_AUTH": "off", "TEXRENDER_CACHE_BYTES": "0", "TEXRENDER_LOG_FORMAT": "text"}
    env |= {"TEXRENDER_ZYGOTES": "on" if zygotes else "off"}
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
        settle(url, zygotes)
        sample(server.pid, peaks)
        peaks.idle_kib, peaks.total_kib = peaks.total_kib, 0
        stop = threading.Event()
        numbers = itertools.count()
        # Two clients a slot, so a slot never waits for a client; half of them on each engine.
        clients = [
            threading.Thread(
                target=load, args=(url, ENGINES[i % 2], templates, stop, peaks, numbers)
            )
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
        time.sleep(0.5)  # the last renders' TeX gone
        sample_zygotes(server.pid, peaks)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return peaks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--slots", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--zygotes", choices=("on", "off"), default="on")
    parser.add_argument(
        "--templates", default=",".join(TEMPLATES), help="comma-separated, rendered by turns"
    )
    args = parser.parse_args()
    templates = tuple(args.templates.split(","))
    peaks = measure(args.slots, args.seconds, zygotes=args.zygotes == "on", templates=templates)
    tex = ", ".join(f"{name} {kib / KIB:.0f}" for name, kib in sorted(peaks.tex_kib.items()))
    print(
        f"slots {args.slots}, zygotes {args.zygotes}, templates {args.templates}:"
        f" idle {peaks.idle_kib / KIB:.0f} MiB, peak {peaks.total_kib / KIB:.0f}"
        f" MiB under load; one TeX process at most: {tex} MiB; renders {peaks.renders};"
        f" zygotes after {peaks.zygotes} {peaks.zygotes_kib / KIB:.0f} MiB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

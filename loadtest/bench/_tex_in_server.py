"""TeX CPU per render as the server runs it: the same document, the Latin sample and a name in
each other script, rendered one at a time through a running server, each render's TeX CPU read
from ``/proc``.

The machine limit (``_machine.py``) times bare TeX started afresh; a server with loaded engines
forks each render's TeX from one that has loaded the format, so its TeX costs less than that.
This step measures what it does cost, so the fast path and the Unicode path are compared as
they are served, and the cold throughput can be held against a limit of the server's own TeX.

A render's TeX CPU is what the server's process tree spent outside the server itself, read
between renders (none in flight): the TeX runs forked from loaded engines, as the server counts
them (``texrender_zygote_jobs_cpu_seconds_total``: each child's exact rusage), the living
descendants' own CPU (``/proc/PID/schedstat``, nanoseconds: the zygotes, whose share of a job is
its fork), and the server's reaped children (TeX started afresh; ``/proc/PID/stat``, in clock
ticks of 10 ms, so a figure of fresh runs is a median over many renders taken in turns).
"""

from __future__ import annotations

import copy
import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

import httpx

from ..drive import descendants, process_table
from ..record import parse_prometheus
from ._machine import UNICODE_NAMES

_TICK_S = 1.0 / os.sysconf("SC_CLK_TCK")
_ZYGOTE_WAIT_S = 20.0  # a Unicode path's zygote starts on first use: about a second


def _own_cpu_s(pid: int) -> float:
    """The CPU seconds ``pid`` itself has run (exact), 0 once it is gone."""
    try:
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
        return 0.0


def _reaped_children_cpu_s(pid: int) -> float:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = text[text.rindex(")") + 2 :].split()
    return (int(fields[13]) + int(fields[14])) * _TICK_S


def tex_cpu_s(server_pid: int, url: str) -> float:
    """CPU seconds spent by TeX for the server so far (see the module's docstring)."""
    below = descendants(server_pid, process_table())
    forked = _metric(url, "texrender_zygote_jobs_cpu_seconds_total")
    total = _reaped_children_cpu_s(server_pid) + forked
    return total + sum(_own_cpu_s(pid) for pid in below)


def _metric(url: str, name: str) -> float:
    samples = parse_prometheus(httpx.get(f"{url}/metrics", timeout=10).text)
    return samples.get((name, ""), 0.0)


def _zygote_jobs(url: str) -> tuple[float, float]:
    """The server's forked and declined jobs so far (0, 0 with loaded engines off)."""
    samples = parse_prometheus(httpx.get(f"{url}/metrics", timeout=10).text)
    jobs = {
        labels: value
        for (name, labels), value in samples.items()
        if name == "texrender_zygote_jobs_total"
    }
    return jobs.get('{how="forked"}', 0.0), jobs.get('{how="declined"}', 0.0)


class _Renders:
    """Unique bodies of one document, ``name`` in it, rendered one at a time."""

    def __init__(self, url: str, template: str, document: dict[str, Any]) -> None:
        self.url, self.template, self.document = url, template, document
        self.count = 0

    def one(self, client: httpx.Client, name: str | None) -> None:
        body = copy.deepcopy(self.document)
        basics = body.setdefault("basics", {})
        if name is not None:
            basics["name"] = name
        self.count += 1
        basics["label"] = f"{basics.get('label', '')} {self.count}".strip()  # never cached
        response = client.post(f"/v1/render/{self.template}", json=body)
        response.raise_for_status()


def tex_in_server(
    url: str, server_pid: int, template: str, data: Path, renders: int
) -> dict[str, Any]:
    """TeX CPU seconds per render (median of ``renders``) of the fast path and each script of
    :data:`UNICODE_NAMES`, and each script's ratio to the fast path; whether they were forked."""
    document = json.loads(data.read_text(encoding="utf-8"))
    cases: dict[str, str | None] = {"fast": None, **UNICODE_NAMES}
    samples: dict[str, list[float]] = {case: [] for case in cases}
    source = _Renders(url, template, document)
    forked_before, declined_before = _zygote_jobs(url)
    with httpx.Client(base_url=url, timeout=60) as client:
        for name in cases.values():  # each case once, so its zygote starts (Unicode path)
            source.one(client, name)
        _until_forked(client, source, cases, url)
        forked_start, declined_start = _zygote_jobs(url)
        for _ in range(renders):
            for case, name in cases.items():
                before = tex_cpu_s(server_pid, url)
                source.one(client, name)
                samples[case].append(tex_cpu_s(server_pid, url) - before)
    forked_end, declined_end = _zygote_jobs(url)
    fast = statistics.median(samples["fast"])
    return {
        "renders": renders,
        "forked": forked_end - forked_start,
        "declined": declined_end - declined_start,
        "warm_up_forked": forked_start - forked_before,
        "warm_up_declined": declined_start - declined_before,
        "cpu_s": {case: round(statistics.median(got), 4) for case, got in samples.items()},
        "of_fast": {
            case: round(statistics.median(got) / fast, 2) if fast else None
            for case, got in samples.items()
        },
    }


def _until_forked(
    client: httpx.Client, source: _Renders, cases: dict[str, str | None], url: str
) -> None:
    """With loaded engines on, until a round of every case is forked (each Unicode zygote
    ready), for at most :data:`_ZYGOTE_WAIT_S`; at once with them off."""
    forked, _ = _zygote_jobs(url)
    if not forked:
        return
    deadline = time.monotonic() + _ZYGOTE_WAIT_S
    while time.monotonic() < deadline:
        _, declined = _zygote_jobs(url)
        for name in cases.values():
            source.one(client, name)
        if _zygote_jobs(url)[1] == declined:
            return
        time.sleep(0.5)
